"""Sources end to end: ``newsbrief run`` polls a feed on loopback by itself, picks up a typhoon
item the moment it is published and notifies the subscribed chat — once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.e2e.fake_bot_api import FakeBotApi, StoredMessage
from tests.e2e.test_bot_e2e import Conversation, _env, _run_cli, running_bot
from tests.sources_site import TYPHOON_BODY, TYPHOON_TITLE, SourcesSite, rss

pytestmark = pytest.mark.e2e

NOTICE_TIMEOUT = 30.0
QUIET_ITEM = {
    "title": "湘湖景区迎来暑期游客高峰", "link": "http://127.0.0.1/news/q.html", "guid": "q-1",
    "content": "<p>连日来，湘湖景区游客明显增多，景区增加了接驳车次和志愿者服务点。</p>",
}
TYPHOON_ITEM = {
    "title": TYPHOON_TITLE, "link": "http://127.0.0.1/news/t.html", "guid": "t-1",
    "content": "".join(f"<p>{p}</p>" for p in TYPHOON_BODY),
}


def _notices(fake: FakeBotApi, chat: object) -> list[StoredMessage]:
    return [m for m in fake.messages_in(chat, from_bot=True) if "应急响应" in (m.text or "")]


async def test_bot_polls_a_feed_and_notifies_a_subscribed_chat_of_a_typhoon_item(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], tmp_path: Path,
    e2e_database_url: str,
) -> None:
    fake = fake_bot_api
    site = SourcesSite()
    await site.start()
    try:
        site.put("/feed.xml", rss([QUIET_ITEM]), "application/rss+xml")
        env = _env(fake_bot_env, e2e_database_url)
        admin = fake.add_user("编辑", language_code="zh-hans")
        env.update(
            NEWSBRIEF_SOURCES_CHECK_SECONDS="0.5",
            NEWSBRIEF_ALERT_MAX_AGE_HOURS="0",  # the item is dated 2023; push it anyway
            NEWSBRIEF_ADMIN_IDS=str(admin.id),
        )
        code, out, err = await _run_cli(
            ["sources", "add", site.url("/feed.xml"), "--every", "0.1", "--json"], env, tmp_path
        )
        assert code == 0, err
        source_id = json.loads(out)["id"]
        reader = fake.add_user("小明", language_code="zh-hans")
        async with running_bot(fake, env, tmp_path, name="sources-bot") as bot:
            chat = fake.private_chat(reader)
            await Conversation(fake, reader, chat).say("/subscribe")
            await fake.wait_for(lambda: site.hits["/feed.xml"] >= 1, NOTICE_TIMEOUT,
                                "the first poll of the feed")
            assert not _notices(fake, chat)

            site.put("/feed.xml", rss([TYPHOON_ITEM, QUIET_ITEM]), "application/rss+xml")
            await fake.wait_for(lambda: bool(_notices(fake, chat)), NOTICE_TIMEOUT,
                                "the typhoon notice from the feed")
            notice = _notices(fake, chat)[0].text or ""
            assert notice.startswith("🌀 萧山区防指启动防台风Ⅳ级应急响应")
            assert "杜苏芮" in notice

            # Later polls get 304s: no second notice, nothing stored twice.
            polls = site.hits["/feed.xml"]
            await fake.wait_for(lambda: site.hits["/feed.xml"] >= polls + 2, NOTICE_TIMEOUT,
                                "two more polls")
            await asyncio.sleep(0.5)
            assert len(_notices(fake, chat)) == 1

            admin_chat = fake.private_chat(admin)
            talk = Conversation(fake, admin, admin_chat)
            (listing,) = await talk.say("/sources")
            assert site.url("/feed.xml") in (listing.text or "")
            assert "正常" in (listing.text or "")
            assert [b["text"] for b in listing.buttons] == [f"⏸ {source_id}",
                                                             f"✖ {source_id}"]
            paused = await talk.press_and_wait_edit(listing, f"⏸ {source_id}")
            assert "已暂停" in (paused.text or "")
            assert paused.buttons[0]["text"] == f"▶ {source_id}"
            (added,) = await talk.say(f"/source_add {site.url('/other.xml')}")
            assert site.url("/other.xml") in (added.text or "")
            (refused,) = await talk.say("/source_add file:///etc/passwd")
            assert "只接受 http 或 https" in (refused.text or "")
            reader_talk = Conversation(fake, reader, chat)
            (not_allowed,) = await reader_talk.say("/sources")
            assert "管理员" in (not_allowed.text or "")
            assert await bot.terminate() == 0
        code, out, err = await _run_cli(["sources", "list", "--json"], env, tmp_path)
        listed = {s["id"]: s for s in json.loads(out)}
        assert listed[source_id]["paused"] is True
        assert listed[source_id]["last_status"] in ("ok", "not_modified")
        assert len(listed) == 2
    finally:
        await site.stop()
