"""One bot per database: a second holder is refused with a clear message, on both backends."""

from __future__ import annotations

import os

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
