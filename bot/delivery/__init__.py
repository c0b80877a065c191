"""Pushes out of the outbox into Telegram: paced at Telegram's limits, with one error policy, over
the one Bot API transport every Bot of the process uses."""

from __future__ import annotations

from bot.delivery.limits import DeliveryLimits
from bot.delivery.send_window import SendWindow
from bot.delivery.sender import DeliveryQueue, DeliveryService
from bot.delivery.status import DeliveryStatusService
from bot.delivery.transport import bot_api_request

__all__ = [
    "DeliveryLimits",
    "DeliveryQueue",
    "DeliveryService",
    "DeliveryStatusService",
    "SendWindow",
    "bot_api_request",
]
