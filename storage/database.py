"""Engine and session setup for both backends, and schema upgrades.

SQLite is the embedded default (WAL, busy_timeout, foreign keys on every connection);
PostgreSQL is reached through asyncpg (or psycopg) with the same models and repositories.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.search_index import PG_SESSION_SEARCH_SETTINGS, PG_SESSION_SETTINGS

logger = logging.getLogger(__name__)

# What ``Database.session()`` yields: one open transaction. Code outside storage/ passes it on to
# repositories without knowing SQL (or SQLAlchemy) itself.
Transaction = AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite result codes (the low byte of an extended code, e.g. SQLITE_BUSY_SNAPSHOT = 517).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
# Waits before each retry of a write that met another writer's lock (an ingest batch, the
# sender): short at first, ~8 s in all on top of SQLite's own busy wait.
LOCK_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 2.0, 3.0)
# How long :meth:`Database.write` keeps retrying in all: a reader waits out a batch of an ingest,
# but is told the store is busy rather than kept waiting for minutes (each try may itself wait
# the busy timeout, so the worst case is this plus one busy timeout, not nine of them).
LOCK_WAIT_BUDGET_S = 15.0

T = TypeVar("T")
# The session :meth:`Database.write` hands to its work (named here so callers above storage/ need
# no SQLAlchemy import).
WriteSession = AsyncSession
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be opened or reached; the message says which and why."""


class DatabaseURLError(DatabaseUnavailableError):
    """The URL itself is unusable (not a URL, an unsupported backend, an SQLite URL without a
    file): the operator typed it wrong, which the CLI reports as a usage error, not an outage."""


class DatabaseFullError(DatabaseUnavailableError):
    """A write failed because the disk (or the database's quota) is full: nothing was stored;
    free space and the same write succeeds."""


class DatabaseBusyError(DatabaseUnavailableError):
    """Another writer held SQLite's write lock longer than a write waits for it: nothing was
    stored, and the same write succeeds once that writer commits."""


class DatabaseReadOnlyError(DatabaseUnavailableError):
    """The database can be read but not written by this user (file or folder permissions, a
    read-only mount, a read-only PostgreSQL role or replica)."""


SQLITE_READONLY = 8
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
PG_READ_ONLY_TRANSACTION = "25006"
PG_INSUFFICIENT_PRIVILEGE = "42501"


def write_refusal(exc: BaseException, safe_url: str) -> DatabaseUnavailableError | None:
    """The operator-facing error for a write the storage refused (full, read-only), decided by
    error codes (SQLite's result code, PostgreSQL's SQLSTATE, errno), not message text."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, getattr(current, "orig", None)):
            if candidate is None:
                continue
            code = getattr(candidate, "sqlite_errorcode", None)
            sqlstate = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if (isinstance(candidate, OSError) and candidate.errno == errno.ENOSPC) or (
                isinstance(code, int) and code & 0xFF == SQLITE_FULL
            ) or sqlstate == PG_DISK_FULL:
                return DatabaseFullError(
                    f"the disk holding database {safe_url} is full; nothing was stored. "
                    "Free some space and try again"
                )
            if (isinstance(code, int) and code & 0xFF == SQLITE_READONLY) or sqlstate in (
                PG_READ_ONLY_TRANSACTION, PG_INSUFFICIENT_PRIVILEGE
            ):
                return DatabaseReadOnlyError(_read_only_message(safe_url))
        current = current.__cause__ or current.__context__
    return None


def _read_only_message(safe_url: str) -> str:
    user = os.getuid() if hasattr(os, "getuid") else "?"
    return (f"database {safe_url} is read-only for this user (uid {user}): give it write "
            "access to the database file and its folder, or run as the owner")


@dataclass(frozen=True)
class MigrationState:
    """Where a database's schema is (``current``; None before the first migration) and where
    this program's migrations end (``head``)."""

    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def normalise_url(raw: str) -> URL:
    """Accept the URLs operators type and pick the async driver for each backend."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseURLError(f"not a database URL: {raw!r}") from exc
    backend = url.get_backend_name()
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        url = url.set(drivername="sqlite+aiosqlite")
    elif url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif backend not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://..."
        )
    return url


def require_database_file(url: URL) -> None:
    """Refuse an SQLite URL that names no file (``sqlite:///``, ``sqlite://``): SQLAlchemy would
    silently open an empty in-memory database and everything written would vanish at exit.
    ``sqlite:///:memory:`` says so explicitly and stays allowed."""
    if url.get_backend_name() == "sqlite" and not (url.database or "").strip():
        raise DatabaseURLError(
            f"{url.render_as_string(hide_password=True)!r} names no database file: "
            "use sqlite:///newsbrief.db (relative) or sqlite:////var/lib/newsbrief/newsbrief.db"
        )


def json_text(value: Any) -> str:
    """JSON columns as UTF-8 text, not ASCII escapes (中 as ``\\u4e2d``): Chinese text takes
    half the bytes, and reading it back (``json_each`` in a search, ``json.loads`` in the ORM)
    costs less. Rows written with escapes read the same."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def is_lock_conflict(exc: BaseException) -> bool:
    """An SQLite write refused because another connection holds the lock ("database is locked",
    SQLITE_BUSY / SQLITE_LOCKED and their extended codes): worth retrying, unlike other errors."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        _on_sqlite_connect(dbapi_connection, record, busy_timeout_ms)

    return on_connect


def _on_sqlite_connect(
    dbapi_connection: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # pysqlite opens a transaction only before the first INSERT/UPDATE/DELETE, so the reads of a
    # read-then-write ran outside it: another writer's commit in between went unseen (a fenced
    # sender's check passed, then its claim took nothing). Transactions are begun by
    # ``begin_sqlite_transaction`` instead (SQLAlchemy's recipe for pysqlite and aiosqlite).
    dbapi_connection.isolation_level = None


# Execution option naming how a SQLite transaction begins: "DEFERRED" (the default; reads see
# one snapshot) or "IMMEDIATE" (takes the write lock at BEGIN: for transactions that write).
SQLITE_BEGIN = "sqlite_begin"


def begin_sqlite_transaction(connection: Connection) -> None:
    """The ``begin`` event of a SQLite engine: a real BEGIN, so every statement of a transaction
    (reads included) sees one state of the database."""
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _session_settings(driver: str, settings: dict[str, str]) -> dict[str, Any]:
    """``connect_args`` starting every connection with these settings: asyncpg sends them in
    its startup message (no round trip); other drivers pass them as ``-c`` options."""
    if driver == "asyncpg":
        return {"server_settings": settings}
    return {"options": " ".join(f"-c{name}={value}" for name, value in settings.items())}


class Database:
    """An engine plus a session factory; the one object the rest of the program passes around."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        require_file: bool = False,
        busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
        lock_retry_delays: tuple[float, ...] = LOCK_RETRY_DELAYS,
        lock_wait_budget: float = LOCK_WAIT_BUDGET_S,
    ) -> None:
        """``schema`` (PostgreSQL only) puts every table in that schema, e.g. one per test;
        ``require_file`` refuses an SQLite URL naming no file (the CLI: data must outlive it);
        ``busy_timeout_ms`` is how long SQLite itself waits for another writer's lock, and
        ``lock_retry_delays`` the waits before each retry of :meth:`write` after that, and
        ``lock_wait_budget`` how long those retries may go on in all."""
        self.lock_retry_delays = lock_retry_delays
        self.lock_wait_budget = lock_wait_budget
        self.url = normalise_url(url)
        self.schema = schema
        if require_file:
            require_database_file(self.url)
        self.backend = self.url.get_backend_name()
        self.schema = schema
        kwargs: dict[str, Any] = {"json_serializer": json_text}
        if self.backend == "sqlite":
            database = self.url.database or ""
            if database and database != ":memory:":
                parent = Path(database).expanduser().resolve().parent
                if not parent.is_dir():
                    raise DatabaseUnavailableError(
                        f"cannot open SQLite database {database!r}: folder {parent} does not exist"
                    )
            kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
        else:
            kwargs["pool_pre_ping"] = True
            if schema is not None:
                kwargs["connect_args"] = _session_settings(
                    self.url.get_driver_name(), {"search_path": schema}
                )
        try:
            self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise DatabaseUnavailableError(f"cannot use {self.safe_url}: {exc}") from exc
        writer = self.engine
        if self.backend == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout_ms))
            event.listen(self.engine.sync_engine, "begin", begin_sqlite_transaction)
            writer = self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # write(): a read-modify-write holds SQLite's write lock from its first read, so no other
        # writer commits in between (the lock is waited for at BEGIN, then retried, see write).
        self._writer = writer
        self._write_sessions = async_sessionmaker(writer, expire_on_commit=False)
        self._search_engine: AsyncEngine | None = None

    @property
    def search_engine(self) -> AsyncEngine:
        """The engine searches read through (``SearchIndex``): on SQLite the one engine; on
        PostgreSQL a pool of its own whose connections start with the search's planner settings
        (``PG_SESSION_SEARCH_SETTINGS``), run each statement on its own (autocommit) and are not
        pinged before use. Through the main pool a search was seven round trips: the ping
        (BEGIN, a query, ROLLBACK), BEGIN, the settings and newest id, the statement, ROLLBACK;
        here it is two (the newest id, the statement). A connection found dead is dropped with
        the whole pool and the search run once more (``SearchIndex``), as the ping would have."""
        if self.backend == "sqlite":
            return self.engine
        if self._search_engine is None:
            self._search_engine = create_async_engine(
                self.url,
                json_serializer=json_text,
                isolation_level="AUTOCOMMIT",
                connect_args=_session_settings(
                    self.url.get_driver_name(),
                    {**({"search_path": self.schema} if self.schema else {}),
                     **PG_SESSION_SEARCH_SETTINGS},
                ),
                execution_options={PG_SESSION_SETTINGS: True},
            )
        return self._search_engine

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error.

        A write refused because the disk is full or the database read-only is raised as
        DatabaseFullError / DatabaseReadOnlyError, so callers can tell the operator (and users)
        what happened instead of showing a traceback."""
        with self._write_refusals():
            async with self.sessions() as session, session.begin():
                yield session

    async def check_writable(self) -> None:
        """At start: fail now, with one clear line, when the database cannot be written
        (SQLite: a write probe rolled back; it would otherwise fail at the first change)."""
        if self.backend != "sqlite":
            return
        with self._write_refusals():
            async with self._writer.connect() as connection:
                try:
                    version = (await connection.exec_driver_sql("PRAGMA user_version")).scalar()
                    await connection.exec_driver_sql(f"PRAGMA user_version={int(version or 0)}")
                finally:
                    await connection.rollback()

    @contextmanager
    def _write_refusals(self) -> Iterator[None]:
        """A write refused because the disk is full or the database is read-only becomes
        DatabaseFullError / DatabaseReadOnlyError (one clear line); anything else passes."""
        try:
            yield
        except (DBAPIError, OSError) as exc:
            refusal = write_refusal(exc, self.safe_url)
            if refusal is None:
                raise
            raise refusal from exc

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction, as :meth:`session`; when SQLite answers that another
        writer holds the lock (a CLI ingest, the sender), roll back, wait a little and run it
        again, so a reader's change waits out a short transaction instead of failing.

        On SQLite the transaction takes the write lock at BEGIN (IMMEDIATE): what ``work`` reads
        cannot change before it writes. ``work`` must be safe to run again: everything it does is
        in the rolled-back session.
        Raises DatabaseBusyError when the lock is still held after the retries (or the budget)."""
        clock = asyncio.get_running_loop()
        deadline = clock.time() + self.lock_wait_budget
        for delay in (*self.lock_retry_delays, None):
            try:
                with self._write_refusals():
                    async with self._write_sessions() as session, session.begin():
                        return await work(session)
            except OperationalError as exc:
                if not is_lock_conflict(exc):
                    raise
                if delay is None or clock.time() + delay > deadline:
                    raise DatabaseBusyError(
                        f"database {self.safe_url} is locked by another writer (an ingest or a "
                        "second program): nothing was stored; try again when it has finished"
                    ) from exc
                logger.info("database is locked by another writer: retrying in %.2f s", delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt raises

    async def check(self) -> None:
        """Open one connection now so a bad URL fails with a clear message, not deep inside work."""
        try:
            async with self.engine.connect():
                pass
        except (OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"cannot open database {self.safe_url}: {_first_line(exc)}"
            ) from exc

    async def upgrade(self, revision: str = "head") -> None:
        """Apply every pending Alembic migration (idempotent; run at start of each command).

        ``revision`` stops earlier (tests build a database that is behind this way)."""
        await self.check()
        with self._write_refusals():
            async with self.engine.begin() as connection:
                await connection.run_sync(_upgrade_sync, revision)

    async def migration_state(self) -> MigrationState:
        """The schema's revision against this program's head, changing nothing (``doctor``)."""
        await self.check()
        async with self.engine.connect() as connection:
            current = await connection.run_sync(_current_revision_sync)
        return MigrationState(current=current, head=head_revision())

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._search_engine is not None:
            await self._search_engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest migration this program ships (what ``upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no Alembic migrations in {MIGRATIONS_DIR}")
    return head


def _current_revision_sync(connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _upgrade_sync(connection: Any, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
