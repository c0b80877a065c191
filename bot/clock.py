"""The one clock: wall time, a monotonic clock for pacing, and waits — so tests move time by hand.

Everything that decides by the clock (which digests are due, what counts as new, when the next send
may go) takes a :class:`Clock` instead of calling ``datetime.now`` or ``asyncio.sleep``; production
uses :class:`SystemClock`, tests use :class:`ManualClock` and jump to 07:29:59, across a
daylight-saving change or past a 429's ``retry_after`` in no time at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (pacing, deadlines)."""
        ...

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None:
        """Return when one of ``events`` is set or ``timeout`` seconds have passed."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None:
        if timeout is not None and timeout <= 0:
            return
        if any(event.is_set() for event in events):
            return
        if not events:
            await asyncio.sleep(timeout or 0)
            return
        tasks = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()


class ManualClock:
    """A clock that only moves when told to (tests, previews of a given instant).

    Its monotonic reading moves forward with :meth:`advance` and with a :meth:`set` to a later
    instant (never back); a :meth:`wait` ends on its events or once time has passed its timeout.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)
        self._mono = 1000.0
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def set(self, instant: datetime) -> None:
        instant = _aware(instant)
        self._mono += max(0.0, (instant - self._now).total_seconds())
        self._now = instant
        self._wake_waiters()

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._mono += max(0.0, delta.total_seconds())
        self._wake_waiters()

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None:
        deadline = None if timeout is None else self._mono + timeout
        while not any(event.is_set() for event in events):
            if deadline is not None and self._mono >= deadline:
                return
            await SystemClock().wait([*events, self._moved], None)

    def _wake_waiters(self) -> None:
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware instant")
    return instant.astimezone(UTC)
