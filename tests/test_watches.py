"""Keyword watches: query rules shared with search, exclusions, limits, one notice per ingest."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import ManualClock
from bot.pushes.watches import WatchNotifier
from bot.render.callback_data import CallbackCodec
from bot.search.query import QueryError
from bot.subscriptions.settings import ChatIdentity, SubscriptionService
from bot.subscriptions.watches import (
    WatchLimitError,
    WatchService,
    parse_watch_query,
)
from storage.articles import NewArticle
from storage.chats import ChatRepository
from storage.database import Database
from tests.conftest import deliveries_for_chat, store_article

NOW = datetime(2023, 8, 1, tzinfo=UTC)
CODEC = CallbackCodec("test-token")


def test_query_terms_and_exclusions_fold_like_search() -> None:
    query = parse_watch_query("蕭山  -體育")
    assert query.include == ("萧山",) and query.exclude == ("体育",)
    assert query.matches("萧山经开区新闻", "") and not query.matches("萧山新闻", "体育赛事")
    assert parse_watch_query("萧山 -体育").key == query.key
    assert parse_watch_query("经开").matches("萧山经开区招商", "")  # inside a word, like search


@pytest.mark.parametrize(("text", "key"), [
    ("", "empty"), ("-体育", "only_exclusions"), ("台风" * 60, "too_long"),
    ("!!!", "no_searchable_text"),
])
def test_unusable_queries_are_refused_with_search_reasons(text: str, key: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_watch_query(text)
    assert caught.value.key == key


def test_regular_expression_characters_are_plain_text() -> None:
    query = parse_watch_query(".* (a|b) 台风")
    assert not query.matches("任何文章", "abc")
    assert query.matches("台风", "正文里真有 (a|b) 这样的字")


async def add_articles(db: Database, *titles: str) -> None:
    async with db.session() as s:
        for title in titles:
            await store_article(
                s,
                NewArticle(paper="萧山日报", edition_date=date(2023, 7, 31), title=title,
                           content_hash=title, section="社会", paragraphs=(f"{title}。",)),
                ingested_at=NOW,
            )


async def seen(db: Database, chat_id: int) -> None:
    await SubscriptionService(db, ManualClock(NOW)).settings(ChatIdentity(chat_id))


async def test_watch_limit_is_enforced_with_a_clear_error(db: Database) -> None:
    await seen(db, 1)
    service = WatchService(db, ManualClock(NOW), limit=2)
    assert (await service.add(1, "台风")).created
    assert not (await service.add(1, "颱風")).created  # the same watch in traditional
    await service.add(1, "萧山")
    with pytest.raises(WatchLimitError):
        await service.add(1, "亚运")
    assert [w.query for w in await service.list(1)] == ["台风", "萧山"]
    assert await service.remove(1, "1") == "台风"
    assert await service.remove(1, "亚运") is None


async def test_new_matching_articles_make_one_notice_per_chat_per_ingest(db: Database) -> None:
    await add_articles(db, "昨天的台风旧闻")  # before the watch: never reported
    await seen(db, 1)
    await seen(db, 2)
    service = WatchService(db, ManualClock(NOW))
    await service.add(1, "台风")
    await service.add(1, "萧山 -体育")
    await service.add(2, "亚运")
    await add_articles(db, "台风卡努逼近", "萧山体育馆开放", "萧山经开区招商", "菜价平稳")
    notifier = WatchNotifier(db, CODEC, clock=ManualClock(NOW))
    report = await notifier.run()
    assert report.chats == [1]
    async with db.session() as s:
        [row] = await deliveries_for_chat(s, 1)
        assert await deliveries_for_chat(s, 2) == []
    text = row.parts[0]["text"]
    assert "台风卡努逼近" in text and "萧山经开区招商" in text
    assert "萧山体育馆开放" not in text and "旧闻" not in text and "菜价" not in text
    buttons = row.parts[0]["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["1", "2"]
    assert (await notifier.run()).notices == 0  # restart or second pass: nothing again


async def test_inactive_chats_get_no_notice(db: Database) -> None:
    await seen(db, 1)
    await WatchService(db, ManualClock(NOW)).add(1, "台风")
    async with db.session() as s:
        await ChatRepository(s).set_inactive(1, "bot blocked", now=NOW)
    await add_articles(db, "台风卡努逼近")
    assert (await WatchNotifier(db, CODEC, clock=ManualClock(NOW)).run()).notices == 0


async def test_watches_follow_a_group_that_becomes_a_supergroup(db: Database) -> None:
    await seen(db, -5)
    await WatchService(db, ManualClock(NOW)).add(-5, "台风")
    async with db.session() as s:
        await ChatRepository(s).migrate(-5, -1000000000005, now=NOW)
    service = WatchService(db, ManualClock(NOW))
    assert [w.query for w in await service.list(-1000000000005)] == ["台风"]
    assert await service.list(-5) == []
