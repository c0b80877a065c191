"""Engine and session setup for both backends, and schema upgrades.

SQLite is the embedded default (WAL, busy_timeout, foreign keys on every connection);
PostgreSQL is reached through asyncpg (or psycopg) with the same models and repositories.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be opened or reached; the message says which and why."""


class DatabaseURLError(DatabaseUnavailableError):
    """The URL itself is unusable (not a URL, an unsupported backend, an SQLite URL without a
    file): the operator typed it wrong, which the CLI reports as a usage error, not an outage."""


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


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """An engine plus a session factory; the one object the rest of the program passes around."""

    def __init__(self, url: str, *, schema: str | None = None, require_file: bool = False) -> None:
        """``schema`` (PostgreSQL only) puts every table in that schema, e.g. one per test;
        ``require_file`` refuses an SQLite URL naming no file (the CLI: data must outlive it)."""
        self.url = normalise_url(url)
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
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
            if schema is not None:
                if self.url.get_driver_name() == "asyncpg":
                    kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
                else:
                    kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
        try:
            self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise DatabaseUnavailableError(f"cannot use {self.safe_url}: {exc}") from exc
        if self.backend == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

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
