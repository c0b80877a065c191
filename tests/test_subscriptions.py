"""Subscription settings: subscribe, hour, timezone, sections, toggles, and when the first digest
comes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.schedule import InvalidDigestTimeError, UnknownTimezoneError
from bot.subscriptions import ChatIdentity, SubscriptionService
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
    from bot.alert_notices import wants_alert
    from storage.chats import ChatRepository

    service = SubscriptionService(db, ManualClock(at(2023, 8, 1, 6, 0)))
    assert (await service.subscribe(WHO)).settings.other_hazards is False
    assert (await service.toggle_other_hazards(42)).other_hazards is True
    async with db.session() as session:
        chat = await ChatRepository(session).get(42)
    assert chat is not None and wants_alert(chat, "flood")


def test_settings_keyboard_offers_the_flood_opt_in() -> None:
    from bot.i18n import Translator
    from bot.subscriptions import ChatSettings
    from handlers.subscriptions import render_settings

    s = ChatSettings(42, "private", None, True, "08:00", "Asia/Shanghai", (), True, True, None)
    part = render_settings(s, Translator.for_language("zh"))
    labels = {b.text: b.callback_data for row in part.keyboard for b in row}
    assert labels["其他灾害预警（洪水、暴雨）：关"] == "g:o"
