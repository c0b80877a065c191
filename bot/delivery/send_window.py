"""The bot's messages of the last second, shared by everything that posts with one token.

Telegram's ~30 messages a second is a limit per bot, not per component: the delivery sender's
pushes and the handlers' replies draw on one budget. Each paces itself (25/s), so together they
could start 50 a second during a digest fan-out; :class:`SendWindow` is the budget they share.

A message counts from the moment it starts until one second after its answer. Telegram counted it
somewhere in between, and a request held up on a busy event loop between its start and the wire
must not let later ones crowd into the second it lands in (measured: requests started evenly
arrived in bunches of 4–5 and drew 429s). With that rule no one-second window on Telegram's side
can hold more than ``capacity`` messages: of the messages that arrived in it, the last to start
found every other one either in flight or answered less than a second before.

Replies come first: while a reply waits for room, a push does not take it (``urgent``). All times
are one monotonic clock's seconds (``newsbrief run`` uses ``time.monotonic`` on both sides).
"""

from __future__ import annotations

from collections import deque

# Two under Telegram's 30: what exactly Telegram counts is not published.
SHARED_PER_SECOND = 28
# While every message of the window is still in flight no answer time is known yet: look again
# after this long (a send answered within it frees room a second later).
IN_FLIGHT_RECHECK = 0.02


class SendWindow:
    """Room for messages under the bot's overall limit (module doc)."""

    def __init__(self, capacity: int = SHARED_PER_SECOND) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self.waiting_urgent = 0  # replies waiting for room: pushes leave it to them
        self._answered: deque[float] = deque()  # answer times within the last second

    def delay(self, mono: float, *, urgent: bool) -> float:
        """Seconds until one more message may start (0: now)."""
        answered = self._answered
        while answered and answered[0] <= mono - 1.0:
            answered.popleft()
        room = self.capacity - self.in_flight - len(answered)
        if not urgent:
            room -= self.waiting_urgent
        if room > 0:
            return 0.0
        if answered:
            return max(answered[0] + 1.0 - mono, 1e-3)
        return IN_FLIGHT_RECHECK

    def start(self) -> None:
        """A message starts now (after ``delay`` said 0)."""
        self.in_flight += 1

    def answered(self, mono: float, *, refused: bool = False) -> None:
        """The message's answer came (or its request failed). A 429 (``refused``) was not counted
        by Telegram, so it frees its room at once."""
        self.in_flight = max(0, self.in_flight - 1)
        if not refused:
            answered = self._answered
            answered.append(max(mono, answered[-1]) if answered else mono)
