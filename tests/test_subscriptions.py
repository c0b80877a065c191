"""Subscription settings: subscribe, hour, timezone, sections, toggles, and when the first digest
comes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.subscriptions.schedule import InvalidDigestTimeError, UnknownTimezoneError
from bot.subscriptions.settings import ChatIdentity, ChatSettings, SubscriptionService
from storage.chats import ChatRepository
from storage.database import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
WHO = ChatIdentity(42, "private", None, "zh-hans")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI).astimezone(UTC)


async def last_digest_date(db: Database, chat_id: int = 42) -> date | None:
    async with db.session() as s:
        chat = await ChatRepository(s).get(chat_id)
        assert chat is not None
        return chat.last_digest_date


async def test_subscribe_is_on_with_defaults_and_twice_is_harmless(db: Database) -> None:
    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    first = await service.subscribe(WHO)
    assert first.changed and first.settings.subscribed
    assert (first.settings.digest_time, first.settings.timezone) == ("08:00", "Asia/Shanghai")
    assert first.settings.alerts_enabled and first.settings.digest_silent
    assert (await service.subscribe(WHO)).changed is False
    assert await last_digest_date(db) is None  # 08:00 today is still ahead


async def test_subscribing_after_todays_hour_starts_tomorrow(db: Database) -> None:
    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 10, 0)))
    await service.subscribe(WHO)
    assert await last_digest_date(db) == date(2023, 8, 1)


async def test_time_and_timezone_are_validated(db: Database) -> None:
    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    await service.subscribe(WHO)
    assert (await service.set_time(42, "7:30")).digest_time == "07:30"
    with pytest.raises(InvalidDigestTimeError):
        await service.set_time(42, "25:00")
    assert (await service.set_timezone(42, "asia/hong_kong")).timezone == "Asia/Hong_Kong"
    with pytest.raises(UnknownTimezoneError):
        await service.set_timezone(42, "Moon/Base")
    assert (await service.shift_time(42, -8)).digest_time == "23:30"


async def test_sections_toggle_and_last_one_off_means_all(db: Database) -> None:
    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    await service.subscribe(WHO)
    s = await service.toggle_section(42, "经济")
    assert "经济" not in s.sections and len(s.sections) == 5
    for name in ("时政", "社会", "科教", "文体", "应急"):
        s = await service.toggle_section(42, name)
    assert s.sections == ()  # nothing chosen reads as everything
    s = await service.toggle_section(42, "经济")
    assert s.sections == ("时政", "社会", "科教", "文体", "应急")


async def test_alerts_and_silence_toggle(db: Database) -> None:
    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    await service.subscribe(WHO)
    assert (await service.toggle_alerts(42)).alerts_enabled is False
    assert (await service.toggle_silent(42)).digest_silent is False
    assert await service.unsubscribe(42) is True
    assert await service.unsubscribe(42) is False


async def test_flood_and_rainstorm_alerts_are_opt_in(db: Database) -> None:
    from bot.pushes.alerts import wants_alert
    from storage.chats import ChatRepository

    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    assert (await service.subscribe(WHO)).settings.other_hazards is False
    assert (await service.toggle_other_hazards(42)).other_hazards is True
    async with db.session() as session:
        chat = await ChatRepository(session).get(42)
    assert chat is not None and wants_alert(chat, "flood")


def test_settings_keyboard_offers_the_flood_opt_in() -> None:
    from bot.render.i18n import Translator
    from bot.render.settings import render_settings
    from bot.subscriptions.settings import ChatSettings

    s = ChatSettings(42, "private", None, True, "08:00", "Asia/Shanghai", (), True, True, None)
    part = render_settings(s, Translator.for_language("zh"))
    labels = {b.text: b.callback_data for row in part.keyboard for b in row}
    assert labels["其他灾害预警（洪水、暴雨）：关"] == "g:o"


# --- channels: who may manage one, and their settings buttons -------------------------------------

CHANNEL_ID = -1001234567890


class _Telegram:
    """getChat / getChatMember as Telegram answers them for one channel (or a group)."""

    id = 777  # the bot

    def __init__(self, *, chat_type: str = "channel", bot: str = "administrator",
                 bot_posts: bool = True, user: str = "administrator",
                 member_list_open: bool = True) -> None:
        from types import SimpleNamespace

        self.chat = SimpleNamespace(id=CHANNEL_ID, type=chat_type, title="萧山早报",
                                    username="xsnews")
        self.members = {777: SimpleNamespace(status=bot, can_post_messages=bot_posts),
                        1: SimpleNamespace(status=user)}
        self.member_list_open = member_list_open
        self.asked: list[tuple[str, object]] = []

    async def get_chat(self, chat_id: int | str) -> object:
        from telegram.error import BadRequest

        self.asked.append(("getChat", chat_id))
        if chat_id not in (CHANNEL_ID, "@xsnews"):
            raise BadRequest("chat not found")
        return self.chat

    async def get_chat_member(self, chat_id: int | str, user_id: int) -> object:
        from telegram.error import BadRequest

        self.asked.append(("getChatMember", user_id))
        if not self.member_list_open:
            raise BadRequest("member list is inaccessible")
        return self.members[user_id]


async def test_a_channel_admin_may_manage_it_when_the_bot_can_post() -> None:
    from handlers.channels import check_channel_admin

    telegram = _Telegram()
    ref = await check_channel_admin(telegram, "@xsnews", 1)
    assert (ref.chat_id, ref.handle) == (CHANNEL_ID, "@xsnews")
    assert ref.identity("en") == ChatIdentity(CHANNEL_ID, "channel", "萧山早报", "en")
    assert telegram.asked == [("getChat", "@xsnews"), ("getChatMember", 777),
                              ("getChatMember", 1)]
    assert (await check_channel_admin(_Telegram(bot="creator", bot_posts=False,
                                                user="creator"), CHANNEL_ID, 1)).chat_id \
        == CHANNEL_ID


@pytest.mark.parametrize(
    ("telegram", "channel", "error", "named"),
    [
        (_Telegram(), "@nowhere", "ChannelNotFoundError", "@nowhere"),
        (_Telegram(chat_type="supergroup"), CHANNEL_ID, "ChannelNotFoundError", str(CHANNEL_ID)),
        (_Telegram(member_list_open=False), "@xsnews", "BotNotChannelAdminError", "@xsnews"),
        (_Telegram(bot="member"), CHANNEL_ID, "BotNotChannelAdminError", "@xsnews"),
        (_Telegram(bot_posts=False), CHANNEL_ID, "BotNotChannelAdminError", "@xsnews"),
        (_Telegram(user="member"), CHANNEL_ID, "NotChannelAdminError", "@xsnews"),
        (_Telegram(user="left"), "@xsnews", "NotChannelAdminError", "@xsnews"),
    ],
)
async def test_anyone_else_is_refused_by_type(
    telegram: _Telegram, channel: int | str, error: str, named: str
) -> None:
    from bot.subscriptions.settings import ChannelAccessError
    from handlers.channels import check_channel_admin

    with pytest.raises(ChannelAccessError) as caught:
        await check_channel_admin(telegram, channel, 1)
    assert type(caught.value).__name__ == error
    assert caught.value.channel == named


def _settings(**changes: Any) -> ChatSettings:
    s = ChatSettings(42, "private", None, True, "08:00", "Asia/Shanghai", (), True, True, None)
    return replace(s, **changes)


def test_chat_settings_buttons_keep_their_data() -> None:
    from bot.render.i18n import Translator
    from bot.render.settings import render_settings

    part = render_settings(_settings(), Translator.for_language("en"))
    assert [b.callback_data for row in part.keyboard for b in row] == [
        "g:sub", "g:h:-1", "g:h:1", "g:s:politics", "g:s:econ", "g:s:society", "g:s:scitech",
        "g:s:culture", "g:s:emergency", "g:a", "g:q", "g:o", "g:z:0", "g:z:1", "g:z:2", "g:z:3",
    ]
    assert part.html.startswith("<b>Digest settings</b>\n")


def test_channel_settings_buttons_name_the_channel_and_fit_in_64_bytes() -> None:
    from bot.render.callback_data import SettingsPress, parse_settings_data
    from bot.render.i18n import Translator
    from bot.render.settings import render_settings
    from bot.subscriptions.settings import ChannelRef

    widest = ChannelRef(-9_999_999_999_999, "<Wide>", None)  # 13 digits: the longest id
    s = _settings(chat_id=widest.chat_id, chat_type="channel")
    part = render_settings(s, Translator.for_language("en"), widest)
    data = [b.callback_data for row in part.keyboard for b in row]
    assert max(len(d.encode()) for d in data) == len("c:-9999999999999:s:emergency") == 28
    assert all(d.isascii() and d.startswith("c:-9999999999999:") for d in data)
    assert parse_settings_data(data[0]) == SettingsPress("sub", "", widest.chat_id)
    assert parse_settings_data(data[2]) == SettingsPress("h", "1", widest.chat_id)
    assert part.html.startswith("<b>Digest settings of channel &lt;Wide&gt;</b>")
    assert "/time &lt;Wide&gt; 07:30" in part.html


@pytest.mark.parametrize(
    "data",
    ["", None, "c:", "c:abc:a", "c:123:a", "c:-0:a", "c:-1001:", "c:-1001:a:b:c", "c:-1001:a:",
     "c:-1001:s:经济", "c:-1001:" + "a" * 60, "x:-1001:a", "g:", "g:a b", "g:sub:"],
)
def test_settings_data_that_no_button_carries_is_refused(data: str | None) -> None:
    from bot.render.callback_data import CallbackDataError, parse_settings_data

    with pytest.raises(CallbackDataError):
        parse_settings_data(data)
