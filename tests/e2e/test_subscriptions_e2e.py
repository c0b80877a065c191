"""Subscriptions, the daily digest and keyword watches, end to end through the fake Bot API.

The bot runs in-process (the real Application: handlers, JobQueue, delivery sender) so the test
owns its clock: it jumps to 07:29:59, ticks the digest job, and watches the digest arrive; it stops
and starts the bot across the hour. Nothing sleeps: every wait is on an event with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import Update

from bot.app.application import NewsBot
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.sender import DeliverySender
from bot.ingest.service import IngestOptions, IngestService
from storage.chats import ChatRepository
from storage.database import Database
from tests.conftest import deliveries_for_chat
from tests.e2e.fake_bot_api import FakeBotApi, StoredMessage, User, parse_html

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
STEP = 15.0


def hk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=HONG_KONG).astimezone(UTC)


@dataclass
class RunningBot:
    news: NewsBot

    @property
    def sender(self) -> DeliverySender:
        assert self.news.delivery.sender is not None
        return self.news.delivery.sender


def settings_for(fake: FakeBotApi, db_url: str) -> Settings:
    return Settings(database_url=db_url, telegram_bot_token=fake.token,
                    telegram_api_base_url=fake.root)


@contextlib.asynccontextmanager
async def running_bot(fake: FakeBotApi, db_url: str, clock: ManualClock) -> AsyncIterator[
        RunningBot]:
    """The bot as ``newsbrief run`` assembles it, polling the fake, reading ``clock``."""
    db = Database(db_url)
    await db.upgrade()
    news = NewsBot(settings_for(fake, db_url), db, clock=clock, digest_interval=3600)
    application = news.application
    await application.initialize()
    try:
        await news.startup(application)
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=1, allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY]
        )
        await application.start()
        assert news.digest_job.passes == 1  # the start-up catch-up pass ran before polling
        yield RunningBot(news)
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await news.shutdown(application)
        await application.shutdown()


@pytest.fixture
async def loaded_db(e2e_database_url: str) -> str:
    url = e2e_database_url
    db = Database(url)
    await db.upgrade()
    await IngestService(db, Settings(database_url=url)).ingest([PAGE], IngestOptions())
    await db.dispose()
    return url


async def say(fake: FakeBotApi, user: User, chat: Any, text: str) -> StoredMessage:
    """The user sends ``text``; returns the bot's next message in that chat."""
    before = len(fake.messages_in(chat, include_deleted=True, from_bot=True))
    fake.send_text(user, chat, text)
    return (await fake.wait_for_messages(chat, before + 1, STEP))[-1]


async def tick(bot: RunningBot) -> None:
    await bot.news.digest_job.tick()


async def digest_rows(db_url: str, chat_id: int) -> list[Any]:
    db = Database(db_url)
    try:
        async with db.session() as s:
            return [r for r in await deliveries_for_chat(s, chat_id) if r.kind == "digest"]
    finally:
        await db.dispose()


async def preview_cli(fake: FakeBotApi, db_url: str, chat_id: int, day: str, cwd: Path
                      ) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env.update(TELEGRAM_BOT_TOKEN=fake.token, NEWSBRIEF_DATABASE_URL=db_url,
               NEWSBRIEF_LOG_LEVEL="WARNING",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "digest", "--preview", "--chat", str(chat_id),
        "--date", day, "--json", env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0, err.decode()
    [preview] = json.loads(out)
    return preview["messages"]  # type: ignore[no-any-return]


async def test_reader_sets_hour_zone_and_sections_then_gets_the_digest_at_the_hour(
    fake_bot_api: FakeBotApi, loaded_db: str, tmp_path: Path
) -> None:
    fake = fake_bot_api
    reader = fake.add_user("Mei", language_code="zh-hans")
    chat = fake.private_chat(reader)
    clock = ManualClock(hk(2023, 8, 1, 6, 0))
    async with running_bot(fake, loaded_db, clock) as bot:
        assert "已订阅" in (await say(fake, reader, chat, "/subscribe")).text
        assert "07:30" in (await say(fake, reader, chat, "/time 7:30")).text
        assert "Asia/Hong_Kong" in (await say(fake, reader, chat, "/tz Asia/Hong_Kong")).text
        bad = await say(fake, reader, chat, "/tz Mars/Olympus")
        assert "不是有效的时区" in bad.text
        bad_time = await say(fake, reader, chat, "/time 25:99")
        assert "“25:99”不是有效的时间" in bad_time.text
        panel = await say(fake, reader, chat, "/settings")
        answer = fake.press_button(reader, panel, "g:s:culture")  # 文体 off
        await fake.wait_for_callback_answer(answer, STEP)
        await fake.wait_for(lambda: panel.edits, STEP, "the settings panel to update")
        assert "文体" not in fake.messages_in(chat)[-1].text.split("版块：")[1].split("\n")[0]

        preview = await preview_cli(fake, loaded_db, chat.id, "2023-08-01", tmp_path)
        count = len(fake.messages_in(chat, from_bot=True))
        clock.set(hk(2023, 8, 1, 7, 29, 59))
        await tick(bot)
        assert await digest_rows(loaded_db, chat.id) == []
        clock.set(hk(2023, 8, 1, 7, 30))
        await tick(bot)
        received = (await fake.wait_for_messages(chat, count + len(preview), STEP))[count:]

    assert len(received) == len(preview) == 1
    for message, part in zip(received, preview, strict=True):
        assert message.text == parse_html(part["text"])[0]
        assert message.reply_markup == part["reply_markup"]
    digest = received[0].text
    assert digest.startswith("📰 萧山日报 · 每日简报\n2023年7月31日")
    assert digest.index("正在生效的预警") < digest.index("【时政】")  # active alert first
    assert "村社篮球联赛受热捧" not in digest  # 文体 was turned off
    calls = [c for c in fake.api_log if c.method == "sendMessage"
             and str(c.params.get("chat_id")) == str(chat.id) and "每日简报" in c.params["text"]]
    assert calls and all(str(c.params.get("disable_notification")).lower() == "true"
                         for c in calls)


async def test_restart_across_the_hour_sends_exactly_one_digest(
    fake_bot_api: FakeBotApi, loaded_db: str
) -> None:
    fake = fake_bot_api
    reader = fake.add_user("Wei", language_code="zh-hant")
    chat = fake.private_chat(reader)
    clock = ManualClock(hk(2023, 8, 1, 7, 0))
    async with running_bot(fake, loaded_db, clock):
        await say(fake, reader, chat, "/subscribe")
        await say(fake, reader, chat, "/time 07:30")
        await say(fake, reader, chat, "/tz Asia/Hong_Kong")
    count = len(fake.messages_in(chat, from_bot=True))
    clock.set(hk(2023, 8, 1, 9, 45))  # the bot was down across 07:30
    async with running_bot(fake, loaded_db, clock):
        [digest] = (await fake.wait_for_messages(chat, count + 1, STEP))[count:]
    async with running_bot(fake, loaded_db, clock) as bot:  # and restarts once more
        await tick(bot)
    assert len(fake.messages_in(chat, from_bot=True)) == count + 1
    assert len(await digest_rows(loaded_db, chat.id)) == 1
    assert "蕭山日報" in digest.text and "每日簡報" in digest.text  # a zh-Hant reader


async def test_only_group_admins_change_the_groups_digest(
    fake_bot_api: FakeBotApi, loaded_db: str
) -> None:
    fake = fake_bot_api
    admin = fake.add_user("Admin", language_code="zh-hans")
    member = fake.add_user("Member", language_code="zh-hans")
    group = fake.add_group("萧山邻里", admins=[admin], members=[member])
    clock = ManualClock(hk(2023, 8, 1, 6, 0))
    async with running_bot(fake, loaded_db, clock) as bot:
        assert "只有本群管理员" in (await say(fake, member, group, "/subscribe")).text
        assert "只有本群管理员" in (await say(fake, member, group, "/time 07:00")).text
        assert "已订阅" in (await say(fake, admin, group, "/subscribe")).text
        assert "07:30" in (await say(fake, admin, group, "/time 07:30")).text
        panel = await say(fake, member, group, "/settings")  # anyone may look
        refused = await fake.wait_for_callback_answer(
            fake.press_button(member, panel, "g:a"), STEP)
        assert refused.show_alert and "只有本群管理员" in (refused.text or "")
        count = len(fake.messages_in(group, from_bot=True))
        clock.set(datetime(2023, 8, 1, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
        await tick(bot)
        [digest] = (await fake.wait_for_messages(group, count + 1, STEP))[count:]
    assert "每日简报" in digest.text


async def test_channel_is_subscribed_from_a_private_chat_by_its_admin(
    fake_bot_api: FakeBotApi, loaded_db: str
) -> None:
    fake = fake_bot_api
    owner = fake.add_user("Owner", language_code="en")
    stranger = fake.add_user("Stranger", language_code="en")
    channel = fake.add_channel("萧山早报", username="xsnews", admins=[owner])
    fake.add_channel("No rights", username="norights", admins=[owner],
                     bot_status="member")
    clock = ManualClock(hk(2023, 8, 1, 6, 0))
    async with running_bot(fake, loaded_db, clock) as bot:
        refused = await say(fake, stranger, fake.private_chat(stranger), "/subscribe @xsnews")
        assert "Only an admin of @xsnews" in refused.text
        no_rights = await say(fake, owner, fake.private_chat(owner), "/subscribe @norights")
        assert "Make me an admin of @norights" in no_rights.text
        missing = await say(fake, owner, fake.private_chat(owner), "/subscribe @nowhere")
        assert "Can't find channel @nowhere" in missing.text
        done = await say(fake, owner, fake.private_chat(owner), "/subscribe @xsnews")
        assert "Channel @xsnews now gets the daily digest at 08:00" in done.text
        clock.set(datetime(2023, 8, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        await tick(bot)
        [digest] = await fake.wait_for_messages(channel, 1, STEP)
    assert "Daily digest" in digest.text and "区十七届人大常委会" in digest.text


async def test_watch_with_exclusion_gets_one_notice_per_ingest(
    fake_bot_api: FakeBotApi, loaded_db: str, tmp_path: Path
) -> None:
    fake = fake_bot_api
    reader = fake.add_user("Lin", language_code="zh-hans")
    chat = fake.private_chat(reader)
    clock = ManualClock(hk(2023, 8, 1, 6, 0))
    async with running_bot(fake, loaded_db, clock) as bot:
        added = await say(fake, reader, chat, "/watch 萧山 -体育")
        assert "已关注“萧山 -体育”" in added.text
        listed = await say(fake, reader, chat, "/watches")
        assert "1. 萧山 -体育" in listed.text
        feed = tmp_path / "new-2023-08-01.jsonl"
        feed.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in [
            {"title": "萧山经开区新落地项目", "body": "萧山经开区今天签约三个项目。",
             "section": "经济"},
            {"title": "萧山体育中心开放", "body": "萧山体育中心向市民开放。", "section": "文体"},
            {"title": "杭州地铁新线开通", "body": "地铁新线今天开通。", "section": "经济"},
        ]) + "\n", encoding="utf-8")
        db = Database(loaded_db)
        await IngestService(db, Settings(database_url=loaded_db)).ingest(
            [feed], IngestOptions())
        await db.dispose()
        count = len(fake.messages_in(chat, from_bot=True))
        await tick(bot)
        [notice] = (await fake.wait_for_messages(chat, count + 1, STEP))[count:]
        assert "萧山经开区新落地项目" in notice.text
        assert "体育中心" not in notice.text and "地铁" not in notice.text
        await tick(bot)  # the same ingest is never reported twice
        opened = fake.press_button(reader, notice, text="1")
        await fake.wait_for_callback_answer(opened, STEP)
        article = (await fake.wait_for_messages(chat, count + 2, STEP))[-1]
        assert article.text.startswith("萧山经开区新落地项目")
    assert len(fake.messages_in(chat, from_bot=True)) == count + 2


def _tamper(message: StoredMessage, data: str) -> None:
    """Rewrite the first button's data, as a modified client could."""
    message.data["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = data


async def stored_chat(db_url: str, chat_id: int) -> Any:
    db = Database(db_url)
    try:
        async with db.session() as s:
            return await ChatRepository(s).get(chat_id)
    finally:
        await db.dispose()


async def test_channel_admin_changes_the_channels_settings_from_a_private_chat(
    fake_bot_api: FakeBotApi, loaded_db: str
) -> None:
    fake = fake_bot_api
    owner = fake.add_user("Owner", language_code="en")
    stranger = fake.add_user("Stranger", language_code="en")
    channel = fake.add_channel("萧山早报", username="xsnews", admins=[owner])
    other = fake.add_channel("Other news", username="othernews", admins=[stranger])
    group = fake.add_group("Readers", admins=[owner])
    mine = fake.private_chat(owner)
    clock = ManualClock(hk(2023, 8, 1, 6, 0))
    async with running_bot(fake, loaded_db, clock) as bot:
        await say(fake, owner, mine, "/subscribe @xsnews")
        theirs = fake.private_chat(stranger)
        refused = await say(fake, stranger, theirs, "/settings @xsnews")
        assert "Only an admin of @xsnews" in refused.text and not refused.buttons
        refused = await say(fake, stranger, theirs, "/time @xsnews 07:00")
        assert "Only an admin of @xsnews" in refused.text
        in_group = await say(fake, owner, group, "/settings @xsnews")
        assert in_group.text.startswith("Manage a channel from your private chat with me")
        assert "not a time" in (await say(fake, owner, mine, "/time @xsnews 25:00")).text
        assert "/time @channel 07:30" in (await say(fake, owner, mine, "/time @xsnews")).text
        assert "Can't find channel @nowhere" in (
            await say(fake, owner, mine, "/tz @nowhere Asia/Taipei")).text

        panel = await say(fake, owner, mine, "/settings @xsnews")
        assert panel.text.startswith("Digest settings of channel @xsnews\nSubscribed: yes")
        assert "08:00 (Asia/Shanghai)" in panel.text and "/time @xsnews 07:30" in panel.text
        data = [b["callback_data"] for b in panel.buttons]
        assert all(d.startswith(f"c:{channel.id}:") and len(d.encode()) <= 64 for d in data)
        for button in (f"c:{channel.id}:h:1", f"c:{channel.id}:s:culture"):  # later; 文体 off
            answer = await fake.wait_for_callback_answer(
                fake.press_button(owner, panel, button), STEP)
            assert answer.text == "Updated"
        await fake.wait_for(lambda: len(panel.edits) == 2, STEP, "two edits of the panel")
        assert "09:00 (Asia/Shanghai)" in panel.text and "▫️ Culture and sports" in [
            b["text"] for b in panel.buttons]

        # Forged button data changes nothing: a channel the owner does not administer, a group,
        # garbage, a value no button carries.
        for forged, expected in (
            (f"c:{other.id}:h:1", "Only an admin of @othernews"),
            (f"c:{group.id}:a", "This button has expired"),
            (f"c:{owner.id}:a", "This button has expired"),
            ("c:-100abc:h:1", "This button has expired"),
            (f"c:{channel.id}:h:5", "This button has expired"),
            (f"c:{channel.id}:z:9", "This button has expired"),
            (f"c:{channel.id}", "This button has expired"),
        ):
            _tamper(panel, forged)
            answer = await fake.wait_for_callback_answer(
                fake.press_button(owner, panel, forged), STEP)
            assert (answer.text or "").startswith(expected), forged
        assert await stored_chat(loaded_db, other.id) is None
        saved = await stored_chat(loaded_db, channel.id)
        assert (saved.digest_time, saved.timezone) == ("09:00", "Asia/Shanghai")
        assert "文体" not in saved.sections and saved.alerts_enabled and saved.subscribed
        assert await stored_chat(loaded_db, group.id) is None

        clock.set(hk(2023, 8, 1, 8, 0))  # the old hour: nothing for the channel
        await tick(bot)
        assert await digest_rows(loaded_db, channel.id) == []
        clock.set(hk(2023, 8, 1, 9, 0))  # the hour the button chose
        await tick(bot)
        [digest] = await fake.wait_for_messages(channel, 1, STEP)
        assert "Daily digest" in digest.text and "区十七届人大常委会" in digest.text
        assert "村社篮球联赛受热捧" not in digest.text  # 文体 was turned off for the channel

        assert "09:30" in (await say(fake, owner, mine, "/time @xsnews 9:30")).text
        assert "Asia/Hong_Kong" in (await say(fake, owner, mine, "/tz @xsnews Asia/Hong_Kong")).text

        # Every press asks Telegram again: a demoted admin's old panel no longer works.
        fake.set_member(channel, owner, "member")
        answer = await fake.wait_for_callback_answer(
            fake.press_button(owner, panel, f"c:{channel.id}:h:-1"), STEP)
        assert answer.show_alert and "Only an admin of @xsnews" in (answer.text or "")
        assert "Only an admin" in (await say(fake, owner, mine, "/tz @xsnews Asia/Taipei")).text
    saved = await stored_chat(loaded_db, channel.id)
    assert (saved.digest_time, saved.timezone) == ("09:30", "Asia/Hong_Kong")
