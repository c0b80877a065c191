"""What the bot sends unasked: alert notices, due digests and keyword-watch notices, each turned
into outbox rows (rendered, keyed, written with its cursor in one transaction) for the sender."""

from __future__ import annotations

from bot.pushes.digests import DigestOptions, DigestScheduler
from bot.pushes.service import PushService

__all__ = ["DigestOptions", "DigestScheduler", "PushService"]
