"""Writers that share SQLite politely: a reader's change waits out another writer's lock (a CLI
ingest, stored in short transactions) and is retried instead of failing with "database is
locked" (issue 18 point 6)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from telegram import Bot

from bot.clock import Clock, ManualClock, SystemClock
from bot.config import Settings
from bot.delivery.limits import DeliveryLimits
from bot.delivery.sender import DeliveryQueue, DeliverySender
from bot.ingest.service import IngestReport, IngestService
from bot.pushes.alerts import AlertNotifier
from bot.pushes.digests import DigestScheduler
from bot.pushes.watches import WatchNotifier
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Html
from bot.render.parts import MessagePart
from bot.search.browse import BrowseService
from bot.sources.fetch import Fetched
from bot.sources.service import SourceService
from bot.subscriptions import ChatIdentity, ChatService, SubscriptionService, WatchService
from bot.subscriptions.language import LanguageService
from bot.text import segmentation
from storage.chats import ChatRepository
from storage.database import Database, DatabaseBusyError, is_lock_conflict
from storage.models import Chat
from storage.outbox import Claimed, DueDelivery, NewDelivery

REPO = Path(__file__).resolve().parents[1]
WHO = ChatIdentity(42, "private", None, "zh-hans")
SHORT_BUSY_MS = 50  # SQLite's own wait, shorter than any ingest batch: the retry must do the rest


@pytest.fixture
def sqlite_file(tmp_path: Path, migrated_sqlite_file: Path) -> Path:
    path = tmp_path / "shared.db"
    shutil.copyfile(migrated_sqlite_file, path)
    return path


class _LockMet(logging.Handler):
    """Set when the store logs that a write met another writer's lock and will retry."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.met = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "locked by another writer" in record.getMessage():
            self.met.set()


def _hold_write_lock(
    path: Path, seconds: float, *, until: threading.Event | None = None
) -> threading.Thread:
    """Another process's writer: takes the write lock now, commits after ``seconds``, or with
    ``until``, once that event is set (and ``seconds`` more, so a retry meets the lock too).

    ``until`` keeps a test from depending on how long a path computes before it writes (a page's
    parse on a slow CI machine outlasted a fixed 0.4 s hold); it is waited for at most 30 s, so a
    path that never writes cannot hang the suite."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        if until is not None:
            until.wait(30.0)
        threading.Event().wait(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


async def test_a_subscription_change_waits_out_another_writer(sqlite_file: Path) -> None:
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS)
    try:
        holder = _hold_write_lock(sqlite_file, 0.5)
        result = await SubscriptionService(db).subscribe(WHO)
        holder.join()
        assert result.changed
        assert (await SubscriptionService(db).settings(WHO)).subscribed
    finally:
        await db.dispose()


async def test_a_lock_held_too_long_fails_as_busy_and_stores_nothing(sqlite_file: Path) -> None:
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS,
                  lock_retry_delays=(0.01, 0.01))
    holder = _hold_write_lock(sqlite_file, 1.0)
    try:
        with pytest.raises(DatabaseBusyError) as raised:
            await SubscriptionService(db).subscribe(WHO)
        assert is_lock_conflict(raised.value.__cause__)  # typed, with SQLite's refusal kept
    finally:
        holder.join()
    try:
        assert not (await SubscriptionService(db).settings(WHO)).subscribed
    finally:
        await db.dispose()


async def test_retries_stop_at_the_wait_budget_not_after_every_delay(sqlite_file: Path) -> None:
    """A reader is told the store is busy after the budget, not kept waiting through every
    retry (with the default busy timeout each try may wait 10 s: nine tries were ~98 s)."""
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS,
                  lock_retry_delays=(0.1,) * 50, lock_wait_budget=0.3)
    attempts = 0

    async def touch(session):  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        await session.execute(text("UPDATE chats SET title = title"))  # takes the write lock

    holder = _hold_write_lock(sqlite_file, 3.0)
    try:
        with pytest.raises(DatabaseBusyError):
            await db.write(touch)
        assert 2 <= attempts <= 5  # 0.3 s of 0.1 s delays, not 51 tries
    finally:
        holder.join()
        await db.dispose()


async def test_other_database_errors_are_not_retried(sqlite_file: Path) -> None:
    db = Database(f"sqlite:///{sqlite_file}")
    attempts = 0

    async def broken(session):  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        await session.execute(text("INSERT INTO no_such_table VALUES (1)"))

    try:
        with pytest.raises(OperationalError) as raised:
            await db.write(broken)
        assert not is_lock_conflict(raised.value) and attempts == 1
    finally:
        await db.dispose()


async def test_bot_writes_succeed_while_a_cli_ingest_of_a_large_file_runs(
    sqlite_file: Path, tmp_path: Path
) -> None:
    """The ingest runs as the operator runs it (``python -m bot ingest``, another process)."""
    articles = tmp_path / "large.jsonl"
    with articles.open("w", encoding="utf-8") as out:
        for n in range(2000):
            out.write(json.dumps({"title": f"第{n}条 经开区要闻", "date": "2023-07-31",
                                  "body": f"第{n}条正文，台风天气注意安全。" * 20},
                                 ensure_ascii=False) + "\n")
    env = {**os.environ, "NEWSBRIEF_DATABASE_URL": f"sqlite:///{sqlite_file}"}
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(articles)], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS)
    service = SubscriptionService(db)
    changes = 0
    try:
        await service.subscribe(WHO)
        while ingest.poll() is None:
            await service.toggle_alerts(WHO.chat_id)  # a reader pressing a settings button
            changes += 1
            await asyncio.sleep(0.05)
        assert ingest.wait() == 0, ingest.stderr.read().decode() if ingest.stderr else ""
    finally:
        if ingest.poll() is None:
            ingest.kill()
        await db.dispose()
    assert changes > 0
    check = Database(f"sqlite:///{sqlite_file}")
    try:
        async with check.session() as session:
            stored = await session.scalar(text("SELECT count(*) FROM articles"))
    finally:
        await check.dispose()
    assert stored == 2000


# --- every write a reader's update (or an admin's upload) triggers ------------------------------

CODEC = CallbackCodec("test-secret")
PAGE = "xsrb-2023-07-31-01.txt"  # a page whose article starts a typhoon response (an alert)
GROUP, SUPERGROUP = -4001, -1004001
NOW = datetime(2023, 7, 31, 0, 30, tzinfo=UTC)


async def _chat(db: Database, chat_id: int = WHO.chat_id, **settings: object) -> None:
    async with db.session() as session:
        chats = ChatRepository(session)
        await chats.upsert_seen(chat_id, now=NOW, type="group" if chat_id < 0 else "private")
        await chats.update_settings(chat_id, now=NOW, subscribed=True, **settings)


async def _page(db: Database, fixtures_dir: Path) -> IngestReport:
    return await IngestService(db, Settings()).ingest([fixtures_dir / PAGE])


async def _get_chat(db: Database, chat_id: int = WHO.chat_id) -> Chat | None:
    async with db.session() as session:
        return await ChatRepository(session).get(chat_id)


async def _scalar(db: Database, sql: str) -> object:
    async with db.session() as session:
        return await session.scalar(text(sql))


def _sender(
    db: Database, monkeypatch: pytest.MonkeyPatch, *, clock: Clock | None = None,
    limits: DeliveryLimits | None = None,
) -> DeliverySender:
    """A sender whose own outbox transaction is a no-op: what runs under the lock is only the
    chat write (deactivate / migrate) that follows it."""
    sender = DeliverySender(db, Bot("1:test"), clock=clock or ManualClock(NOW), limits=limits)

    async def nothing_claimed(*_args: object, **_kwargs: object) -> Claimed:
        return Claimed([], None)

    monkeypatch.setattr(sender._store, "transact", nothing_claimed)
    return sender


def _row(chat_id: int) -> DueDelivery:
    return DueDelivery(id=1, chat_id=chat_id, kind="digest", ref="2023-07-31", priority=0,
                       parts=(), sent_message_ids=(), plain_text=False, attempts=0)


async def _sender_outcome(sender: DeliverySender, done: object) -> None:
    sender._done = [done]  # type: ignore[list-item]
    await sender._transact(claim=0)


async def _chat_with_stale_claim(db: Database, _fixtures: Path) -> None:
    """A delivery claimed a day ago by a run that was killed mid-send (older than any lease)."""
    await _chat(db)
    await DeliveryQueue(db, ManualClock(NOW)).enqueue_many(
        [NewDelivery(WHO.chat_id, "digest", "2023-07-31", [MessagePart(Html("x")).to_outbox()])])
    async with db.session() as session:
        await session.execute(text("UPDATE deliveries SET status = 'claimed', claimed_at = :at"),
                              {"at": NOW - timedelta(days=1)})


@dataclass(frozen=True)
class WritePath:
    """``setup`` runs before another writer takes the lock, ``act`` while it holds it, ``check``
    after: True when what ``act`` should have written is there."""

    setup: Callable[[Database, Path], Awaitable[object]]
    act: Callable[[Database, pytest.MonkeyPatch], Awaitable[object]]
    check: Callable[[Database], Awaitable[bool]]


async def _nothing(db: Database, fixtures_dir: Path) -> None:
    return None


async def _chat_and_page(db: Database, fixtures_dir: Path) -> None:
    await _chat(db)
    await _page(db, fixtures_dir)


async def _chat_watch_page(db: Database, fixtures_dir: Path) -> None:
    await _chat(db)
    await WatchService(db).add(WHO.chat_id, "台风")
    await _page(db, fixtures_dir)


async def _chat_with_watch(db: Database, fixtures_dir: Path) -> None:
    await _chat(db)
    await WatchService(db).add(WHO.chat_id, "台风")


async def _source(db: Database, fixtures_dir: Path) -> None:
    await SourceService(db, Settings(), ManualClock(NOW)).add("https://example.org/feed.xml")


async def _watches(db: Database) -> list[str]:
    return [w.query for w in await WatchService(db).list(WHO.chat_id)]


async def _upload(db: Database, _mp: pytest.MonkeyPatch) -> None:
    data = (Path(__file__).parent / "fixtures" / PAGE).read_bytes()
    report = await IngestService(db, Settings()).ingest_upload(PAGE, data)
    assert report.articles_new == len(report.articles) > 0  # reported once, as committed


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>萧山</title>
<item><guid>a1</guid><title>台风“杜苏芮”逼近 我区启动防台风Ⅳ级应急响应</title>
<link>https://example.org/a1</link><content:encoded>&lt;p&gt;区防汛防台抗旱指挥部决定，
自7月27日12时起启动防台风Ⅳ级应急响应。全区各部门、各镇街要做好防御准备，加强值班值守，
落实各项防范措施，确保人民群众生命财产安全。&lt;/p&gt;</content:encoded>
</item></channel></rss>""".encode()


class _FeedFetcher:
    """The network's part of a poll, answered at once: the lock is what the poll meets."""

    async def get(self, url: str, **_: object) -> Fetched:
        return Fetched(url, 200, FEED, "application/rss+xml", "utf-8", '"v1"', None)


async def _source_ready_to_poll(db: Database, fixtures_dir: Path) -> None:
    await _source(db, fixtures_dir)
    segmentation.load()  # jieba's first load takes longer than the lock is held


async def _poll(db: Database, _mp: pytest.MonkeyPatch) -> None:
    service = SourceService(db, Settings(), ManualClock(NOW))
    [source] = await service.sources()
    result = await service.poll_source(source, _FeedFetcher())  # type: ignore[arg-type]
    assert (result.status, result.articles_new) == ("ok", 1), result.error  # counted once


async def _digest_pass(db: Database, _mp: pytest.MonkeyPatch) -> None:
    report = await DigestScheduler(db, CODEC, paper="萧山日报", clock=ManualClock(NOW)).run_due()
    assert (report.due, report.enqueued) == (1, 1)  # counted once, as committed


WRITE_PATHS: dict[str, WritePath] = {
    "chat registered by an update": WritePath(
        _nothing,
        lambda db, _mp: SubscriptionService(db).settings(WHO),
        lambda db: _exists(_get_chat(db)),
    ),
    "/lang": WritePath(
        _nothing,
        lambda db, _mp: LanguageService(db).choose(WHO, "en"),
        lambda db: _holds(_get_chat(db), lambda c: c.reply_language == "en"),
    ),
    "bot blocked (my_chat_member)": WritePath(
        lambda db, _f: _chat(db),
        lambda db, _mp: ChatService(db).member_status_changed(WHO.chat_id, "kicked"),
        lambda db: _holds(_get_chat(db), lambda c: not c.active),
    ),
    "bot added back (my_chat_member)": WritePath(
        _nothing,
        lambda db, _mp: ChatService(db).member_status_changed(GROUP, "member", chat_type="group"),
        lambda db: _holds(_get_chat(db, GROUP), lambda c: c.active),
    ),
    "/watch": WritePath(
        lambda db, _f: _chat(db),
        lambda db, _mp: WatchService(db).add(WHO.chat_id, "台风"),
        lambda db: _equals(_watches(db), ["台风"]),
    ),
    "/unwatch": WritePath(
        _chat_with_watch,
        lambda db, _mp: WatchService(db).remove(WHO.chat_id, "1"),
        lambda db: _equals(_watches(db), []),
    ),
    "unwatch button": WritePath(
        _chat_with_watch,
        lambda db, _mp: WatchService(db).remove_id(WHO.chat_id, 1),
        lambda db: _equals(_watches(db), []),
    ),
    "admin section button": WritePath(
        _chat_and_page,
        lambda db, _mp: BrowseService(db).set_section(1, "应急"),
        lambda db: _equals(_scalar(db, "SELECT section_source FROM articles WHERE id = 1"),
                           "operator"),
    ),
    "/sources add": WritePath(
        _nothing,
        lambda db, _mp: SourceService(db, Settings(), ManualClock(NOW)).add(
            "https://example.org/feed.xml"),
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM sources"), 1),
    ),
    "/sources pause": WritePath(
        _source,
        lambda db, _mp: SourceService(db, Settings(), ManualClock(NOW)).set_paused(1, True),
        lambda db: _equals(_scalar(db, "SELECT paused FROM sources"), 1),
    ),
    "/sources remove": WritePath(
        _source,
        lambda db, _mp: SourceService(db, Settings(), ManualClock(NOW)).remove(1),
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM sources"), 0),
    ),
    "DeliveryQueue.enqueue_many": WritePath(
        lambda db, _f: _chat(db),
        lambda db, _mp: DeliveryQueue(db, ManualClock(NOW)).enqueue_many([NewDelivery(
            WHO.chat_id, "alert", "e1", [MessagePart(Html("台风")).to_outbox()])]),
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM deliveries"), 1),
    ),
    "sender: chat unreachable": WritePath(
        lambda db, _f: _chat(db),
        lambda db, mp: _sender_outcome(
            s := _sender(db, mp), s._deactivate(_row(WHO.chat_id), "Forbidden: blocked")),
        lambda db: _holds(_get_chat(db), lambda c: not c.active),
    ),
    "sender: group migrated": WritePath(
        lambda db, _f: _chat(db, GROUP),
        lambda db, mp: _sender_outcome(
            s := _sender(db, mp), s._migrate(_row(GROUP), SUPERGROUP)),
        lambda db: _holds(_get_chat(db, SUPERGROUP), lambda c: c.active and c.subscribed),
    ),
    "sender: claims of a crashed run released": WritePath(
        _chat_with_stale_claim,
        lambda db, mp: _sender(db, mp)._release_stale_claims(first=True),
        lambda db: _equals(_scalar(db, "SELECT status FROM deliveries"), "pending"),
    ),
    "upload: ingest batch": WritePath(
        _nothing,
        _upload,
        lambda db: _holds_value(_scalar(db, "SELECT count(*) FROM articles"), bool),
    ),
    "upload: alert pass": WritePath(
        _chat_and_page,
        lambda db, _mp: AlertNotifier(db, CODEC, ManualClock(NOW)).queue_pending(),
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM deliveries WHERE kind = 'alert'"),
                           1),
    ),
    "job: source poll": WritePath(
        _source_ready_to_poll,
        _poll,
        lambda db: _equals(_scalar(db, "SELECT consecutive_failures || ' ' || "
                                       "(SELECT count(*) FROM source_items) FROM sources"),
                           "0 1"),
    ),
    "job: digest pass": WritePath(
        _chat_and_page,
        _digest_pass,
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM deliveries WHERE kind = 'digest'"),
                           1),
    ),
    "upload: watch pass": WritePath(
        _chat_watch_page,
        lambda db, _mp: WatchNotifier(db, CODEC, clock=ManualClock(NOW)).run(),
        lambda db: _equals(_scalar(db, "SELECT count(*) FROM deliveries WHERE kind = 'watch'"),
                           1),
    ),
}


async def _exists(found: Awaitable[object]) -> bool:
    return await found is not None


async def _holds(found: Awaitable[Chat | None], test: Callable[[Chat], bool]) -> bool:
    chat = await found
    return chat is not None and test(chat)


async def _holds_value(found: Awaitable[object], test: Callable[[object], bool]) -> bool:
    return test(await found)


async def _equals(found: Awaitable[object], expected: object) -> bool:
    return await found == expected


@pytest.mark.parametrize("name", list(WRITE_PATHS))
async def test_every_reader_write_waits_out_another_writer(
    name: str, sqlite_file: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another writer (a CLI ingest's batch) holds the write lock while the path runs, until the
    path has met it: the path waits it out and its change is stored, instead of "database is
    locked" (which a handler answers with the generic error)."""
    path = WRITE_PATHS[name]
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS)
    store_log = logging.getLogger("storage.database")
    lock_met = _LockMet()
    try:
        await path.setup(db, fixtures_dir)
        store_log.addHandler(lock_met)
        caplog.set_level(logging.INFO, logger="storage.database")
        holder = _hold_write_lock(sqlite_file, 0.2, until=lock_met.met)
        try:
            await path.act(db, monkeypatch)
        finally:
            lock_met.met.set()  # release the holder even when the path failed
            holder.join()
        assert await path.check(db), f"{name}: nothing stored"
        assert "database is locked by another writer" in caplog.text  # it did meet the lock
    finally:
        store_log.removeHandler(lock_met)
        await db.dispose()


async def test_a_sender_chat_write_refused_as_busy_is_one_log_line_and_keeps_the_row(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock outlasts the retries: the sender says so in one line (no traceback), counts
    nothing, and goes on; the chat stays as it was until the row is tried again."""
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS,
                  lock_retry_delays=(0.01, 0.01), lock_wait_budget=0.1)
    try:
        await _chat(db)
        sender = _sender(db, monkeypatch)
        holder = _hold_write_lock(sqlite_file, 1.0)
        try:
            with caplog.at_level(logging.ERROR, logger="newsbrief.delivery"):
                await _sender_outcome(sender, sender._deactivate(_row(WHO.chat_id), "blocked"))
        finally:
            holder.join()
        [record] = [r for r in caplog.records if "recording the outcome failed" in r.message]
        assert record.exc_info is None and "locked by another writer" in record.getMessage()
        assert sender.stats.chats_deactivated == 0
        assert await _holds(_get_chat(db), lambda c: c.active)
    finally:
        await db.dispose()


async def test_the_sender_loop_outlasts_a_lock_longer_than_its_budget_in_one_line_each_try(
    sqlite_file: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At start the sender releases a crashed run's claims; another writer holds the lock past
    the retry budget: the loop says so in one line per try (no traceback), backs off, and
    releases the claim once the lock is gone."""
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS,
                  lock_retry_delays=(0.01, 0.01), lock_wait_budget=0.1)
    sender = _sender(db, monkeypatch, clock=SystemClock(),
                     limits=DeliveryLimits(backoff_base=0.05, backoff_max=0.2))
    try:
        await _chat_with_stale_claim(db, fixtures_dir)
        holder = _hold_write_lock(sqlite_file, 0.6)
        try:
            with caplog.at_level(logging.WARNING, logger="newsbrief.delivery"):
                await sender.start()
                await asyncio.to_thread(holder.join)  # the loop runs meanwhile
                for _ in range(100):  # the next try after the back-off
                    if await _scalar(db, "SELECT status FROM deliveries") == "pending":
                        break
                    await asyncio.sleep(0.05)
        finally:
            await sender.stop()
        assert await _scalar(db, "SELECT status FROM deliveries") == "pending"
        busy = [r for r in caplog.records if "locked by another writer" in r.getMessage()]
        assert busy, "the loop never met the lock"
        assert all(r.exc_info is None and r.levelno == logging.WARNING for r in busy)
        assert sender.stats.claims_released == 1
    finally:
        await db.dispose()


async def test_a_read_modify_write_holds_the_lock_from_its_first_read(sqlite_file: Path) -> None:
    """Database.write begins with the write lock (BEGIN IMMEDIATE): another writer cannot commit
    between the work's read and its write, so the work's change is never based on a stale read.
    Before, pysqlite began the transaction only at the first UPDATE: the other writer's title
    was committed in between and then overwritten (a lost update)."""
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS)
    others: list[str] = []
    try:
        await _chat(db)
        async with db.session() as session:
            await session.execute(text("UPDATE chats SET title = 'Readers'"))

        async def rename(session):  # type: ignore[no-untyped-def]
            title = (await session.execute(text("SELECT title FROM chats"))).scalar()
            other = sqlite3.connect(sqlite_file, timeout=0.1)
            try:  # another program renames the chat now, between our read and our write
                other.execute("UPDATE chats SET title = 'renamed elsewhere'")
                other.commit()
                others.append("committed")
            except sqlite3.OperationalError:
                others.append("waited")
            finally:
                other.close()
            await session.execute(text("UPDATE chats SET title = :t"), {"t": f"{title} (seen)"})

        await db.write(rename)
        assert others == ["waited"]
        assert await _scalar(db, "SELECT title FROM chats") == "Readers (seen)"
    finally:
        await db.dispose()
