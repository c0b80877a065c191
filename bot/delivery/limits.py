"""How fast the sender may go: Telegram's documented limits, and the knobs tests turn.

Kept apart from the sender so the pacing rules read as one table, and tests can pass their own
(``DeliveryLimits(per_chat_interval=0.0, ...)``) without production pacing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.config import Settings

TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND = 1000.0


@dataclass(frozen=True)
class DeliveryLimits:
    """Pacing and retry settings; the defaults keep under Telegram's documented limits."""

    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20  # messages per group/channel (negative chat id) per window
    group_window: float = 60.0  # Telegram's minute
    group_window_margin: float = 1.0  # extra seconds on the window, for network jitter
    overall_per_second: float = 25.0  # Telegram allows about 30
    overall_burst: float = 1.0  # sends that may catch up after an idle moment
    # Slots are spaced this fraction wider than 1/rate, so timer jitter seldom meets the hard
    # cap of ``rate`` sends in any 1 s window (a send held back by it costs another wake-up).
    overall_margin: float = 0.01
    # Sends start on ticks about this many seconds apart, the few due by then together: one wake-up
    # of the process per tick instead of one per message (CPU on a loaded machine), still never
    # more than ``rate`` sends in any 1 s window (DeliverySender._window_delay). The period is
    # adjusted to a whole number of slots (see tick_slots). 0: no ticks.
    send_tick: float = 0.2
    allow_paid_broadcast: bool = False  # pay Stars to go beyond 30/s (Bot API 7.11)
    paid_broadcast_per_second: float = TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND
    max_in_flight: int = 16  # rows claimed at once (bounds repeats after a crash)
    network_max_attempts: int = 6  # timeouts/network errors before a row fails
    backoff_base: float = 2.0  # first network retry after this many seconds, then doubling
    backoff_max: float = 300.0
    claim_lease: float = 30.0  # a claim older than this belongs to a dead process
    global_pause_cap: float = 5.0  # longest global pause one 429 can cause
    # A 429 pauses only its chat, unless this many distinct chats got one within the window and
    # they were at least this share of the sends finished in it (bot/delivery/pacing.py).
    global_429_chats: int = 5
    global_429_share: float = 0.5
    global_429_window: float = 2.0
    idle_recheck: float = 60.0  # wake at least this often when idle (enqueues from elsewhere)
    # Seconds a send's outcome may wait to be committed with the next claim (one transaction for
    # both); the rows stay claimed meanwhile, so a crash repeats no more than max_in_flight parts.
    write_linger: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryLimits:
        """The operator's rate and per-chat spacing; everything else stays Telegram's."""
        return cls(
            overall_per_second=settings.delivery_per_second,
            allow_paid_broadcast=settings.delivery_paid_broadcast,
            paid_broadcast_per_second=settings.delivery_per_second,  # capped by the settings
            per_chat_interval=settings.delivery_chat_interval,
        )

    @property
    def overall_rate(self) -> float:
        if self.allow_paid_broadcast:
            return min(self.paid_broadcast_per_second, TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND)
        return self.overall_per_second

    @property
    def slot_interval(self) -> float:
        """Seconds between two send slots (0: no overall limit)."""
        rate = self.overall_rate
        return 0.0 if math.isinf(rate) else 1.0 / (rate * (1.0 - self.overall_margin))

    @property
    def tick_slots(self) -> int:
        """Slots per send tick: about ``send_tick`` worth, and few enough that the ticks any 1 s
        window can hold never carry more than ``rate`` sends.

        Why: with ticks of exactly 0.2 s at 25/s, a 1 s window spans six ticks whenever the one a
        second ago woke a millisecond later than this one, so every other tick ran into the cap
        and woke again (and the lateness carried on into the next second). Ticks of five slots at
        the margin's 24.75/s are 0.202 s apart: five fit in a second, with 10 ms to spare.
        """
        interval = self.slot_interval
        if self.send_tick <= 0 or interval <= 0:
            return 1
        cap = max(1, int(self.overall_rate))
        slots_per_second = 1.0 / interval
        slots = max(1, round(self.send_tick * slots_per_second))
        while slots > 1 and math.ceil(slots_per_second / slots - 1e-9) * slots > cap:
            slots -= 1
        return slots
