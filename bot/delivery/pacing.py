"""Pacing: when the next send may start, per chat, per group and overall, and what a 429 pauses.

Kept apart from the sender's loop (``bot/delivery/sender.py``) so the rules read in one place and
tests can drive them with a manual monotonic time. All times are ``clock.monotonic()`` seconds.

429s: a 429 answered to a send is about that send's chat, so it holds *that chat* for
``retry_after`` and nobody else. Only a 429 that names no chat, or a burst of them across many
chats (at least ``global_429_chats`` distinct chats *and* ``global_429_share`` of the sends that
finished within ``global_429_window`` — the sign that the bot as a whole is over its limit), pauses
every send, for ``retry_after`` capped at ``global_pause_cap``. A send answered 429 gives its
overall slot back: it was refused, so it does not count toward the bot's sends per second, and the
other chats keep their pace through a storm of per-chat 429s.

The bot's free messages per second are shared with the handlers' replies (``SendWindow``, given
by the Application): a push also waits while that window is full, and leaves room to replies
waiting for it. Paid broadcasts have their own, larger allowance and do not use it.
"""

from __future__ import annotations

import contextlib
import math
from collections import deque

from bot.delivery.limits import DeliveryLimits
from bot.delivery.send_window import SendWindow

_CHAT_STATE_PRUNE_AT = 50_000


class Pacer:
    """The sender's pacing state: per-chat ready times, group windows, overall slots, pauses."""

    def __init__(self, limits: DeliveryLimits, window: SendWindow | None = None) -> None:
        self.limits = limits
        self.shared = None if limits.allow_paid_broadcast else window
        self.paused_until = 0.0  # every send waits until then (a global 429)
        self.peak_sends_per_second = 0  # most sends started within one second
        self._chat_ready: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._send_window: deque[float] = deque()  # this second's sends (the overall limit)
        self._next_slot = 0.0
        self._owed = 0  # slots given back by refused sends, not yet booked again
        self._slot_interval = limits.slot_interval
        self._tick_period = limits.tick_slots * self._slot_interval if (
            limits.send_tick > 0) else 0.0
        # Recent send outcomes for the burst rule: (when, chat, was it a 429).
        self._outcomes: deque[tuple[float, int, bool]] = deque()

    # --- before a send ---------------------------------------------------------------------------

    def chat_ready_at(self, chat_id: int, mono: float) -> float:
        """When ``chat_id`` may receive again (its spacing, its 429 hold, its group's window)."""
        ready = self._chat_ready.get(chat_id, 0.0)
        window = self._group_sends.get(chat_id)
        if window:
            span = self.limits.group_window + self.limits.group_window_margin
            while window and window[0] <= mono - span:
                window.popleft()
            if len(window) >= self.limits.group_per_minute:
                ready = max(ready, window[0] + span)
        return ready

    def reserve_slot(self, mono: float) -> float:
        """The instant this send may start: evenly spaced slots at the overall rate, started
        together on the tick that follows (``DeliveryLimits.tick_slots``)."""
        interval = self._slot_interval
        earliest = mono - (self.limits.overall_burst + self._owed) * interval
        slot = max(self._next_slot, earliest, self.paused_until)
        if self._owed:
            self._owed -= 1
        self._next_slot = slot + interval
        period = self._tick_period
        if period > 0:
            # (less a hair: a slot on a tick's boundary, give or take float rounding, is its own)
            slot = math.ceil(slot / period - 1e-6) * period
        return slot

    def window_delay(self, mono: float) -> float:
        """Seconds until one more send keeps every 1 s window within the overall rate.

        Slots are evenly spaced, but a send whose slot passed during an event-loop stall goes
        late, together with the on-time ones after it; this cap keeps such a bunch under the rate.
        """
        shared = 0.0 if self.shared is None else self.shared.delay(mono, urgent=False)
        rate = self.limits.overall_rate
        if math.isinf(rate):
            return shared
        window = self._send_window
        while window and window[0] <= mono - 1.0:
            window.popleft()
        if len(window) < max(1, int(rate)):
            return shared
        return max(window[0] + 1.0 - mono, shared)

    def note_send(self, chat_id: int, mono: float) -> None:
        """A send to ``chat_id`` starts now."""
        self._chat_ready[chat_id] = mono + self.limits.per_chat_interval
        if self.shared is not None:
            self.shared.start()
        if not math.isinf(self.limits.overall_rate):
            self._send_window.append(mono)
            self.peak_sends_per_second = max(self.peak_sends_per_second, len(self._send_window))
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(mono)
        if len(self._chat_ready) > _CHAT_STATE_PRUNE_AT:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > mono}
            self._group_sends = {c: w for c, w in self._group_sends.items() if w}

    # --- after a send ----------------------------------------------------------------------------

    def note_answered(self, mono: float, *, refused: bool) -> None:
        """The send's request is over (answered, refused with a 429, or failed)."""
        if self.shared is not None:
            self.shared.answered(mono, refused=refused)

    def note_accepted(self, chat_id: int, mono: float) -> None:
        """Telegram accepted a send (the burst rule counts it)."""
        self._note_outcome(chat_id, mono, throttled=False)

    def throttled(self, chat_id: int | None, retry_after: float, mono: float,
                  started: float | None = None) -> float:
        """A 429 with ``retry_after``: hold the chat it names; pause everyone only for a 429
        naming no chat or a burst across many chats. Returns the pause for everyone (0: none).

        ``started``: when the refused send started (``note_send``); its overall slot is given back.
        """
        pause = 0.0
        if chat_id is None:
            pause = min(retry_after, self.limits.global_pause_cap)
        else:
            self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0),
                                            mono + retry_after)
            self._give_back_slot(started, mono)
            self._note_outcome(chat_id, mono, throttled=True)
            if self._is_burst(mono):
                pause = min(retry_after, self.limits.global_pause_cap)
                self._outcomes.clear()  # one pause per burst
        if pause > 0:
            self.paused_until = max(self.paused_until, mono + pause)
        return pause

    def _give_back_slot(self, started: float | None, mono: float) -> None:
        if started is None or math.isinf(self.limits.overall_rate):
            return
        with contextlib.suppress(ValueError):  # (already out of the 1 s window)
            self._send_window.remove(started)
        # The next slot comes one interval sooner, even if that is in the past by the time it is
        # booked (sends start on the tick after their slot, so the schedule runs a little behind
        # the clock): the refunded slots are owed (``_owed``), not clipped by ``overall_burst``.
        self._next_slot -= self._slot_interval
        self._owed += 1

    def _note_outcome(self, chat_id: int, mono: float, *, throttled: bool) -> None:
        outcomes = self._outcomes
        outcomes.append((mono, chat_id, throttled))
        horizon = mono - self.limits.global_429_window
        while outcomes and outcomes[0][0] < horizon:
            outcomes.popleft()

    def _is_burst(self, mono: float) -> bool:
        """Many chats answered 429 at once, and most sends of late were: the bot's own limit."""
        throttled_chats = {chat for _, chat, hit in self._outcomes if hit}
        if len(throttled_chats) < self.limits.global_429_chats:
            return False
        hits = sum(1 for _, _, hit in self._outcomes if hit)
        return hits >= self.limits.global_429_share * len(self._outcomes)
