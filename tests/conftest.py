"""Shared fixtures: paths to fixtures and to the optional shared corpora."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import ArticleRepository, NewArticle
from storage.database import Database
from storage.models import Article, Delivery

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
# The larger real corpora live beside the project, not in it; tests that need them skip cleanly.
SHARED_DATA = TESTS_DIR.parent.parent / "shared" / "data"
CORPORA = SHARED_DATA / "corpora"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def corpora_dir() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"needs the shared corpora at {CORPORA} (beside the repository, not in it)")
    return CORPORA


# --- databases: every store test runs on SQLite, and on PostgreSQL whenever the server answers ---

PG_URL = os.environ.get(
    "NEWSBRIEF_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _postgres_answers() -> bool:
    url = make_url(PG_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


POSTGRES_AVAILABLE = _postgres_answers()


def require_postgres() -> None:
    """Skip where no server answers; in CI a missing server is a failure, never a silent skip."""
    if POSTGRES_AVAILABLE:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but nothing answers at {PG_URL}")
    pytest.skip(f"no PostgreSQL server answers at {PG_URL}")


@asynccontextmanager
async def scratch_database(backend: str, folder: Path) -> AsyncIterator[Database]:
    """An empty database, not migrated: a new SQLite file in ``folder``, or a new PostgreSQL
    schema, dropped afterwards (skips where no server answers)."""
    if backend == "sqlite":
        database = Database(f"sqlite:///{folder / 'test.db'}")
        try:
            yield database
        finally:
            await database.dispose()
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(PG_URL, schema=schema)
    try:
        yield database
    finally:
        await database.dispose()
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test session.

    Why: running the migrations costs about 60 ms a database, copying the migrated file under
    1 ms; hundreds of tests each start from a fresh copy (``db``).
    """
    path = tmp_path_factory.mktemp("migrated") / "head.db"

    async def migrate() -> None:
        database = Database(f"sqlite:///{path}")
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def migrated_postgres_script() -> str | None:
    """SQL that recreates a schema migrated to head, dumped once per test session; each test runs
    it under a new schema name instead of running the migrations (about 1 s a test on this
    machine). None where no server answers or ``pg_dump`` is missing: tests then migrate."""
    if not POSTGRES_AVAILABLE or shutil.which("pg_dump") is None:
        return None
    template = f"template_{uuid.uuid4().hex[:12]}"

    async def migrate(create: bool) -> None:
        admin = Database(PG_URL)
        try:
            async with admin.engine.begin() as connection:
                statement = (f'CREATE SCHEMA "{template}"' if create
                             else f'DROP SCHEMA "{template}" CASCADE')
                await connection.execute(text(statement))
            if create:
                database = Database(PG_URL, schema=template)
                await database.upgrade()
                await database.dispose()
        finally:
            await admin.dispose()

    asyncio.run(migrate(create=True))
    try:
        url = make_url(PG_URL).set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema", template,
             url.render_as_string(hide_password=False)],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        asyncio.run(migrate(create=False))
    if dump.returncode != 0:
        return None
    # Drop psql's meta-commands (recent pg_dump wraps its output in \restrict ... \unrestrict).
    script = "\n".join(line for line in dump.stdout.splitlines() if not line.startswith("\\"))
    return script.replace(template, "{schema}")


@asynccontextmanager
async def migrated_database(
    backend: str, folder: Path, migrated_sqlite_file: Path, migrated_postgres_script: str | None,
    name: str = "test.db",
) -> AsyncIterator[Database]:
    """A fresh, migrated database: a copy of the migrated SQLite file (``folder/name``), or a new
    PostgreSQL schema made from the migrated one's dump (or migrated, where there is no dump),
    dropped after."""
    if backend == "sqlite":
        shutil.copyfile(migrated_sqlite_file, folder / name)
        database = Database(f"sqlite:///{folder / name}")
        try:
            yield database
        finally:
            await database.dispose()
        return
    require_postgres()
    if migrated_postgres_script is None:
        async with scratch_database(backend, folder) as database:
            await database.upgrade()
            yield database
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        # asyncpg runs a script of many statements as one simple query when given no arguments.
        await raw.driver_connection.execute(  # type: ignore[union-attr]
            migrated_postgres_script.replace("{schema}", schema)
        )
    database = Database(PG_URL, schema=schema)
    try:
        yield database
    finally:
        await database.dispose()
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_file: Path,
    migrated_postgres_script: str | None,
) -> AsyncIterator[Database]:
    """A fresh, migrated database on each backend (see ``migrated_database``)."""
    async with migrated_database(
        request.param, tmp_path, migrated_sqlite_file, migrated_postgres_script
    ) as database:
        yield database


# --- reading the outbox: production reads it only through the sender's claim, tests look at rows --


async def deliveries_for_chat(session: AsyncSession, chat_id: int) -> list[Delivery]:
    """A chat's outbox rows in enqueue order: what tests assert on (the storage API has no
    per-chat read because production never needs one)."""
    rows = await session.scalars(
        select(Delivery).where(Delivery.chat_id == chat_id).order_by(Delivery.id)
    )
    return list(rows)


# --- storing articles in tests: the ingest's own steps, without a page to parse ----------------


async def store_article(session: AsyncSession, draft: NewArticle, *, ingested_at: datetime
                        ) -> Article:
    """The stored article with ``draft``'s content hash, added if there is none: the ingest's
    dedupe (``find_by_hashes``, then ``add_many`` for the rest), one draft at a time."""
    repo = ArticleRepository(session)
    found = await repo.find_by_hashes([draft.content_hash])
    if draft.content_hash in found:
        return found[draft.content_hash]
    [article] = await repo.add_many([draft], ingested_at=ingested_at)
    return article


# --- whole PostgreSQL databases, for processes that only take a URL (the CLI, the bot) ---------


def _admin_url(database: str = "postgres") -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


async def _admin_execute(*statements: str) -> None:
    """Statements that cannot run in a transaction (CREATE/DROP DATABASE), one by one."""
    admin = Database(_admin_url())
    try:
        async with admin.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await autocommit.execute(text(statement))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres_template() -> Iterator[str | None]:
    """A PostgreSQL database migrated to head once per session, the template each test's own
    database is cloned from (``CREATE DATABASE … TEMPLATE``: a file copy, about 0.1 s against
    about 1 s for migrating). None where no server answers."""
    if not POSTGRES_AVAILABLE:
        yield None
        return
    name = f"tmpl_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        await _admin_execute(f'CREATE DATABASE "{name}"')
        database = Database(_admin_url(name))
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def cloned_postgres_database(template: str) -> AsyncIterator[str]:
    """A new PostgreSQL database cloned from ``template`` (migrated), its URL; dropped after
    (``WITH (FORCE)``: a bot process that died holding connections does not block the drop)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _admin_url(name)
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_database_url(
    migrated_postgres_template: str | None,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes new PostgreSQL databases, migrated to head, each with its own URL (a URL names
    no schema, so a subprocess gets a whole database); all are dropped after the test."""
    require_postgres()
    assert migrated_postgres_template is not None
    async with AsyncExitStack() as stack:

        async def make() -> str:
            return await stack.enter_async_context(
                cloned_postgres_database(migrated_postgres_template)
            )

        yield make
