"""What a reader meets, end to end: nothing silent, a language switch that survives restarts,
inline mode from any chat, and share links anyone can open (a forged one gets a polite answer).

``newsbrief run`` runs as a real process against the fake Bot API with inline mode on (as after
@BotFather's /setinline); the fake checks every inline answer the way Telegram does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_bot_api import TELEGRAM_TEXT_LIMIT, FakeBotApi, InlineAnswer, utf16_len
from tests.e2e.test_bot_e2e import (
    FIXTURE_PAGE,
    STEP_TIMEOUT,
    Conversation,
    _env,
    _extra_articles,
    _labels,
    _run_cli,
    running_bot,
)

pytestmark = pytest.mark.e2e

BOT = "newsbrief_test_bot"
FLOOD_ARTICLES = 25  # more than one inline answer (20) holds
SHARE_LINK = re.compile(rf"https://t\.me/{BOT}\?start=(a_\d+_[A-Za-z0-9_-]+)")
HOSTILE_QUERIES = (
    "<b>台风</b>", "&amp; &", '"', "*", "-", "-台风", "台风 -台风", "OR", "((((", "a" * 256,
    "经" * 256, "🌀🌀", "section:nope", "'; DROP TABLE articles; --", "\\", "台风\n\n防汛",
)


def _reader_articles() -> list[dict[str, Any]]:
    """Enough 防汛 articles to page an inline answer, dated before the seed page's edition."""
    return [
        {"title": f"防汛巡查第{n}组出发", "body": f"第{n}组防汛巡查今日出发，检查堤坝和泵站。",
         "date": "2023-07-28", "section": "应急"}
        for n in range(1, FLOOD_ARTICLES + 1)
    ]


@pytest.fixture
async def reader_db(tmp_path: Path, fake_bot_env: dict[str, str], e2e_database_url: str) -> str:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        "\n".join(json.dumps(a, ensure_ascii=False)
                  for a in [*_extra_articles(), *_reader_articles()]) + "\n",
        encoding="utf-8",
    )
    url = e2e_database_url
    code, _, err = await _run_cli(
        ["ingest", str(FIXTURE_PAGE), str(extra)], _env(fake_bot_env, url), tmp_path
    )
    assert code == 0, err
    return url


async def _inline(fake: FakeBotApi, user: Any, query: str, offset: str = "") -> InlineAnswer:
    update = fake.send_inline_query(user, query, offset=offset)
    return await fake.wait_for_inline_answer(update, STEP_TIMEOUT)


def _failed_calls(fake: FakeBotApi) -> list[str]:
    """API calls Telegram refused, flood waits (429, retried as told) aside."""
    return [f"{c.method}: {c.description}" for c in fake.api_log
            if not c.ok and c.error_code != 429]


# ------------------------------------------------------------------------------------- scenarios


async def _nothing_is_silent(fake: FakeBotApi) -> None:
    user = fake.add_user("Lin", language_code="zh-hans")
    talk = Conversation(fake, user, fake.private_chat(user))
    (unknown,) = await talk.say("/foo")
    assert "/foo" in (unknown.text or "") and "/help" in (unknown.text or "")
    (menu,) = await talk.say("/language")  # the alias
    assert "回复语言" in (menu.text or "") and "English" in _labels(menu)

    # groups: only /cmd@thisbot is ours; bare unknown commands and other bots' are left alone
    admin_group = fake.add_group("读者群", members=[user], bot_status="administrator")
    group = Conversation(fake, user, admin_group)
    await group.say_ignored("/foo")
    await group.say_ignored("/foo@otherbot")
    await group.say_ignored("/today@otherbot")
    (answered,) = await group.say(f"/foo@{BOT}")
    assert "/foo" in (answered.text or "") and "/help" in (answered.text or "")
    (private_only,) = await group.say(f"/status@{BOT}")
    assert "私聊" in (private_only.text or "")

    # a group's language: anyone may look, only admins may change it
    admin = fake.add_user("Admin", language_code="zh-hans")
    shared = fake.add_group("语言群", members=[user], admins=[admin])
    member_talk, admin_talk = Conversation(fake, user, shared), Conversation(fake, admin, shared)
    (shown,) = await member_talk.say(f"/lang@{BOT}")
    assert "回复语言" in (shown.text or "")
    (refused,) = await member_talk.say(f"/lang@{BOT} en")
    assert "管理员" in (refused.text or "")
    (changed,) = await admin_talk.say(f"/lang@{BOT} en")
    assert "English" in (changed.text or "")
    (english,) = await member_talk.say(f"/help@{BOT}")
    assert "/search" in (english.text or "") and "Search" in (english.text or "")


async def _language_switch(fake: FakeBotApi) -> Any:
    """An English phone reading Chinese: /lang switches, buttons too; bad input changes nothing."""
    user = fake.add_user("Kim", language_code="en")
    talk = Conversation(fake, user, fake.private_chat(user))
    (before,) = await talk.say("/today")
    assert "Edition" in (before.text or "") or "edition" in (before.text or "") or \
        "2023" in (before.text or "")
    (refused,) = await talk.say("/lang klingon")
    assert "klingon" in (refused.text or "") and "/lang zh-hant" in (refused.text or "")
    (still_en,) = await talk.say("/help")
    assert "/search" in (still_en.text or "") and "Search" in (still_en.text or "")

    (done,) = await talk.say("/lang zh-hant")
    assert "繁體中文" in (done.text or "") and "回覆" in (done.text or "")
    (results,) = await talk.say("/search 台风")
    assert "共 8 條結果" in (results.text or "") and "颱風" in (results.text or "")
    (settings,) = await talk.say("/settings")
    assert "回覆語言：繁體中文" in (settings.text or "")

    (menu,) = await talk.say("/lang")
    assert "✓ 繁體中文" in _labels(menu)
    await talk.press_and_wait_edit(menu, "简体中文")
    assert "✓ 简体中文" in _labels(menu) and "回复语言" in (menu.text or "")
    (simplified,) = await talk.say("/search 台风")
    assert "共 8 条结果" in (simplified.text or "")

    (auto,) = await talk.say("/lang auto")
    assert "Automatic" in (auto.text or "")
    (english,) = await talk.say("/search 台风")
    assert "8 result(s)" in (english.text or "")
    (chosen,) = await talk.say("/lang zh-hant")  # kept for the restart check
    assert "繁體中文" in (chosen.text or "")
    # inline queries (no chat) follow the choice made in the reader's private chat
    inline = await _inline(fake, user, "台风")
    assert any("颱風" in r["title"] for r in inline.results)
    return user


async def _inline_mode(fake: FakeBotApi) -> None:
    reader = fake.add_user("Bo", language_code="zh-hans")
    answer = await _inline(fake, reader, "台风")
    assert answer.is_personal and answer.cache_time == 60
    titles = [r["title"] for r in answer.results]
    assert len(titles) == 8 and answer.next_offset == ""
    assert all("台风" in r["title"] + r.get("description", "") for r in answer.results)
    for text, _ in answer.message_texts():  # parsed by the fake as Telegram would
        assert 0 < utf16_len(text) <= TELEGRAM_TEXT_LIMIT
        assert SHARE_LINK.search(text) or "台风" in text
    assert all(r["reply_markup"]["inline_keyboard"][0][0]["url"].startswith(
        f"https://t.me/{BOT}?start=a_") for r in answer.results)

    # traditional readers get traditional characters
    hant = fake.add_user("阿美", language_code="zh-tw")
    traditional = await _inline(fake, hant, "颱風")
    assert len(traditional.results) == 8
    assert any("颱風" in r["title"] for r in traditional.results)
    assert all("台风" not in text for text, _ in traditional.message_texts())

    # paging with next_offset: 25 articles, 20 an answer
    first = await _inline(fake, reader, "防汛巡查")
    assert len(first.results) == 20 and first.next_offset == "20"
    second = await _inline(fake, reader, "防汛巡查", offset=first.next_offset)
    assert len(second.results) == FLOOD_ARTICLES - 20 and second.next_offset == ""
    assert not {r["id"] for r in first.results} & {r["id"] for r in second.results}
    forged = await _inline(fake, reader, "防汛巡查", offset="-3x")
    assert [r["id"] for r in forged.results] == [r["id"] for r in first.results]

    # an empty query: the latest edition's headlines, teasers left out
    headlines = await _inline(fake, reader, "")
    assert headlines.results and all("2023年7月31日" in r["description"]
                                     for r in headlines.results)
    assert "我区启动防台风Ⅳ级应急响应" in [r["title"] for r in headlines.results]
    assert not any("加梯任务" in r["title"] for r in headlines.results)  # the 导读 teaser

    # a long article is cut to one message with a link to the rest
    long = await _inline(fake, reader, "超长文章测试")
    (text, _), = long.message_texts()
    assert utf16_len(text) <= TELEGRAM_TEXT_LIMIT and "阅读全文" in text

    # hostile queries: answered (maybe with nothing), never an API error
    for query in HOSTILE_QUERIES:
        await _inline(fake, reader, query)
    hostile = await _inline(fake, reader, "恶意标题")
    (text, _), = hostile.message_texts()
    assert "<script>alert('x')</script>" in text
    assert not [c for c in _failed_calls(fake) if c.startswith("answerInlineQuery")]


async def _share_links(fake: FakeBotApi) -> None:
    sender = fake.add_user("Sam", language_code="zh-hans")
    talk = Conversation(fake, sender, fake.private_chat(sender))
    (results,) = await talk.say("/search 应急响应")
    label = next(label for label in _labels(results) if label.startswith("1."))
    (article,) = await talk.press_for_messages(results, label, replies=1)
    link = SHARE_LINK.search(article.text or "")
    assert link, article.text
    payload = link.group(1)
    assert len(payload) <= 64
    share = next(b for b in article.buttons if "switch_inline_query" in b)
    assert share["switch_inline_query"] == payload

    # the "share" button's query finds exactly that article in any chat
    shared = await _inline(fake, sender, payload)
    assert len(shared.results) == 1 and shared.results[0]["title"] in (article.text or "")

    # anyone opening the link gets the article, in their own language
    friend = fake.add_user("Pat", language_code="zh-hk")
    other = Conversation(fake, friend, fake.private_chat(friend))
    (opened,) = await other.say(f"/start {payload}")
    assert "應急響應" in (opened.text or "") and payload in (opened.text or "")

    # forged, cut short or overflowing payloads get a polite answer, nothing else
    number = payload.split("_")[1]
    for forged in ("a_999999999999999999999999999999", f"a_{int(number) + 1}_{payload[-10:]}",
                   payload[:-1], "a_1", "bogus", "x" * 64):
        (polite,) = await other.say(f"/start {forged}")
        assert "連結打不開" in (polite.text or "") and "/today" in (polite.text or "")


# ------------------------------------------------------------------------------------------ test


async def test_reader_experience_end_to_end(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], reader_db: str, tmp_path: Path
) -> None:
    fake_bot_api.inline_mode = True
    env = _env(fake_bot_env, reader_db)
    async with running_bot(fake_bot_api, env, tmp_path) as bot:
        await _nothing_is_silent(fake_bot_api)
        chooser = await _language_switch(fake_bot_api)
        await _inline_mode(fake_bot_api)
        await _share_links(fake_bot_api)
        assert await bot.terminate() == 0
    assert "Traceback" not in bot.log, bot.log
    assert "error handling update" not in bot.log, bot.log

    # the language choice survives a restart
    async with running_bot(fake_bot_api, env, tmp_path, name="bot2") as again:
        talk = Conversation(fake_bot_api, chooser, fake_bot_api.private_chat(chooser))
        (results,) = await talk.say("/search 台风")
        assert "共 8 條結果" in (results.text or "")
        assert await again.terminate() == 0
    assert not [c for c in _failed_calls(fake_bot_api) if not c.startswith("getUpdates")]
