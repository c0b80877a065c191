"""One bot per database: a second holder is refused with a clear message, on both backends."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from storage.database import Database
from storage.instance_lock import InstanceLock, InstanceLockedError


async def test_a_second_bot_on_the_same_database_is_refused(db: Database) -> None:
    first = await InstanceLock.acquire(db)
    try:
        with pytest.raises(InstanceLockedError, match="already running"):
            await InstanceLock.acquire(db)
    finally:
        await first.release()
    again = await InstanceLock.acquire(db)
    await again.release()


async def test_different_lock_names_do_not_block_each_other(db: Database) -> None:
    async with await InstanceLock.acquire(db, "bot"), await InstanceLock.acquire(db, "bench"):
        pass


async def test_a_hard_link_to_the_sqlite_file_meets_the_same_lock(tmp_path, db: Database) -> None:
    """Issue 18 point 10: the lock is keyed on the file's identity (device + inode), so a bot
    started on a hard link to the same database file is refused."""
    if db.backend != "sqlite":
        pytest.skip("a file lock: SQLite only")
    original = db.url.database
    assert original
    link = tmp_path / "linked" / "same.db"
    link.parent.mkdir()
    os.link(original, link)
    linked = Database(f"sqlite:///{link}")
    first = await InstanceLock.acquire(db)
    try:
        with pytest.raises(InstanceLockedError, match="already running"):
            await InstanceLock.acquire(linked)
    finally:
        await first.release()
        await linked.dispose()
    again = await InstanceLock.acquire(linked)
    await again.release()


async def test_a_process_with_another_temporary_folder_meets_the_same_lock(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The systemd unit gives the bot its own temporary folder (PrivateTmp, TMPDIR), a container
    has its own /tmp: a CLI or second bot started from a shell or another container on the same
    database file must still be refused, by the lock file beside the database."""
    if db.backend != "sqlite":
        pytest.skip("a file lock: SQLite only")
    service_tmp, shell_tmp = tmp_path / "service-tmp", tmp_path / "shell-tmp"
    service_tmp.mkdir()
    shell_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(service_tmp))
    first = await InstanceLock.acquire(db)
    try:
        assert first.description.startswith(f"lock files {db.url.database}.bot.lock and ")
        monkeypatch.setattr(tempfile, "tempdir", str(shell_tmp))
        with pytest.raises(InstanceLockedError, match=r"already running .*\.db\.bot\.lock"):
            await InstanceLock.acquire(db)
        assert list(shell_tmp.iterdir()) == []  # refused before its own temporary lock
    finally:
        await first.release()
    again = await InstanceLock.acquire(db)  # released: both lock files free again
    try:
        assert await again.still_held(db)
        os.unlink(f"{db.url.database}.bot.lock")  # removed: another process could lock anew
        assert not await again.still_held(db)
    finally:
        await again.release()


async def test_each_acquisition_bumps_the_fencing_generation(db: Database) -> None:
    lock = await InstanceLock.acquire(db, "gen-test", fenced=True)
    await lock.release()
    again = await InstanceLock.acquire(db, "gen-test", fenced=True)
    try:
        assert lock.fence is not None and again.fence is not None
        assert again.fence.generation == lock.fence.generation + 1
        assert await again.still_held(db)
        assert not await lock.still_held(db)  # released: no longer ours
    finally:
        await again.release()
