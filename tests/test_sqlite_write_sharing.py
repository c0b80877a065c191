"""Writers that share SQLite politely: a reader's change waits out another writer's lock (a CLI
ingest, stored in short transactions) and is retried instead of failing with "database is
locked" (issue 18 point 6)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.subscriptions import ChatIdentity, SubscriptionService
from storage.database import Database, is_lock_conflict

REPO = Path(__file__).resolve().parents[1]
WHO = ChatIdentity(42, "private", None, "zh-hans")
SHORT_BUSY_MS = 50  # SQLite's own wait, shorter than any ingest batch: the retry must do the rest


@pytest.fixture
def sqlite_file(tmp_path: Path, migrated_sqlite_file: Path) -> Path:
    path = tmp_path / "shared.db"
    shutil.copyfile(migrated_sqlite_file, path)
    return path


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another process's writer: takes the write lock now, commits after ``seconds``."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
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


async def test_a_lock_held_too_long_still_fails_as_locked(sqlite_file: Path) -> None:
    db = Database(f"sqlite:///{sqlite_file}", busy_timeout_ms=SHORT_BUSY_MS,
                  lock_retry_delays=(0.01, 0.01))
    holder = _hold_write_lock(sqlite_file, 1.0)
    try:
        with pytest.raises(OperationalError) as raised:
            await SubscriptionService(db).subscribe(WHO)
        assert is_lock_conflict(raised.value)
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
