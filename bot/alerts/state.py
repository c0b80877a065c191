"""Alert bookkeeping: which detected events are new, and what each one changes.

The detector reads one article; this service remembers across articles. An event is new unless
the same (hazard, authority, storm, level, action, effective time) was stored before — so the
next day's report of yesterday's start is not news. Each response or warning has a state (its
current level, active or ended), so "调整为Ⅲ级" can be told as a raise or a lowering and "解除"
closes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.detector import AlertEvent, Storm, canonical_authority, detect_alerts
from bot.clock import Clock, SystemClock
from bot.config import DEFAULT_ALERT_STALE_HOURS
from bot.text.relative_time import PAPER_TZ
from storage.alerts import AlertRepository
from storage.database import Database
from storage.models import AlertEventRecord, AlertState, Article

# Response levels: Ⅰ is the most severe. Warnings: red is the most severe.
SEVERITY = {"I": 4, "II": 3, "III": 2, "IV": 1, "red": 4, "orange": 3, "yellow": 2, "blue": 1}
ONGOING_ACTIONS = frozenset({"start", "raise", "lower", "adjust", "maintain"})
# Actions that restate a response or warning already in force at that level: a report of it.
RESTATING_ACTIONS = frozenset({"start", "maintain"})
DEFAULT_STALE_AFTER = timedelta(hours=DEFAULT_ALERT_STALE_HOURS)


def severity(level: str | None) -> int:
    return SEVERITY.get(level or "", 0)


def change_direction(previous: str | None, level: str | None) -> str | None:
    """"up" when the new level is more severe, "down" when less, "same", or None if unknown."""
    if previous is None or level is None:
        return None
    before, after = severity(previous), severity(level)
    return "up" if after > before else "down" if after < before else "same"


def _storm_matches(state: AlertState, storm: Storm | None) -> bool:
    if storm is None:
        return True
    if state.storm_year is None:
        return False
    if state.storm_year != storm.year:
        return False
    if storm.number is not None and state.storm_number is not None:
        return storm.number == state.storm_number
    return storm.name is not None and storm.name == state.storm_name


def _dedupe_digest(event: AlertEvent) -> str:
    payload = json.dumps([str(part) for part in event.dedupe_key()], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def report_instant(edition: date, effective_at: datetime, tz: ZoneInfo = PAPER_TZ) -> datetime:
    """When an article reported an event: its edition day, or the event itself if later (a
    report cannot come before what it reports)."""
    return max(datetime.combine(edition, time(0), tz), effective_at)


def is_in_force(
    record: AlertEventRecord, current_ids: set[int], now: datetime,
    stale_after: timedelta | None,
) -> bool:
    """Not ended, still its response's latest event, and reported within the stale window."""
    if record.action == "end" or record.id not in current_ids:
        return False
    if stale_after is None:
        return True
    last = record.last_reported_at or record.effective_at
    return now - last <= stale_after


def event_to_dict(
    record: AlertEventRecord,
    tz: ZoneInfo = PAPER_TZ,
    *,
    reports: Sequence[int] = (),
    in_force: bool = False,
) -> dict[str, Any]:
    """The ``alerts --json`` shape of cli.md, plus what changed and the expected impact."""
    storm = None
    if record.storm_year is not None:
        storm = {"year": record.storm_year, "number": record.storm_number,
                 "name": record.storm_name}
    return {
        "id": record.id,
        "article_id": record.article_id,
        "hazard": record.hazard,
        "kind": record.kind,
        "action": record.action,
        "level": record.level,
        "previous_level": record.previous_level,
        "direction": record.direction,
        "storm": storm,
        "authority": record.authority,
        "issuer": record.issuer,
        "region": record.region,
        "effective_at": record.effective_at.astimezone(tz).isoformat(),
        "time_stated": record.time_stated,
        "summary": record.summary,
        "impact": record.impact,
        "reports": list(reports) or [record.article_id],
        "first_reported_at": _local_iso(record.first_reported_at or record.effective_at, tz),
        "last_reported_at": _local_iso(record.last_reported_at or record.effective_at, tz),
        "in_force": in_force,
    }


def _local_iso(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat()


@dataclass(frozen=True)
class StoredAlert:
    """An event an article reports: newly stored (ready to become a notice) or known before
    (``new`` False: this article is one more report of it, nothing to push)."""

    record: AlertEventRecord
    ended: bool
    new: bool = True


class AlertRecorder:
    """Decides which events are new and updates states; runs inside the ingest transaction."""

    def __init__(
        self,
        session: AsyncSession,
        now: datetime,
        tz: ZoneInfo = PAPER_TZ,
        stale_after: timedelta | None = DEFAULT_STALE_AFTER,
    ) -> None:
        self.repo = AlertRepository(session)
        self.now = now  # the ingest's instant, from the one clock (never read here)
        self.tz = tz
        self.stale_after = stale_after  # a restatement must follow a report within this

    async def record(self, article: Article, events: Sequence[AlertEvent]) -> list[StoredAlert]:
        stored: list[StoredAlert] = []
        for event in events:
            stored.append(await self._record_one(article, event))
        return stored

    async def _record_one(self, article: Article, event: AlertEvent) -> StoredAlert:
        authority_key = canonical_authority(event.authority)
        states = await self.repo.states_for(event.hazard, event.kind, authority_key)
        state = next((s for s in states if s.active and _storm_matches(s, event.storm)), None)
        if state is None and event.storm is not None:
            state = next((s for s in states if _storm_matches(s, event.storm)), None)
        if state is not None and event.storm is not None and state.storm_year is not None:
            # A later report may name the storm without its number (or the other way round):
            # take the fuller identity so the same event dedupes to the same key.
            event = replace(
                event,
                storm=Storm(
                    state.storm_year,
                    event.storm.number or state.storm_number,
                    event.storm.name or state.storm_name,
                ),
            )
        reported_at = report_instant(article.edition_date, event.effective_at, self.tz)
        known = await self.repo.event_by_key(_dedupe_digest(event))
        if known is None and state is not None and _may_restate(state, event):
            latest = await self.repo.event_by_id(state.last_event_id or 0)
            if latest is not None and _restates(latest, event, reported_at, self.stale_after):
                known = latest
        if known is not None:
            # Reported again (the next day's recap, 维持 at the same level): not news, but the
            # event now has a newer report.
            await self.repo.add_report(known, article.id, reported_at)
            return StoredAlert(known, ended=known.action == "end", new=False)
        key = _dedupe_digest(event)
        previous_level = state.level if state is not None and state.active else None
        level = event.level or (previous_level if event.action != "start" else None)
        direction = {"raise": "up", "lower": "down"}.get(event.action) or change_direction(
            previous_level, level
        )
        if state is None:
            state = await self.repo.add_state(
                AlertState(
                    hazard=event.hazard, kind=event.kind, authority_key=authority_key,
                    storm_year=event.storm.year if event.storm else None,
                    storm_number=event.storm.number if event.storm else None,
                    storm_name=event.storm.name if event.storm else None,
                    level=level, active=event.action != "end",
                    last_effective_at=event.effective_at,
                )
            )
        record = await self.repo.add_event(
            AlertEventRecord(
                article_id=article.id, hazard=event.hazard, kind=event.kind,
                action=event.action, level=level, previous_level=previous_level,
                direction=direction,
                storm_year=event.storm.year if event.storm else None,
                storm_number=event.storm.number if event.storm else None,
                storm_name=event.storm.name if event.storm else None,
                authority=event.authority, authority_key=authority_key, region=event.region,
                issuer=event.issuer,
                effective_at=event.effective_at, time_stated=event.time_stated,
                summary=event.summary, impact=event.impact, dedupe_key=key,
                state_id=state.id, detected_at=self.now,
            )
        )
        await self.repo.add_report(record, article.id, reported_at)
        if event.effective_at >= state.last_effective_at or state.last_event_id is None:
            state.last_effective_at = event.effective_at
            state.last_event_id = record.id
            state.active = event.action in ONGOING_ACTIONS
            if level is not None:
                state.level = level
            if event.storm is not None and state.storm_year is None:
                state.storm_year, state.storm_number, state.storm_name = (
                    event.storm.year, event.storm.number, event.storm.name,
                )
        return StoredAlert(record, ended=event.action == "end")


def _may_restate(state: AlertState, event: AlertEvent) -> bool:
    """A start or 维持 at the level of an active response or warning may be a restatement."""
    if not state.active or state.last_event_id is None:
        return False
    if event.action not in RESTATING_ACTIONS:
        return False
    return (event.action == "maintain" and event.level is None) or event.level == state.level


def _restates(
    latest: AlertEventRecord, event: AlertEvent, reported_at: datetime,
    stale_after: timedelta | None,
) -> bool:
    """The same response restated: its latest event was reported recently (within the stale
    window, so a start months later is a new activation) and covers the places named — 维持 may
    name some of them, a start names the same ones."""
    last = latest.last_reported_at or latest.effective_at
    if stale_after is not None and reported_at - last > stale_after:
        return False
    if event.action == "maintain":
        return event.region is None or _places(event.region) <= _places(latest.region)
    return event.region == latest.region


def _places(region: str | None) -> set[str]:
    return set(region.split("、")) if region else set()


async def detect_and_record(
    session: AsyncSession,
    articles: Sequence[Article],
    *,
    home_paper: str,
    home_region: str | None,
    now: datetime,
    tz: ZoneInfo = PAPER_TZ,
    stale_after: timedelta | None = DEFAULT_STALE_AFTER,
) -> list[StoredAlert]:
    """Run the detector over newly stored articles: new events are stored, known ones get
    one more report (returned with ``new`` False).

    我区 / 区防指 mean the home region only in the home paper's own articles.
    """
    recorder = AlertRecorder(session, now, tz, stale_after)
    stored: list[StoredAlert] = []
    for article in articles:
        if article.kind == "teaser":
            continue
        events = detect_alerts(
            article.title, article.paragraphs, article.edition_date,
            home_region=home_region if article.paper == home_paper else None, tz=tz,
        )
        stored.extend(await recorder.record(article, events))
    return stored


@dataclass(frozen=True)
class AlertOverview:
    """What ``/alerts`` shows: events in force, and those not ended but not reported lately."""

    in_force: list[AlertEventRecord] = field(default_factory=list)
    stale: list[AlertEventRecord] = field(default_factory=list)


class AlertQueryService:
    """Read side for the CLI, ``/alerts`` and the digest; "now" comes from the one clock."""

    def __init__(
        self,
        db: Database,
        tz: ZoneInfo = PAPER_TZ,
        *,
        clock: Clock | None = None,
        stale_after: timedelta | None = DEFAULT_STALE_AFTER,
    ) -> None:
        self.db = db
        self.tz = tz
        self.clock = clock or SystemClock()
        self.stale_after = stale_after

    def _fresh_since(self, now: datetime) -> datetime | None:
        return now - self.stale_after if self.stale_after is not None else None

    async def events(
        self, *, include_ended: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Every event (``include_ended``) or only those in force, with their reports."""
        now = self.clock.now()
        async with self.db.session() as session:
            repo = AlertRepository(session)
            if include_ended:
                rows = await repo.events(include_ended=True, limit=limit)
            else:
                rows = await repo.current_events(
                    reported_since=self._fresh_since(now), limit=limit
                )
            current = {s.last_event_id for s in await repo.active_states() if s.last_event_id}
            reports = await repo.report_articles([row.id for row in rows])
            return [
                event_to_dict(
                    row, self.tz, reports=reports[row.id],
                    in_force=is_in_force(row, current, now, self.stale_after),
                )
                for row in rows
            ]

    async def active(self) -> list[AlertEventRecord]:
        """The latest event of each response or warning in force, latest report first."""
        return (await self.overview()).in_force

    async def overview(self, *, stale_limit: int = 5) -> AlertOverview:
        """In force, then (a few) not ended but past the stale window."""
        now = self.clock.now()
        since = self._fresh_since(now)
        async with self.db.session() as session:
            repo = AlertRepository(session)
            in_force = await repo.current_events(reported_since=since)
            stale = (
                await repo.current_events(reported_before=since, limit=stale_limit)
                if since is not None else []
            )
            return AlertOverview(in_force, stale)
