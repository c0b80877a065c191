"""The one source of "now" for services and the scheduler, so tests can move time by hand.

Everything that decides by the clock (which digests are due, what counts as new) takes a
:class:`Clock` instead of calling ``datetime.now``; production uses :class:`SystemClock`, tests use
:class:`ManualClock` and jump to 07:29:59 or across a daylight-saving change in no time at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, previews of a given instant)."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = _aware(instant)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware instant")
    return instant.astimezone(UTC)
