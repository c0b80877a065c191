"""Alert events and alert states: stored once, with the current level per response/warning."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AlertEventRecord, AlertReport, AlertState


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def event_by_key(self, dedupe_key: str) -> AlertEventRecord | None:
        return await self.session.scalar(
            select(AlertEventRecord).where(AlertEventRecord.dedupe_key == dedupe_key)
        )

    async def event_by_id(self, event_id: int) -> AlertEventRecord | None:
        return await self.session.get(AlertEventRecord, event_id)

    async def add_report(
        self, event: AlertEventRecord, article_id: int, reported_at: datetime
    ) -> bool:
        """Link an article reporting ``event``; False when that article was linked already.

        The event's first and latest report move with it, so "in force" and "open the latest
        report" need no join.
        """
        linked = await self.session.scalar(
            select(AlertReport.id).where(
                AlertReport.event_id == event.id, AlertReport.article_id == article_id
            )
        )
        if linked is not None:
            return False
        self.session.add(
            AlertReport(event_id=event.id, article_id=article_id, reported_at=reported_at)
        )
        if event.first_reported_at is None or reported_at < event.first_reported_at:
            event.first_reported_at = reported_at
        if event.last_reported_at is None or reported_at >= event.last_reported_at:
            event.last_reported_at = reported_at
            event.last_article_id = article_id
        await self.session.flush()
        return True

    async def report_articles(self, event_ids: Sequence[int]) -> dict[int, list[int]]:
        """The articles reporting each event, oldest report first."""
        found: dict[int, list[int]] = {event_id: [] for event_id in event_ids}
        if not event_ids:
            return found
        rows = await self.session.execute(
            select(AlertReport.event_id, AlertReport.article_id)
            .where(AlertReport.event_id.in_(event_ids))
            .order_by(AlertReport.reported_at, AlertReport.id)
        )
        for event_id, article_id in rows:
            found[event_id].append(article_id)
        return found

    async def current_events(
        self, *, reported_since: datetime | None = None, reported_before: datetime | None = None,
        limit: int = 100,
    ) -> list[AlertEventRecord]:
        """The latest event of each response or warning not ended, latest report first.

        ``reported_since`` keeps those reported recently (in force); ``reported_before`` those
        whose latest report is older (shown as "no newer report", never as in force).
        """
        query = (
            select(AlertEventRecord)
            .join(AlertState, AlertState.last_event_id == AlertEventRecord.id)
            .where(AlertState.active.is_(True), AlertEventRecord.action != "end")
        )
        if reported_since is not None:
            query = query.where(AlertEventRecord.last_reported_at >= reported_since)
        if reported_before is not None:
            query = query.where(AlertEventRecord.last_reported_at < reported_before)
        rows = await self.session.scalars(
            query.order_by(
                AlertEventRecord.last_reported_at.desc(), AlertEventRecord.effective_at.desc(),
                AlertEventRecord.id.desc(),
            ).limit(limit)
        )
        return list(rows)

    async def states_for(self, hazard: str, kind: str, authority_key: str) -> list[AlertState]:
        """Every state of one authority's response or warning, most recently changed first."""
        rows = await self.session.scalars(
            select(AlertState)
            .where(
                AlertState.hazard == hazard,
                AlertState.kind == kind,
                AlertState.authority_key == authority_key,
            )
            .order_by(AlertState.last_effective_at.desc(), AlertState.id.desc())
        )
        return list(rows)

    async def add_state(self, state: AlertState) -> AlertState:
        self.session.add(state)
        await self.session.flush()
        return state

    async def add_event(self, event: AlertEventRecord) -> AlertEventRecord:
        self.session.add(event)
        await self.session.flush()
        return event

    async def events(self, *, include_ended: bool, limit: int = 100) -> list[AlertEventRecord]:
        """Events newest first; without ``include_ended`` only those of still-active states."""
        query = select(AlertEventRecord)
        if not include_ended:
            query = query.join(AlertState, AlertEventRecord.state_id == AlertState.id).where(
                AlertState.active.is_(True)
            )
        rows = await self.session.scalars(
            query.order_by(AlertEventRecord.effective_at.desc(), AlertEventRecord.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def active_states(self) -> list[AlertState]:
        rows = await self.session.scalars(
            select(AlertState)
            .where(AlertState.active.is_(True))
            .order_by(AlertState.last_effective_at.desc(), AlertState.id.desc())
        )
        return list(rows)

    async def unnotified(self, *, limit: int = 100) -> list[AlertEventRecord]:
        """Events whose notices have not been queued yet, oldest first."""
        rows = await self.session.scalars(
            select(AlertEventRecord)
            .where(AlertEventRecord.notified_at.is_(None))
            .order_by(AlertEventRecord.id)
            .limit(limit)
        )
        return list(rows)

