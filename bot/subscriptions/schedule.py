"""When is a chat's digest due: local clock time, IANA timezone, last digest date, grace window.

Pure functions of plain values and an instant, so the per-minute job, the restart catch-up and the
tests all ask the same question. A chat's digest for local date D is due from its clock time on D
(as that wall time exists in its zone on that day) until ``grace`` later, and only while the chat's
last digest date is before D — so a restart never sends a second copy for the same date, and a bot
that was down for less than the grace window still sends the digest it missed.

Daylight saving: a wall time that does not exist on a spring-forward day (01:30 in London) is read
with the offset before the change, i.e. one hour later on the new clock (02:30 BST); a wall time
that happens twice on a fall-back day fires at its first occurrence. Each local date still gets at
most one digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_GRACE = timedelta(hours=6)
_HH_MM = re.compile(r"^\s*([0-9]{1,2})[:：.]([0-9]{2})\s*$")  # ASCII digits only
# Chinese input methods type full-width digits (０７：３０): those count, no other digits (²).
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class InvalidDigestTimeError(ValueError):
    """Not a clock time like 07:30."""


class UnknownTimezoneError(ValueError):
    """Not an IANA timezone name like Asia/Hong_Kong."""


def parse_digest_time(text: str) -> str:
    """"7:30", "07:30", "07：30" → "07:30" (the stored form); anything else is refused."""
    match = _HH_MM.match((text or "").translate(_FULLWIDTH_DIGITS))
    if match is None:
        raise InvalidDigestTimeError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise InvalidDigestTimeError(text)
    return f"{hour:02d}:{minute:02d}"


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA zone by its name; case-insensitive for convenience (asia/hong_kong works).

    Only the names IANA publishes: not the files a zoneinfo directory also holds (``localtime``,
    ``posixrules``, ``Factory``, the ``posix/`` and ``right/`` copies), which load but are no
    place a reader lives in (``right/`` even counts leap seconds)."""
    canonical = _zone_names().get((name or "").strip().lower())
    if canonical is None:
        raise UnknownTimezoneError(name)
    return ZoneInfo(canonical)


_NOT_PLACES = frozenset({"localtime", "posixrules", "factory"})


@cache
def _zone_names() -> dict[str, str]:
    return {
        zone.lower(): zone for zone in available_timezones()
        if zone.lower() not in _NOT_PLACES and not zone.startswith(("posix/", "right/"))
    }


def stored_timezone(name: str) -> ZoneInfo:
    """A stored zone; one stored before the names were checked falls back to the paper's."""
    try:
        return parse_timezone(name)
    except UnknownTimezoneError:
        return ZoneInfo("Asia/Shanghai")


def local_slot(day: date, digest_time: str, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``digest_time`` happens on ``day`` in ``tz`` (see module doc)."""
    hour, minute = (int(part) for part in digest_time.split(":"))
    # fold=0: an ambiguous wall time is its first occurrence, and a wall time inside a
    # spring-forward gap takes the offset before the change (one hour later on the new clock).
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class ChatSchedule:
    """What the scheduler needs to know about one subscribed chat."""

    chat_id: int
    digest_time: str
    timezone: str
    last_digest_date: date | None


@dataclass(frozen=True)
class DueDigest:
    chat_id: int
    local_date: date
    slot: datetime


def due_date(
    schedule: ChatSchedule, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> DueDigest | None:
    """The digest this chat should get at ``now``, or None.

    Looks at today's and yesterday's local dates (a 23:30 digest missed by a restart at 01:00 is
    still within the window), newest first.
    """
    tz = stored_timezone(schedule.timezone)
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        if schedule.last_digest_date is not None and schedule.last_digest_date >= day:
            return None
        slot = local_slot(day, schedule.digest_time, tz)
        if slot <= now <= slot + grace:
            return DueDigest(schedule.chat_id, day, slot)
    return None


def due_digests(
    schedules: Iterable[ChatSchedule], now: datetime, grace: timedelta = DEFAULT_GRACE
) -> list[DueDigest]:
    """Every chat whose digest is due at ``now``, earliest slot first."""
    due = [d for s in schedules if (d := due_date(s, now, grace)) is not None]
    return sorted(due, key=lambda d: (d.slot, d.chat_id))


def slot_passed_today(
    digest_time: str, timezone: str, now: datetime
) -> date | None:
    """The local date whose slot has already passed at ``now`` (so a new setting skips it).

    A chat that subscribes at 10:00 with an 08:00 digest, or moves its hour to one already gone,
    starts tomorrow instead of getting a surprise digest now: callers record that date as handled.
    """
    tz = stored_timezone(timezone)
    today = now.astimezone(tz).date()
    return today if local_slot(today, digest_time, tz) <= now else None
