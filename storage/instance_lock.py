"""One bot process per database: a second ``newsbrief run`` refuses to start, never double-sends.

SQLite: exclusive OS locks (``flock``) on two lock files, both taken: one beside the database
(``newsbrief.db.bot.lock``), which every process that can open the database meets whatever its
temporary folder (systemd's ``PrivateTmp``, another ``TMPDIR``, a second container on the same
volume), and one in the temporary folder named after the database file's identity (device +
inode), which a hard link to the file in another folder meets. The kernel drops them when the
process dies, so a crash never leaves a stale lock. PostgreSQL: a session-level
``pg_try_advisory_lock`` on a connection held for the life of the process (released when that
connection closes, for the same reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.database import Database
from storage.models import InstanceFence

logger = logging.getLogger(__name__)

_CHECK_TIMEOUT = 5.0  # seconds a lock check may take before the lock counts as lost


class InstanceLockedError(RuntimeError):
    """Another process already holds this database's bot lock; the message says who and where."""


class FencedOutError(RuntimeError):
    """Another bot took the lock after this one (its generation is newer): stop sending."""


@dataclass(frozen=True)
class Fence:
    """The lock's fencing token: ``generation`` is bumped on every acquisition, so a bot that lost
    its lock holds an old one, and the outbox refuses its claims and outcomes."""

    name: str
    generation: int


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock, from the lock's name."""
    digest = hashlib.sha256(f"newsbrief:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class InstanceLock:
    """Held while the bot runs; use ``async with await InstanceLock.acquire(db):`` or release()."""

    def __init__(self, description: str, files: tuple[tuple[Path, IO[str]], ...] = (),
                 connection: AsyncConnection | None = None, key: int | None = None,
                 backend_pid: int | None = None) -> None:
        self.description = description
        self.name = "bot"
        self.fence: Fence | None = None  # set by acquire(fenced=True)
        self._files = files  # SQLite: (lock file, its locked handle) pairs
        self._connection = connection
        self._key = key
        self._backend_pid = backend_pid  # PostgreSQL: the server process holding the lock

    @classmethod
    async def acquire(cls, db: Database, name: str = "bot", *, fenced: bool = False,
                      replacing: InstanceLock | None = None,
                      now: datetime | None = None) -> InstanceLock:
        """Take the lock or raise InstanceLockedError. ``fenced`` (the running bot) also bumps
        the lock's generation in ``instance_fences`` (migrated database needed) and keeps it as
        ``fence`` (``now``: the caller's clock, recorded as when). ``replacing``: a lock of ours
        that was lost; on PostgreSQL a server session of
        it that still holds the lock (the connection was cut, the server has not noticed) is ended
        first, so the bot can take its own lock back."""
        if db.backend == "sqlite":
            lock = cls._acquire_file(db, name)
        else:
            if replacing is not None and replacing._backend_pid is not None:
                await _end_orphaned_session(db, replacing._backend_pid)
            lock = await cls._acquire_advisory(db, name)
        lock.name = name
        if fenced:
            try:
                lock.fence = Fence(name, await _bump_generation(db, name, lock.description, now))
            except BaseException:
                await lock.release()
                raise
        return lock

    async def still_held(self, db: Database) -> bool:
        """Whether the lock is still ours, checked where it lives (the watcher's question).

        PostgreSQL: the lock's own session answers and ``pg_locks`` shows it granted to that
        session (a cut connection raises or times out: not held). SQLite: each lock file at its
        path is still the one we hold a lock on (deleted or replaced: not held). Fenced locks also
        check the generation is still ours.
        """
        if self._files:
            try:
                held = all(os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
                           for path, handle in self._files)
            except OSError:
                held = False
        elif self._connection is not None:
            held = await self._advisory_still_held()
        else:
            held = self.description.startswith("in-memory")
        if held and self.fence is not None:
            try:
                async with asyncio.timeout(_CHECK_TIMEOUT):
                    async with db.engine.connect() as connection:
                        current = (await connection.execute(
                            text("SELECT generation FROM instance_fences WHERE name = :name"),
                            {"name": self.fence.name},
                        )).scalar()
            except (TimeoutError, SQLAlchemyError, OSError):
                return held  # the database is unreachable: the lock itself answered
            held = current == self.fence.generation
        return held

    async def _advisory_still_held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        unsigned = (self._key or 0) & 0xFFFF_FFFF_FFFF_FFFF  # a bigint key: classid, objid halves
        try:
            async with asyncio.timeout(_CHECK_TIMEOUT):
                count = (await connection.execute(
                    text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND granted AND pid = pg_backend_pid() AND objsubid = 1 "
                         "AND classid::bigint = :high AND objid::bigint = :low"),
                    {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
                )).scalar_one()
                await connection.commit()
        except (TimeoutError, SQLAlchemyError, OSError):
            return False
        return count > 0

    @classmethod
    def _acquire_file(cls, db: Database, name: str) -> InstanceLock:
        database = db.url.database or ""
        if not database or database == ":memory:":
            return cls("in-memory database (nothing to share)")
        path = Path(database).expanduser().resolve()
        taken: list[tuple[Path, IO[str]]] = []
        try:
            for lock_path in (beside_lock_path(path, name), file_lock_path(path, name)):
                handle = _open_lock_file(lock_path)
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
                taken.append((lock_path, handle))
                if handle.writable():
                    handle.seek(0)
                    handle.truncate()
                    handle.write(f"pid {os.getpid()} on {path}\n")
                    handle.flush()
        except BaseException:
            _release_files(taken)
            raise
        paths = " and ".join(str(lock_path) for lock_path, _ in taken)
        return cls(f"lock files {paths} (for {path})", files=tuple(taken))

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
        backend_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await connection.commit()
        return cls(f"advisory lock {key} on {db.safe_url}", connection=connection, key=key,
                   backend_pid=backend_pid)

    async def release(self) -> None:
        files, self._files = self._files, ()
        _release_files(files)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_CHECK_TIMEOUT):
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                    )
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_CHECK_TIMEOUT):
                    await connection.close()
            if not connection.closed:
                with contextlib.suppress(Exception):
                    await connection.invalidate()

    async def __aenter__(self) -> InstanceLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


async def _bump_generation(db: Database, name: str, holder: str, now: datetime | None) -> int:
    """The next fencing generation of ``name``: one more than any before (first: 1).

    Through ``Database.write``: on SQLite the read and the bump then hold the write lock together
    (a sender committing in between no longer makes the bump fail), and a lock held by another
    writer is waited out."""
    fences = InstanceFence.__table__

    async def bump(session: AsyncSession) -> int:
        current = (await session.execute(
            select(fences.c.generation).where(fences.c.name == name).with_for_update()
        )).scalar()
        generation = 1 if current is None else int(current) + 1
        values = {"generation": generation, "holder": f"pid {os.getpid()}: {holder}",
                  "acquired_at": now}
        if current is None:
            await session.execute(insert(fences).values(name=name, **values))
        else:
            await session.execute(
                update(fences).where(fences.c.name == name).values(**values))
        return generation

    return await db.write(bump)


async def _end_orphaned_session(db: Database, backend_pid: int) -> None:
    """End our own old server session if it still holds the lock after its connection was cut
    (the server notices a dead client only after TCP keep-alive gives up)."""
    with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
        async with asyncio.timeout(_CHECK_TIMEOUT), db.engine.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                     {"pid": backend_pid})
            await connection.commit()


def beside_lock_path(database: Path, name: str = "bot") -> Path:
    """The lock file beside a SQLite database (``newsbrief.db.bot.lock``): the folder every
    process that opens the database can reach, whatever temporary folder it was given."""
    return database.with_name(f"{database.name}.{name}.lock")


def file_lock_path(database: Path, name: str = "bot") -> Path:
    """The lock file for a SQLite database, named after the file's identity (device + inode), not
    its path: a hard link or another spelling of the path is the same database, so the same lock.

    It lives in the system's temporary folder because a hard link may sit in another folder; the
    lock beside the database (:func:`beside_lock_path`) covers processes with another temporary
    folder. The database file is created (empty, which SQLite accepts) if missing.
    """
    database.touch(exist_ok=True)
    identity = database.stat()
    folder = Path(tempfile.gettempdir())
    return folder / f"newsbrief-{identity.st_dev:x}-{identity.st_ino:x}.{name}.lock"


def _release_files(files: Iterable[tuple[Path, IO[str]]]) -> None:
    """Unlock and close lock files (a half-taken set on failure, or all of them on release)."""
    for _, handle in files:
        with contextlib.suppress(OSError):
            _unlock(handle)
        handle.close()


def _open_lock_file(lock_path: Path) -> IO[str]:
    """Open (creating) the lock file; read-only when another user created it (flock works on a
    read-only handle too, so the lock still excludes across users)."""
    try:
        return lock_path.open("a+", encoding="utf-8")
    except PermissionError:
        return lock_path.open("r", encoding="utf-8")


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
