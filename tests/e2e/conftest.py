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


# Telegram lets a chat get about 1 message a second, and the bot keeps to that; end-to-end tests
# of the bot would mostly wait on it. For them (``fake_bot_env``) the fake allows 20 a second per
# chat (still a burst of 3, still answering 429 past it) and the bot spaces a chat's messages
# 0.06 s apart: the limits are kept, scaled. Production pacing is tested on a virtual clock
# (tests/test_reader_concurrency.py, tests/test_delivery.py) and measured against Telegram's own
# numbers (tests/bench/reader_load.py).
E2E_CHAT_PER_SECOND = 20.0
E2E_CHAT_INTERVAL = "0.06"


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A fresh fake Telegram on 127.0.0.1 (free port), privacy mode and flood limits on."""
    async with FakeBotApi() as api:
        yield api


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
    """Environment for ``newsbrief run`` as a subprocess pointed at the fake server, per-chat
    limits scaled on both sides (``E2E_CHAT_PER_SECOND``)."""
    fake_bot_api.rate_limits.per_chat_per_second = E2E_CHAT_PER_SECOND
    return {
        "TELEGRAM_BOT_TOKEN": fake_bot_api.token,
        "TELEGRAM_API_BASE_URL": fake_bot_api.root,
        "NEWSBRIEF_DELIVERY_CHAT_INTERVAL": E2E_CHAT_INTERVAL,
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
    }
