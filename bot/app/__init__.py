"""Telegram wiring only: build and serve the Application, its JobQueue jobs, ``newsbrief chat``."""

from __future__ import annotations

from bot.app.application import MissingTokenError, WebhookOptions, run_bot
from bot.app.local_chat import run_chat

__all__ = ["MissingTokenError", "WebhookOptions", "run_bot", "run_chat"]
