"""One bot per database: a second holder is refused with a clear message, on both backends."""

from __future__ import annotations

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
