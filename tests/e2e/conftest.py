"""Fixtures for end-to-end tests: a fake Bot API server on loopback and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from tests.conftest import cloned_postgres_database, require_postgres
from tests.e2e.fake_bot_api import FakeBotApi


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def e2e_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_postgres_template: str | None
) -> AsyncIterator[str]:
    """The URL the bot and the CLI run on, once per backend: a new SQLite file (``e2e.db``), or
    a new PostgreSQL database cloned from the session's migrated template (a process takes a
    URL, and a URL names no schema, so each test gets a whole database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    require_postgres()
    assert migrated_postgres_template is not None
    async with cloned_postgres_database(migrated_postgres_template) as url:
        yield url


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A fresh fake Telegram on 127.0.0.1 (free port), privacy mode and flood limits on."""
    api = FakeBotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def tg_bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    """A real PTB ``Bot`` talking HTTP to the fake server, initialised (getMe done)."""
    bot = Bot(
        fake_bot_api.token,
        base_url=fake_bot_api.base_url,
        base_file_url=fake_bot_api.base_file_url,
    )
    async with bot:
        yield bot


@pytest.fixture
def fake_bot_env(fake_bot_api: FakeBotApi) -> dict[str, str]:
    """Environment for ``newsbrief run`` as a subprocess pointed at the fake server."""
    return {
        "TELEGRAM_BOT_TOKEN": fake_bot_api.token,
        "TELEGRAM_API_BASE_URL": fake_bot_api.root,
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
    }
