"""Issue 18, inputs: bounded decompression, regular files only, the settle rule, work off the
event loop, escaped file names, and one clear line for each error an operator can act on."""

from __future__ import annotations

import gzip
import json
import logging
import os
import sqlite3
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import bot.ingest.service as ingest_service
import storage.database as database_module
from bot.app.jobs import FeedJob
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings
from bot.ingest.inbox import Inbox, InboxFolderError
from bot.ingest.service import IngestService
from bot.ingest.source_files import (
    FileIdentity,
    UnusableInputError,
    gunzip_bounded,
    read_regular_file,
)
from bot.ingest.uploads import UploadRefusedError, UploadService
from storage.articles import ArticleRepository
from storage.database import (
    Database,
    DatabaseBusyError,
    DatabaseFullError,
    DatabaseReadOnlyError,
)

PAGE = "xsrb-2023-07-31-01.txt"
MB = 1024 * 1024


async def _articles(db: Database) -> int:
    async with db.session() as session:
        return await ArticleRepository(session).count()


def _jsonl_lines(count: int) -> bytes:
    return b"".join(
        json.dumps({"title": f"标题{i}", "body": "正文。" * 20, "date": "2023-07-31"},
                   ensure_ascii=False).encode() + b"\n"
        for i in range(count)
    )


# --- point 2: decompression is bounded while streaming ---------------------------------------


async def test_a_gzip_past_the_input_limit_is_refused_and_stores_nothing(
    db: Database, tmp_path: Path
) -> None:
    data = _jsonl_lines(20_000)  # ~4 MB of valid articles, the limit is 1 MB
    path = tmp_path / "list-2023-07-31.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    settings = Settings(max_input_bytes=MB)
    with pytest.raises(UnusableInputError, match="NEWSBRIEF_MAX_INPUT_MB"):
        await IngestService(db, settings).ingest([path])
    with pytest.raises(UploadRefusedError, match="decompresses to more than 1 MB"):
        await UploadService(db, settings).ingest_upload(path.name, path.read_bytes(), None)
    assert await _articles(db) == 0


def test_decompression_stops_at_the_limit_instead_of_inflating_the_bomb() -> None:
    bomb = gzip.compress(b" " * (256 * MB), compresslevel=1)  # ~250 KB of gzip
    tracemalloc.start()
    try:
        with pytest.raises(UnusableInputError, match="more than 4 MB"):
            gunzip_bounded(bomb, 4 * MB, "bomb.jsonl.gz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * MB  # the whole 256 MB is never held


def test_concatenated_gzip_members_are_all_read() -> None:
    assert gunzip_bounded(gzip.compress(b"a\n") + gzip.compress(b"b\n"), MB, "x") == b"a\nb\n"
    with pytest.raises(UnusableInputError, match="gzip"):
        gunzip_bounded(gzip.compress(b"abc" * 1000)[:-20], MB, "x")


def test_the_limit_is_a_setting() -> None:
    assert Settings.from_env({"NEWSBRIEF_MAX_INPUT_MB": "3"}, None).max_input_bytes == 3 * MB
    assert Settings.from_env({}, None).max_input_bytes == 200 * MB


# --- point 3: regular files only ---------------------------------------------------------------


def _inbox(db: Database, folder: Path, clock: ManualClock | None = None, **kwargs) -> Inbox:
    folder.mkdir(exist_ok=True)
    return Inbox(folder, IngestService(db, Settings()), clock=clock, **kwargs)


async def test_a_symlink_out_of_the_folder_is_not_loaded(
    db: Database, tmp_path: Path, fixtures_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    (inbox_dir / PAGE).symlink_to(fixtures_dir / PAGE)
    os.mkfifo(inbox_dir / "xsrb-2023-07-31-02.txt")
    inbox = _inbox(db, inbox_dir, settle_seconds=0)
    with caplog.at_level(logging.WARNING, logger="bot.ingest.inbox"):
        assert await inbox.process_once() == []
        assert await inbox.process_once() == []
    assert await _articles(db) == 0
    assert (inbox_dir / PAGE).is_symlink()  # left where it is, reported once
    skipped = [r for r in caplog.records if "not a regular file" in r.getMessage()]
    assert len(skipped) == 2


def test_reading_refuses_symlinks_fifos_and_oversized_files(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(fixtures_dir / PAGE)
    with pytest.raises(UnusableInputError, match="symbolic link"):
        read_regular_file(link, max_bytes=MB)
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnusableInputError, match="not a regular file"):
        read_regular_file(fifo, max_bytes=MB)  # O_NONBLOCK: no writer, no hang
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UnusableInputError, match="too large"):
        read_regular_file(big, max_bytes=1024)


# --- point 7: the settle rule --------------------------------------------------------------------


def _now_clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


def _age(path: Path, clock: ManualClock, seconds: float) -> None:
    stamp = clock.now().timestamp() - seconds
    os.utime(path, (stamp, stamp))


async def test_a_half_written_page_whose_writer_paused_is_not_loaded(
    db: Database, tmp_path: Path, fixtures_dir: Path
) -> None:
    text = (fixtures_dir / PAGE).read_text("utf-8")
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    page = inbox_dir / PAGE
    page.write_text(text[: len(text) // 3], "utf-8")
    clock = _now_clock()
    inbox = _inbox(db, inbox_dir, clock)  # the default settle window
    _age(page, clock, 3)  # the writer paused 3 s
    assert await inbox.process_once() == []
    clock.advance(timedelta(seconds=5))
    _age(page, clock, 8)
    assert await inbox.process_once() == []
    assert await _articles(db) == 0
    page.write_text(text, "utf-8")  # the writer finishes
    _age(page, clock, 0)
    assert await inbox.process_once() == []
    clock.advance(timedelta(seconds=11))
    _age(page, clock, 11)
    [outcome] = await inbox.process_once()
    assert outcome.report is not None and outcome.report.articles_new == 6


async def test_a_file_that_changes_while_read_is_retried_not_half_stored(
    db: Database, tmp_path: Path, fixtures_dir: Path
) -> None:
    text = (fixtures_dir / PAGE).read_text("utf-8")
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    page = inbox_dir / PAGE
    page.write_text(text[: len(text) // 2], "utf-8")
    clock = _now_clock()

    def read_while_writer_resumes(path: Path, limit: int) -> tuple[bytes, FileIdentity]:
        data, identity = read_regular_file(path, max_bytes=limit)
        if len(data) < len(text.encode()):
            path.write_text(text, "utf-8")
        return data, identity

    inbox = _inbox(db, inbox_dir, clock, settle_seconds=2, read_file=read_while_writer_resumes)
    _age(page, clock, 5)
    assert await inbox.process_once() == []  # first sighting
    assert await inbox.process_once() == []  # read, but it changed: left in place
    assert page.exists() and await _articles(db) == 0
    clock.advance(timedelta(seconds=3))
    _age(page, clock, 3)
    assert await inbox.process_once() == []
    [outcome] = await inbox.process_once()
    assert outcome.report is not None and outcome.report.articles_new == 6


async def test_a_future_mtime_is_processed_after_the_window_and_reported(
    db: Database, tmp_path: Path, fixtures_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    page = inbox_dir / PAGE
    page.write_bytes((fixtures_dir / PAGE).read_bytes())
    clock = _now_clock()
    _age(page, clock, -86_400)  # a day ahead
    inbox = _inbox(db, inbox_dir, clock)
    assert await inbox.process_once() == []
    assert await inbox.process_once() == []
    clock.advance(timedelta(seconds=11))
    with caplog.at_level(logging.WARNING, logger="bot.ingest.inbox"):
        [outcome] = await inbox.process_once()
    assert outcome.ok
    assert any("in the future" in r.getMessage() for r in caplog.records)


# --- point 8: reading and parsing off the event loop --------------------------------------------


async def test_upload_and_drop_folder_parse_in_a_worker_thread(
    db: Database, tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    parse = ingest_service.parse_page

    def recording_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return parse(*args, **kwargs)

    monkeypatch.setattr(ingest_service, "parse_page", recording_parse)
    data = (fixtures_dir / PAGE).read_bytes()
    await UploadService(db, Settings()).ingest_upload(PAGE, data, None)
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    (inbox_dir / "xsrb-2023-08-01-01.txt").write_bytes(data)
    await _inbox(db, inbox_dir, settle_seconds=0).process_once()
    assert len(threads) == 2
    assert all(thread is not threading.main_thread() for thread in threads)


# --- point 12: escaped names in logs -------------------------------------------------------------


async def test_a_newline_in_a_file_name_cannot_forge_a_log_line(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    name = "x\n2026-12-05 CRITICAL newsbrief: forged.txt"
    (inbox_dir / name).write_text("萧山新闻。\n" * 5, "utf-8")
    with caplog.at_level(logging.INFO, logger="bot.ingest.inbox"):
        [outcome] = await _inbox(db, inbox_dir, settle_seconds=0).process_once()
    assert not outcome.ok
    messages = [r.getMessage() for r in caplog.records]
    assert messages and all("\n" not in m for m in messages)
    assert any("\\n2026-12-05 CRITICAL" in m for m in messages)


# --- point 11: one clear line ---------------------------------------------------------------------


def _fake_bot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9")


@pytest.mark.parametrize("broken", ["inbox", "done"])
def test_run_with_an_inbox_that_is_a_file_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    broken: str,
) -> None:
    _fake_bot_env(monkeypatch, tmp_path)
    inbox_dir = tmp_path / "inbox"
    if broken == "inbox":
        inbox_dir.write_text("not a folder")
    else:
        inbox_dir.mkdir()
        (inbox_dir / "done").write_text("not a folder")
    monkeypatch.setenv("NEWSBRIEF_INBOX", str(inbox_dir))
    code = main(["run", "--db", f"sqlite:///{tmp_path / 'bot.db'}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "is a file, not a folder" in err


async def test_a_read_only_database_is_detected_at_start(
    tmp_path: Path, migrated_sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = database_module._on_sqlite_connect

    def read_only(dbapi_connection, record, *args):  # type: ignore[no-untyped-def]
        connect(dbapi_connection, record, *args)
        dbapi_connection.cursor().execute("PRAGMA query_only=ON")

    monkeypatch.setattr(database_module, "_on_sqlite_connect", read_only)
    path = tmp_path / "ro.db"
    path.write_bytes(migrated_sqlite_file.read_bytes())
    db = Database(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseReadOnlyError, match="read-only for this user"):
            await db.check_writable()
        with pytest.raises(DatabaseReadOnlyError):
            async with db.session() as session:
                await session.execute(text("PRAGMA user_version=1"))
    finally:
        await db.dispose()


def _disk_full() -> OperationalError:
    orig = sqlite3.OperationalError("database or disk is full")
    orig.sqlite_errorcode = 13  # type: ignore[attr-defined]
    return OperationalError("INSERT INTO articles …", {}, orig)


def test_ingest_on_a_full_disk_is_one_line(
    tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)

    async def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise _disk_full()

    monkeypatch.setattr(ArticleRepository, "add_many", full)
    code = main(["ingest", str(fixtures_dir / PAGE), "--db", f"sqlite:///{tmp_path / 'f.db'}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err and "INSERT" not in err
    assert "is full; nothing was stored" in err


async def test_the_feed_job_logs_a_failure_once_per_interval_with_a_count(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _now_clock()
    inbox = _inbox(db, tmp_path / "inbox", settle_seconds=0)

    async def full() -> list:  # type: ignore[type-arg]
        raise DatabaseFullError("the disk holding database x is full; nothing was stored")

    monkeypatch.setattr(inbox, "process_once", full)
    job = FeedJob(None, inbox=inbox, interval=5, clock=clock)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="bot.app.jobs"):
        for _ in range(200):  # 200 polls, 5 s apart: 995 s
            await job.tick()
            clock.advance(timedelta(seconds=5))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2  # at 0 s and at 600 s
    assert all(r.exc_info is None for r in errors)
    assert "is full" in errors[0].getMessage()


def test_feed_job_counts_repeats(monkeypatch: pytest.MonkeyPatch,
                                 caplog: pytest.LogCaptureFixture) -> None:
    from bot.app.jobs import RepeatedErrorLog

    clock = _now_clock()
    log = RepeatedErrorLog("newsbrief.feeds", interval=600, clock=clock)
    with caplog.at_level(logging.INFO, logger="bot.app.jobs"):
        for _ in range(130):
            log.failed(OSError(28, "No space left on device"))
            clock.advance(timedelta(seconds=5))
        log.succeeded()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "120 time(s) in the last 600 s" in lines[1]
    assert "works again" in lines[2]


def test_done_turning_into_a_file_while_running_is_an_inbox_folder_error(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path, IngestService(Database("sqlite:///:memory:"), Settings()))
    inbox.ensure_folders()
    (tmp_path / "done").rmdir()
    (tmp_path / "done").write_text("oops")
    with pytest.raises(InboxFolderError, match="is a file, not a folder"):
        inbox.ensure_folders()


def test_the_cli_may_name_a_link_but_never_a_fifo(tmp_path: Path, fixtures_dir: Path) -> None:
    link = tmp_path / PAGE
    link.symlink_to(fixtures_dir / PAGE)
    data, _ = read_regular_file(link, max_bytes=MB, follow_symlinks=True)
    assert data == (fixtures_dir / PAGE).read_bytes()
    fifo = tmp_path / "xsrb-2023-07-31-09.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnusableInputError, match="not a regular file"):
        read_regular_file(fifo, max_bytes=MB, follow_symlinks=True)


@pytest.mark.parametrize(
    ("error", "key", "logged"),
    [
        (DatabaseFullError("the disk holding database x is full"), "error.disk_full", "is full"),
        (DatabaseBusyError("database x is locked by another writer"), "error.busy", "locked"),
    ],
    ids=["disk-full", "busy"],
)
async def test_a_reader_whose_change_is_refused_by_the_store_is_told_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    error: Exception, key: str, logged: str,
) -> None:
    from types import SimpleNamespace
    from unittest.mock import AsyncMock, MagicMock

    from telegram import Update

    import handlers.errors as errors

    class Keys:
        def html(self, key: str, **_: object) -> str:
            return key

    async def translator_for(update: object, context: object) -> Keys:
        return Keys()

    monkeypatch.setattr(errors, "translator_for", translator_for)
    update = MagicMock(spec=Update)
    update.update_id, update.callback_query = 7, None
    update.effective_chat.id = 42
    update.effective_chat.send_message = AsyncMock()
    context = SimpleNamespace(error=error)
    with caplog.at_level(logging.ERROR, logger="newsbrief.errors"):
        await errors.on_error(update, context)  # type: ignore[arg-type]
    update.effective_chat.send_message.assert_awaited_once_with(key)
    [record] = caplog.records  # one line for the operator, no traceback
    assert record.exc_info is None and logged in record.getMessage()


def test_the_streaming_reader_stops_at_the_limit_even_without_newlines(tmp_path: Path) -> None:
    from bot.ingest.jsonl_stream import check_text_stream

    path = tmp_path / "one-line-2023-07-31.jsonl.gz"
    path.write_bytes(gzip.compress(b" " * (64 * MB), compresslevel=1))
    tracemalloc.start()
    try:
        with pytest.raises(UnusableInputError, match="more than 2 MB"):
            check_text_stream(path, 2 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB
