"""Typhoon alerts end to end: pages dropped in the inbox or sent by an admin reach every
subscribed chat as one notice per event — start, raise, end — and nothing twice."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.fake_bot_api import FakeBotApi, StoredMessage
from tests.e2e.test_bot_e2e import FIXTURE_PAGE, STEP_TIMEOUT, Conversation, _env, running_bot

pytestmark = pytest.mark.e2e

NOTICE_TIMEOUT = 30.0

RAISE_PAGE = """\
我区提升防台风应急响应至Ⅲ级

本报讯(记者 张明)受今年第6号台风“卡努”影响,区防指决定昨日18时将防台风Ⅳ级应急响应提升至Ⅲ级。

预计“卡努”将于8月2日前后影响我区,届时将有大风和强降雨。各镇街要做好人员转移准备。
"""

# The next day's paper restates the raised response: one more report of it, not a new notice.
KEPT_PAGE = """\
我区继续维持防台风Ⅲ级应急响应

本报讯(记者 张明)受今年第6号台风“卡努”影响,区防指继续维持防台风Ⅲ级应急响应。

各镇街要继续做好巡查值守,落实人员转移安置。
"""

END_PAGE = """\
我区解除防台风应急响应

本报讯(记者 张明)随着今年第6号台风“卡努”影响减弱,区防指决定于昨日17时解除防台风Ⅲ级应急响应。

各地要抓紧开展灾后清理,尽快恢复正常生产生活秩序。
"""

FLOOD_PAGE = """\
我区启动防汛Ⅳ级应急响应

本报讯(记者 周雨)受持续强降雨影响,区防指决定于8月4日18时启动防汛Ⅳ级应急响应。

各镇街要加强巡查,做好低洼地带人员转移准备。
"""

QUIET_PAGE = """\
湘湖景区迎来暑期游客高峰

本报讯(记者 周雨)连日来,湘湖景区游客明显增多,景区增加了接驳车次和志愿者服务点。

景区提醒游客错峰出行,注意防暑。
"""


def _drop(inbox: Path, name: str, text: str | None = None, source: Path | None = None) -> Path:
    """Write the file beside the inbox, age it past the settle time, then move it in whole."""
    staging = inbox.parent / name
    if source is not None:
        shutil.copy(source, staging)
    else:
        staging.write_text(text or "", encoding="utf-8")
    old = time.time() - 60
    os.utime(staging, (old, old))
    return staging.rename(inbox / name)


def _notices(fake: FakeBotApi, chat: object) -> list[StoredMessage]:
    return [m for m in fake.messages_in(chat, from_bot=True) if "应急响应" in (m.text or "")
            or "應急響應" in (m.text or "") or "emergency response" in (m.text or "")]


async def _wait_notices(fake: FakeBotApi, chats: list[object], count: int) -> None:
    await fake.wait_for(
        lambda: all(len(_notices(fake, chat)) >= count for chat in chats),
        NOTICE_TIMEOUT, f"{count} notice(s) in every subscribed chat",
    )


async def test_inbox_pages_become_one_notice_per_event_in_every_subscribed_chat(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], tmp_path: Path,
    e2e_database_url: str,
) -> None:
    fake = fake_bot_api
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    admin = fake.add_user("编辑", language_code="zh-hans")
    env = _env(fake_bot_env, e2e_database_url)
    env.update(
        NEWSBRIEF_INBOX=str(inbox), NEWSBRIEF_INBOX_POLL_SECONDS="0.2",
        NEWSBRIEF_ALERT_MAX_AGE_HOURS="0",  # the pages are from 2023; push them anyway
        NEWSBRIEF_ALERT_STALE_HOURS="0",  # ... and show them in force (never stale)
        NEWSBRIEF_ADMIN_IDS=str(admin.id),
    )
    readers = [fake.add_user("小明", language_code="zh-hans"),
               fake.add_user("阿美", language_code="zh-hant"),
               fake.add_user("Ann", language_code="en")]
    bystander = fake.add_user("路人", language_code="zh-hans")
    async with running_bot(fake, env, tmp_path, name="alerts-bot") as bot:
        chats = [fake.private_chat(user) for user in readers]
        for user, chat in zip(readers, chats, strict=True):
            await Conversation(fake, user, chat).say("/subscribe")
        await Conversation(fake, readers[0], chats[0]).say("/watch 湘湖")
        bystander_talk = Conversation(fake, bystander, fake.private_chat(bystander))
        await bystander_talk.say("/start")

        _drop(inbox, "xsrb-2023-07-31-01.txt", source=FIXTURE_PAGE)
        await _wait_notices(fake, chats, 1)
        started = _notices(fake, chats[0])[0].text or ""
        assert started.startswith("🌀 萧山区防指启动防台风Ⅳ级应急响应")
        assert "卡努" in started and "2023年7月30日 20:30" in started
        assert "以官方发布为准" in started
        assert "颱風" in (_notices(fake, chats[1])[0].text or "")
        assert "typhoon" in (_notices(fake, chats[2])[0].text or "")
        assert not _notices(fake, bystander_talk.chat)
        assert (inbox / "done" / "xsrb-2023-07-31-01.txt").is_file()

        # The same page again: stored once, no new event — then the raise, which must be the
        # second and last notice each chat has.
        _drop(inbox, "xsrb-2023-07-31-01-again.txt", source=FIXTURE_PAGE)
        await fake.wait_for(lambda: (inbox / "done" / "xsrb-2023-07-31-01-again.txt").exists(),
                            NOTICE_TIMEOUT, "the duplicate page to be filed")
        _drop(inbox, "xsrb-2023-08-01-01.txt", RAISE_PAGE)
        await _wait_notices(fake, chats, 2)
        raised = _notices(fake, chats[0])[1].text or ""
        assert "提升至Ⅲ级" in raised and "原为Ⅳ级" in raised

        # 维持 the next day: a later report of the raise, pushed to nobody; /alerts (asked in a
        # chat without subscription, so notices are not miscounted) opens that latest report.
        _drop(inbox, "xsrb-2023-08-02-01.txt", KEPT_PAGE)
        await fake.wait_for(lambda: (inbox / "done" / "xsrb-2023-08-02-01.txt").exists(),
                            NOTICE_TIMEOUT, "the restating page to be filed")
        (in_force,) = await bystander_talk.say("/alerts")
        assert (in_force.text or "").startswith("🌀 萧山区防指将防台风应急响应提升至Ⅲ级")
        assert "最近报道：2023年8月2日" in (in_force.text or "")
        (latest,) = await bystander_talk.press_for_messages(in_force, "📰 最新报道", replies=1)
        assert (latest.text or "").startswith("我区继续维持防台风Ⅲ级应急响应")
        assert [len(_notices(fake, chat)) for chat in chats] == [2, 2, 2]

        _drop(inbox, "xsrb-2023-08-03-01.txt", END_PAGE)
        await _wait_notices(fake, chats, 3)
        ended = _notices(fake, chats[0])[2].text or ""
        assert ended.startswith("✅ 萧山区防指解除防台风应急响应")
        assert [len(_notices(fake, chat)) for chat in chats] == [3, 3, 3]

        # Nothing in force any more.
        (in_force,) = await Conversation(fake, readers[0], chats[0]).say("/alerts")
        assert "没有正在生效" in (in_force.text or "")

        # A bad file goes to failed/ with its reason.
        _drop(inbox, "scan.txt", "萧山新闻。\n" * 3)
        await fake.wait_for(lambda: (inbox / "failed" / "scan.txt.reason.txt").exists(),
                            NOTICE_TIMEOUT, "the undated page to be refused")
        assert "date" in (inbox / "failed" / "scan.txt.reason.txt").read_text("utf-8")

        # Admin upload is ingested and summarised; anyone else is refused politely.
        admin_chat = fake.private_chat(admin)
        before = len(fake.messages_in(admin_chat, from_bot=True))
        fake.send_document(admin, admin_chat, "page.txt", QUIET_PAGE.encode("gb18030"),
                           caption="2023-08-04")
        (summary,) = (await fake.wait_for_messages(admin_chat, before + 1, STEP_TIMEOUT))[before:]
        assert "新文章 1 篇" in (summary.text or "") and "湘湖景区" in (summary.text or "")
        assert "发现的预警事件" not in (summary.text or "")  # a quiet page names no alert

        # A page reporting an alert: the summary names the event it found.
        before = len(fake.messages_in(admin_chat, from_bot=True))
        fake.send_document(admin, admin_chat, "flood.txt", FLOOD_PAGE.encode(),
                           caption="2023-08-05")
        (flood,) = (await fake.wait_for_messages(admin_chat, before + 1, STEP_TIMEOUT))[before:]
        assert "新预警 1 条" in (flood.text or "") and "发现的预警事件" in (flood.text or "")
        assert "🌊 萧山区防指启动防汛Ⅳ级应急响应" in (flood.text or "")
        # ... and the reader watching 湘湖 hears of it without waiting for the minute tick.
        await fake.wait_for(
            lambda: any("湘湖景区迎来暑期游客高峰" in (m.text or "")
                        for m in fake.messages_in(chats[0], from_bot=True)),
            NOTICE_TIMEOUT, "the watch notice for 湘湖",
        )

        bystander_chat = bystander_talk.chat
        before = len(fake.messages_in(bystander_chat, from_bot=True))
        fake.send_document(bystander, bystander_chat, "page-2023-08-04.txt",
                           QUIET_PAGE.encode())
        (refusal,) = (await fake.wait_for_messages(bystander_chat, before + 1,
                                                   STEP_TIMEOUT))[before:]
        assert "只有管理员" in (refusal.text or "")
        (not_admin,) = await bystander_talk.say("/status")
        assert "管理员" in (not_admin.text or "")

        before = len(fake.messages_in(admin_chat, from_bot=True))
        fake.send_document(admin, admin_chat, "photo.txt", b"\x00\x01binary")
        (bad,) = (await fake.wait_for_messages(admin_chat, before + 1, STEP_TIMEOUT))[before:]
        assert "没有载入" in (bad.text or "")
        assert await bot.terminate() == 0
