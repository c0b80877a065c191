"""One bot process per database: a second ``newsbrief run`` refuses to start, never double-sends.

SQLite: an exclusive OS lock (``flock``) on ``<database file>.lock`` beside the database; the kernel
drops it when the process dies, so a crash never leaves a stale lock. PostgreSQL: a session-level
``pg_try_advisory_lock`` on a connection held for the life of the process (released when that
connection closes, for the same reason).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database

logger = logging.getLogger(__name__)


class InstanceLockedError(RuntimeError):
    """Another process already holds this database's bot lock; the message says who and where."""


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock, from the lock's name."""
    digest = hashlib.sha256(f"newsbrief:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class InstanceLock:
    """Held while the bot runs; use ``async with await InstanceLock.acquire(db):`` or release()."""

    def __init__(self, description: str, file: IO[str] | None = None,
                 connection: AsyncConnection | None = None, key: int | None = None) -> None:
        self.description = description
        self._file = file
        self._connection = connection
        self._key = key

    @classmethod
    async def acquire(cls, db: Database, name: str = "bot") -> InstanceLock:
        if db.backend == "sqlite":
            return cls._acquire_file(db, name)
        return await cls._acquire_advisory(db, name)

    @classmethod
    def _acquire_file(cls, db: Database, name: str) -> InstanceLock:
        database = db.url.database or ""
        if not database or database == ":memory:":
            return cls("in-memory database (nothing to share)")
        path = Path(database).expanduser().resolve()
        lock_path = path.with_name(f"{path.name}.{name}.lock")
        handle = lock_path.open("a+", encoding="utf-8")
        try:
            _lock_exclusive(handle)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise InstanceLockedError(
                f"another newsbrief bot ({holder}) is already running on {path} "
                f"(lock {lock_path}); stop it first — one bot per database"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        return cls(f"lock file {lock_path}", file=handle)

    @classmethod
    async def _acquire_advisory(cls, db: Database, name: str) -> InstanceLock:
        key = _advisory_key(name)
        connection = await db.engine.connect()
        try:
            got = (await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
            )).scalar_one()
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            raise InstanceLockedError(
                f"another newsbrief bot is already running on {db.safe_url} "
                f"(PostgreSQL advisory lock {key} is held); stop it first — one bot per database"
            )
        return cls(f"advisory lock {key} on {db.safe_url}", connection=connection, key=key)

    async def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                _unlock(self._file)
            self._file.close()
            self._file = None
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
            await self._connection.close()
            self._connection = None

    async def __aenter__(self) -> InstanceLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


def _lock_exclusive(handle: IO[Any]) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError(str(exc)) from exc
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[Any]) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
