"""Alert events and alert states: stored once, with the current level per response/warning."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AlertEventRecord, AlertState


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def event_exists(self, dedupe_key: str) -> bool:
        found = await self.session.scalar(
            select(AlertEventRecord.id).where(AlertEventRecord.dedupe_key == dedupe_key)
        )
        return found is not None

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

    async def events_by_id(self, ids: Sequence[int]) -> list[AlertEventRecord]:
        if not ids:
            return []
        rows = await self.session.scalars(
            select(AlertEventRecord).where(AlertEventRecord.id.in_(ids))
        )
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]
