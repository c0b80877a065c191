"""``newsbrief db copy``: a SQLite store with a bit of everything copied into PostgreSQL (and into
another SQLite file, which runs everywhere), then read back through the services: search, alerts,
subscriptions, watches, the outbox and sources work on the copy, and new rows get new ids.

The PostgreSQL cases run against the real server (per-test schema or database) and skip where
none answers — except in CI, where a missing server fails (``require_postgres``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.alerts.state import AlertQueryService
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings
from bot.ingest.service import IngestService
from bot.search.service import SearchService
from bot.search.tokens import index_entries
from bot.sources.service import SourceService
from bot.subscriptions.settings import ChatIdentity, SubscriptionService
from storage.chats import ChatRepository
from storage.database import Database
from storage.instance_lock import InstanceLock
from storage.models import Article
from storage.outbox import NewDelivery, Outbox
from storage.sources import SourceRepository
from storage.store_copy import (
    COPIED_TABLES,
    CopyVerificationError,
    SameDatabaseError,
    TargetNotEmptyError,
    UnknownTableError,
    copy_store,
    table_counts,
)
from storage.watches import WatchRepository
from tests.conftest import FIXTURES, deliveries_for_chat, migrated_database

PAGE = FIXTURES / "xsrb-2023-07-31-01.txt"
NOW = datetime(2023, 8, 1, 0, 30, tzinfo=UTC)
SUPERGROUP = -1001234567890  # beyond 32 bits, as Telegram's supergroup ids are
EXTRA = [
    {"title": f"湘湖防汛巡查第{n}组出发", "body": f"第{n}组巡查今日出发，检查堤坝和泵站。",
     "date": "2023-07-30", "section": "应急"}
    for n in range(1, 6)
]

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


async def fill_store(db: Database, folder: Path) -> None:
    """Something in every table: a page with an alert, more articles, three chats (one a
    supergroup), a watch, a queued delivery, a source with an item, a bot's lock generation."""
    extra = folder / "extra-2023-07-30.jsonl"
    extra.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in EXTRA) + "\n",
                     encoding="utf-8")
    await IngestService(db, Settings()).ingest([PAGE, extra])
    lock = await InstanceLock.acquire(db, fenced=True, now=NOW)  # a bot ran on it once
    await lock.release()
    clock = ManualClock(NOW)
    subscriptions = SubscriptionService(db, clock)
    for identity in (ChatIdentity(42, "private", None, "zh-hans"),
                     ChatIdentity(43, "private", None, "en"),
                     ChatIdentity(SUPERGROUP, "supergroup", "湘湖读报群", "zh-hant")):
        await subscriptions.subscribe(identity)
    source = await SourceService(db, Settings(), clock).add(
        "https://example.com/feed.xml", kind="feed"
    )
    async with db.session() as session:
        article = await session.scalar(select(Article).order_by(Article.id.desc()).limit(1))
        assert article is not None
        await WatchRepository(session).add(42, "台风", "台风", now=NOW)
        await Outbox(session).enqueue_many(
            [NewDelivery(42, "digest", "2023-08-01", [{"html": "<b>今日</b>", "keyboard": []}])],
            now=NOW,
        )
        await SourceRepository(session).record_item(
            source.id, "https://example.com/a/1", article.id, article.content_hash, NOW
        )


async def rows_of(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every copied table, in primary-key order."""
    found = {}
    async with db.engine.connect() as connection:
        for table in COPIED_TABLES:
            (key,) = table.primary_key.columns
            result = await connection.execute(select(table).order_by(key))
            found[table.name] = [dict(row._mapping) for row in result]
    return found


async def search_ids(db: Database, query: str) -> list[int]:
    page = await SearchService(db).search(query, limit=50)
    return [hit.id for hit in page.results]


@pytest.fixture
async def source(
    tmp_path: Path, migrated_sqlite_file: Path, migrated_postgres_script: str | None
) -> AsyncIterator[Database]:
    async with migrated_database("sqlite", tmp_path, migrated_sqlite_file,
                                 migrated_postgres_script, name="source.db") as database:
        await fill_store(database, tmp_path)
        yield database


@pytest.fixture(params=BACKENDS)
async def target(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_file: Path,
    migrated_postgres_script: str | None,
) -> AsyncIterator[Database]:
    """An empty, migrated database: another SQLite file, or a PostgreSQL schema."""
    async with migrated_database(request.param, tmp_path, migrated_sqlite_file,
                                 migrated_postgres_script, name="target.db") as database:
        yield database


async def test_every_row_is_copied_and_search_alerts_subscriptions_work_on_the_copy(
    source: Database, target: Database
) -> None:
    seen: list[tuple[str, int, int]] = []
    report = await copy_store(source, target, index_entries, batch_size=2,
                              progress=lambda *step: seen.append(step))

    before = await rows_of(source)
    assert all(before[table.name] for table in COPIED_TABLES), "fill_store misses a table"
    assert await rows_of(target) == before
    assert report.tables == {name: len(rows) for name, rows in before.items()}
    assert report.indexed == len(before["articles"]) == 11
    assert (await table_counts(target))["search_documents"] == 11
    assert seen == [("copying", done, 11) for done in (2, 4, 6, 8, 10, 11)]  # articles

    for query in ("台风", "防汛 巡查", "湘湖", "应急响应", "第3组"):
        assert await search_ids(target, query) == await search_ids(source, query), query
    assert await search_ids(target, "台风")
    clock = ManualClock(NOW)
    events = AlertQueryService(source, clock=clock, stale_after=None)
    copied_events = AlertQueryService(target, clock=clock, stale_after=None)
    assert await copied_events.events(include_ended=True) == await events.events(
        include_ended=True
    )
    assert await copied_events.events(include_ended=True)
    async with target.session() as session:
        subscribers = await ChatRepository(session).active_subscribers()
        assert sorted(chat.id for chat in subscribers) == sorted([42, 43, SUPERGROUP])
        assert [w.query for w in await WatchRepository(session).for_chat(42)] == ["台风"]
        assert len(await deliveries_for_chat(session, 42)) == 1


async def test_new_rows_on_the_copy_get_new_ids(
    source: Database, target: Database, tmp_path: Path
) -> None:
    """PostgreSQL's sequences are moved past the copied ids (inserting with explicit ids does
    not advance them): the next ingest, watch and delivery must not collide."""
    await copy_store(source, target, index_entries)
    newest = max(row["id"] for row in (await rows_of(target))["articles"])
    late = tmp_path / "late-2023-08-02.jsonl"
    late.write_text(json.dumps({"title": "台风过后湘湖复绿", "body": "台风过后，湘湖开始复绿。",
                                "date": "2023-08-02"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    report = await IngestService(target, Settings()).ingest([late])
    assert report.articles_new == 1 and report.articles[0].id == newest + 1
    assert (await search_ids(target, "复绿")) == [newest + 1]
    async with target.session() as session:
        assert await WatchRepository(session).add(43, "湘湖", "湘湖", now=NOW) is not None
        assert await Outbox(session).enqueue_many(
            [NewDelivery(43, "digest", "2023-08-02", [{"html": "x", "keyboard": []}])], now=NOW
        ) == 1
    await SourceService(target, Settings(), ManualClock(NOW)).add("https://example.com/b.xml")


async def test_a_target_with_data_is_refused_and_left_alone_unless_replace(
    source: Database, target: Database
) -> None:
    await copy_store(source, target, index_entries)
    async with source.session() as session:  # the source moves on: one chat more
        await ChatRepository(session).upsert_seen(44, now=NOW, language="en")
    with pytest.raises(TargetNotEmptyError, match="--replace"):
        await copy_store(source, target, index_entries)
    assert (await table_counts(target))["chats"] == 3
    report = await copy_store(source, target, index_entries, replace=True)
    assert report.replaced and report.tables["chats"] == 4
    assert await rows_of(target) == await rows_of(source)
    assert (await table_counts(target))["search_documents"] == 11


async def test_a_failed_copy_leaves_the_target_empty(source: Database, target: Database) -> None:
    """One transaction: a failure after some tables were written rolls all of them back."""
    def broken_tokenizer(articles: Sequence[Article]) -> list[Any]:
        raise RuntimeError("tokenizer crashed")

    with pytest.raises(RuntimeError, match="tokenizer crashed"):
        await copy_store(source, target, broken_tokenizer)
    assert set((await table_counts(target)).values()) == {0}

    def forgetful(articles: Sequence[Article]) -> list[Any]:
        return index_entries(articles[1:])  # one article per batch left out of the index

    with pytest.raises(CopyVerificationError, match="search index"):
        await copy_store(source, target, forgetful)
    assert set((await table_counts(target)).values()) == {0}


async def test_copying_onto_itself_or_with_an_unknown_table_is_refused(
    source: Database, target: Database
) -> None:
    same = Database(str(source.url))
    try:
        with pytest.raises(SameDatabaseError):
            await copy_store(source, same, index_entries)
    finally:
        await same.dispose()
    async with source.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE reader_notes (id INTEGER PRIMARY KEY)"))
    with pytest.raises(UnknownTableError, match="reader_notes"):
        await copy_store(source, target, index_entries)
    assert set((await table_counts(target)).values()) == {0}


# --- the command ------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.postgres
async def test_db_copy_command_sqlite_to_postgresql(
    capsys: pytest.CaptureFixture[str], source: Database,
    postgres_database_url: Callable[[], Awaitable[str]],
) -> None:
    """The README's migration, as the operator types it: a plain postgresql:// URL."""
    url = await postgres_database_url()
    source_url = str(source.url.set(drivername="sqlite"))
    await source.dispose()
    code, out, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                      "--to", url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["verified"] and report["tables"]["articles"] == report["indexed"] == 11
    assert report["target"].startswith("postgresql+asyncpg://postgres@")
    code, out, _ = await _in_thread(run, capsys, "search", "湘湖", "--db", url, "--json")
    assert code == 0 and json.loads(out)["total"] == 6

    code, _, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url, "--to", url)
    assert code == 1 and "not empty" in err and "--replace" in err
    code, out, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url, "--to", url,
                                      "--replace")
    assert code == 0 and "counts verified (target replaced)" in out, err


async def test_db_copy_command_refuses_while_a_bot_runs_and_on_bad_urls(
    capsys: pytest.CaptureFixture[str], source: Database, tmp_path: Path
) -> None:
    source_url = str(source.url.set(drivername="sqlite"))
    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    lock = await InstanceLock.acquire(source)  # what `newsbrief run` holds
    try:
        code, _, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                        "--to", copy_url)
        assert code == 1 and "stop it first" in err
    finally:
        await lock.release()
    code, _, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                    "--to", "mysql://x/y")
    assert code == 2 and "unsupported database" in err
    code, _, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                    "--to", source_url)
    assert code == 2 and "names the database being copied" in err
    # Nothing listens on port 1: a clear "cannot open", exit 1, no traceback.
    code, _, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                    "--to", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 1 and "cannot open database" in err and "Traceback" not in err
    code, out, err = await _in_thread(run, capsys, "db", "copy", "--db", source_url,
                                      "--to", copy_url)
    assert code == 0 and "counts verified" in out and "search index rebuilt for 11" in out, err


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """``main`` runs its own event loop (asyncio.run), so it cannot run inside this test's."""
    import asyncio

    return await asyncio.to_thread(function, *args)
