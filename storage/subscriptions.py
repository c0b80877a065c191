"""Digest bookkeeping on the chats table: which local date each chat's digest covered.

Kept apart from :mod:`storage.chats` (reachability and settings) because the scheduler writes it
in bulk, in the same transaction as the outbox rows it enqueues: either both the digest row and
the chat's new cursor are stored, or neither — so a crash never skips or repeats a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat


@dataclass(frozen=True)
class DigestMark:
    """A chat's digest for ``local_date`` is handled; new articles start after ``article_id``."""

    chat_id: int
    local_date: date
    article_id: int | None


@dataclass(frozen=True)
class ScheduleRow:
    """The columns the scheduler reads for each subscribed chat."""

    chat_id: int
    digest_time: str
    timezone: str
    last_digest_date: date | None


class SubscriptionLedger:
    """Digest dates and cursors in one session; callers own the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedules(self) -> list[ScheduleRow]:
        """Every active, subscribed chat's schedule (only the columns needed, for 10k+ chats)."""
        rows = await self.session.execute(
            select(Chat.id, Chat.digest_time, Chat.timezone, Chat.last_digest_date)
            .where(Chat.active.is_(True), Chat.subscribed.is_(True))
            .order_by(Chat.id)
        )
        return [ScheduleRow(*row) for row in rows]

    async def chats(self, chat_ids: Sequence[int]) -> list[Chat]:
        if not chat_ids:
            return []
        rows = await self.session.scalars(select(Chat).where(Chat.id.in_(chat_ids)))
        by_id = {chat.id: chat for chat in rows}
        return [by_id[i] for i in chat_ids if i in by_id]

    async def mark(self, marks: Sequence[DigestMark], *, now: datetime) -> None:
        """Record each digest date; a date never moves backwards, and a cursor only forwards."""
        if not marks:
            return
        # Core statements on the table: executemany with per-row WHERE (the ORM form would
        # turn a parameter list into its bulk-by-primary-key mode).
        chats = Chat.__table__
        await self.session.execute(
            update(chats)
            .where(
                chats.c.id == bindparam("b_id"),
                or_(chats.c.last_digest_date.is_(None),
                    chats.c.last_digest_date < bindparam("b_date")),
            )
            .values(last_digest_date=bindparam("b_date"), updated_at=now),
            [{"b_id": m.chat_id, "b_date": m.local_date} for m in marks],
        )
        moved = [m for m in marks if m.article_id is not None]
        if moved:
            await self.session.execute(
                update(chats)
                .where(
                    chats.c.id == bindparam("b_id"),
                    or_(
                        chats.c.last_digest_article_id.is_(None),
                        chats.c.last_digest_article_id < bindparam("b_article"),
                    ),
                )
                .values(last_digest_article_id=bindparam("b_article")),
                [{"b_id": m.chat_id, "b_article": m.article_id} for m in moved],
            )
