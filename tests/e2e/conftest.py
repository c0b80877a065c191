"""Fixtures for end-to-end tests: a fake Bot API server on loopback and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.e2e.fake_bot_api import FakeBotApi


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
