"""Pushes out of the outbox into Telegram: paced at Telegram's limits, with one error policy."""

from __future__ import annotations

from bot.delivery.limits import DeliveryLimits
from bot.delivery.send_window import SendWindow
from bot.delivery.sender import DeliveryQueue, DeliveryService
from bot.delivery.status import DeliveryStatusService

__all__ = [
    "DeliveryLimits", "DeliveryQueue", "DeliveryService", "DeliveryStatusService", "SendWindow",
]
