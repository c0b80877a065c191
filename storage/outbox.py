"""The delivery outbox: one row per (chat, kind, ref), drained by the sender in ``bot/delivery.py``.

Delivery state lives here, keyed uniquely, so a restart neither loses nor repeats a push: enqueueing
the same digest or alert twice is a no-op, each part's message id is recorded as it is sent, and a
row is *claimed* (with the part in flight) before the HTTP call and finished after it.

Statuses: ``pending`` (waiting for ``next_attempt_at``), ``claimed`` (a part is in flight),
``sent``, ``failed`` (gave up; ``last_error`` says why), ``cancelled`` (the chat went away).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery

PENDING, CLAIMED, SENT, FAILED, CANCELLED = "pending", "claimed", "sent", "failed", "cancelled"
OPEN_STATUSES = (PENDING, CLAIMED)
STATUSES = (PENDING, CLAIMED, SENT, FAILED, CANCELLED)

# Higher goes first. Spaced by ten so a message already begun can be nudged ahead of new ones of
# the same kind (see CONTINUATION_BOOST) without overtaking a more urgent kind.
PRIORITY_BY_KIND = {"alert": 100, "notice": 50, "reply": 50, "digest": 10}
DEFAULT_PRIORITY = 20
CONTINUATION_BOOST = 1
ENQUEUE_CHUNK = 500
# Many-row updates go through the Core table: the ORM would read a parameter list as a bulk
# update by primary key.
_TABLE = Delivery.__table__


@dataclass(frozen=True)
class MessagePart:
    """One Telegram message of a push, as rendered (text already split to Telegram's limit)."""

    text: str
    parse_mode: str | None = "HTML"
    reply_markup: dict[str, Any] | None = None  # Bot API JSON, e.g. {"inline_keyboard": [...]}
    disable_notification: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "disable_notification": self.disable_notification,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessagePart:
        return cls(
            text=data["text"],
            parse_mode=data.get("parse_mode"),
            reply_markup=data.get("reply_markup"),
            disable_notification=bool(data.get("disable_notification", False)),
        )


@dataclass(frozen=True)
class NewDelivery:
    """A push to enqueue: ``ref`` names what is pushed (a digest's date, an alert event's id)."""

    chat_id: int
    kind: str
    ref: str
    parts: Sequence[MessagePart]
    priority: int | None = None


@dataclass(frozen=True)
class DueDelivery:
    """A row the sender may work on: the next part to send is ``parts[len(sent_message_ids)]``."""

    id: int
    chat_id: int
    kind: str
    ref: str
    priority: int
    parts: tuple[MessagePart, ...]
    sent_message_ids: tuple[int, ...]
    plain_text: bool
    attempts: int
    claim_part: int | None = None

    @property
    def next_part(self) -> int:
        return len(self.sent_message_ids)


@dataclass(frozen=True)
class ReleasedClaim:
    """A claim left by a process that died: ``part`` may or may not have reached the chat."""

    id: int
    chat_id: int
    kind: str
    ref: str
    part: int | None
    claimed_at: datetime | None


@dataclass
class OutboxCounts:
    """Queue depth by kind and status, for ``newsbrief status``."""

    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)


def priority_for(kind: str) -> int:
    return PRIORITY_BY_KIND.get(kind, DEFAULT_PRIORITY)


def _insert_for(session: AsyncSession) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` is spelled per dialect; both backends support it."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


_DUE_COLUMNS = (
    Delivery.id,
    Delivery.chat_id,
    Delivery.kind,
    Delivery.ref,
    Delivery.priority,
    Delivery.parts,
    Delivery.sent_message_ids,
    Delivery.plain_text,
    Delivery.attempts,
    Delivery.claim_part,
)


def _due_from_row(row: Any) -> DueDelivery:
    return DueDelivery(
        id=row.id,
        chat_id=row.chat_id,
        kind=row.kind,
        ref=row.ref,
        priority=row.priority,
        parts=tuple(MessagePart.from_json(p) for p in row.parts),
        sent_message_ids=tuple(row.sent_message_ids or ()),
        plain_text=bool(row.plain_text),
        attempts=row.attempts,
        claim_part=row.claim_part,
    )


class Outbox:
    """Outbox rows in one session; callers own the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- enqueue -------------------------------------------------------------------------------

    async def enqueue(self, new: NewDelivery, *, now: datetime) -> bool:
        """Add the push unless (chat, kind, ref) is already in the outbox; True if it was added."""
        return await self.enqueue_many([new], now=now) == 1

    async def enqueue_many(self, items: Sequence[NewDelivery], *, now: datetime) -> int:
        """Add many pushes (a fan-out) in few statements; returns how many were new."""
        insert = _insert_for(self.session)
        added = 0
        for start in range(0, len(items), ENQUEUE_CHUNK):
            chunk = items[start : start + ENQUEUE_CHUNK]
            values = [
                {
                    "chat_id": item.chat_id,
                    "kind": item.kind,
                    "ref": item.ref,
                    "priority": priority_for(item.kind) if item.priority is None
                    else item.priority,
                    "status": PENDING,
                    "parts": [part.to_json() for part in item.parts],
                    "sent_message_ids": [],
                    "plain_text": False,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in chunk
                if item.parts
            ]
            if not values:
                continue
            statement = (
                insert(Delivery)
                .values(values)
                .on_conflict_do_nothing(index_elements=["chat_id", "kind", "ref"])
                .returning(Delivery.id)
            )
            added += len((await self.session.execute(statement)).all())
        return added

    # --- reading -------------------------------------------------------------------------------

    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def find(self, chat_id: int, kind: str, ref: str) -> Delivery | None:
        return await self.session.scalar(
            select(Delivery).where(
                Delivery.chat_id == chat_id, Delivery.kind == kind, Delivery.ref == ref
            )
        )

    async def for_chat(self, chat_id: int) -> list[Delivery]:
        rows = await self.session.scalars(
            select(Delivery).where(Delivery.chat_id == chat_id).order_by(Delivery.id)
        )
        return list(rows)

    async def due(self, now: datetime, *, limit: int) -> list[DueDelivery]:
        """Pending rows whose time has come: highest priority first, then oldest first."""
        rows = await self.session.execute(
            select(*_DUE_COLUMNS)
            .where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.priority.desc(), Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        return [_due_from_row(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending row becomes due (None: nothing pending)."""
        return await self.session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(Delivery.status == PENDING)
        )

    async def oldest_claim_at(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(Delivery.claimed_at)).where(Delivery.status == CLAIMED)
        )

    async def open_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status.in_(OPEN_STATUSES))
        )
        return int(count or 0)

    # --- the sender's writes ---------------------------------------------------------------------

    async def claim(self, rows: Sequence[tuple[int, int]], *, now: datetime) -> None:
        """Mark (delivery id, part) as in flight: written before the HTTP call is made."""
        if not rows:
            return
        await self.session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.status == PENDING)
            .values(status=CLAIMED, claimed_at=now, claim_part=bindparam("b_part"),
                    updated_at=now),
            [{"b_id": row_id, "b_part": part} for row_id, part in rows],
        )

    async def defer(self, rows: Sequence[tuple[int, datetime]], *, now: datetime) -> None:
        """Push pending rows to a later time (their chat is paced) without counting an attempt."""
        if not rows:
            return
        await self.session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.status == PENDING)
            .values(next_attempt_at=bindparam("b_at"), updated_at=now),
            [{"b_id": row_id, "b_at": at} for row_id, at in rows],
        )

    async def part_sent(
        self,
        row: DueDelivery,
        message_id: int,
        *,
        now: datetime,
        next_part_at: datetime,
    ) -> bool:
        """Record one part as sent; the row is done after its last part. True when done."""
        sent = [*row.sent_message_ids, message_id]
        done = len(sent) >= len(row.parts)
        values: dict[str, Any] = {
            "sent_message_ids": sent,
            "claimed_at": None,
            "claim_part": None,
            "updated_at": now,
            "attempts": 0,
        }
        if done:
            values.update(status=SENT, finished_at=now)
        else:
            values.update(
                status=PENDING,
                next_attempt_at=next_part_at,
                priority=row.priority + CONTINUATION_BOOST
                if not row.sent_message_ids else row.priority,
            )
        await self.session.execute(
            update(Delivery).where(Delivery.id == row.id).values(**values),
            execution_options={"synchronize_session": False},
        )
        return done

    async def retry_later(
        self,
        row_id: int,
        *,
        at: datetime,
        now: datetime,
        error: str | None = None,
        count_attempt: bool = True,
        plain_text: bool | None = None,
    ) -> None:
        """Back to pending until ``at`` (after a 429, a network error, a plain-text fallback)."""
        values: dict[str, Any] = {
            "status": PENDING,
            "next_attempt_at": at,
            "claimed_at": None,
            "claim_part": None,
            "updated_at": now,
        }
        if count_attempt:
            values["attempts"] = Delivery.attempts + 1
        if error is not None:
            values["last_error"] = error
        if plain_text is not None:
            values["plain_text"] = plain_text
        await self.session.execute(
            update(Delivery).where(Delivery.id == row_id).values(**values),
            execution_options={"synchronize_session": False},
        )

    async def fail(self, row_id: int, error: str, *, now: datetime) -> None:
        """Give up on a row, loudly: the reason stays in ``last_error``."""
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == row_id)
            .values(status=FAILED, last_error=error, claimed_at=None, claim_part=None,
                    attempts=Delivery.attempts + 1, updated_at=now, finished_at=now),
            execution_options={"synchronize_session": False},
        )

    async def cancel_chat(self, chat_id: int, reason: str, *, now: datetime) -> int:
        """Cancel every open row of a chat that can no longer receive messages."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.chat_id == chat_id, Delivery.status.in_(OPEN_STATUSES))
            .values(status=CANCELLED, last_error=reason, claimed_at=None, claim_part=None,
                    updated_at=now, finished_at=now),
            execution_options={"synchronize_session": False},
        )
        return int(result.rowcount or 0)

    async def move_chat(self, old_id: int, new_id: int, *, now: datetime) -> int:
        """Move a chat's open rows to its new id (group → supergroup), ready to send at once.

        A row whose (kind, ref) the new id already has is cancelled instead: the push is already
        queued there, and the unique key must hold.
        """
        taken = select(Delivery.kind, Delivery.ref).where(Delivery.chat_id == new_id)
        taken_pairs = {(kind, ref) for kind, ref in (await self.session.execute(taken)).all()}
        rows = (
            await self.session.execute(
                select(Delivery.id, Delivery.kind, Delivery.ref).where(
                    Delivery.chat_id == old_id, Delivery.status.in_(OPEN_STATUSES)
                )
            )
        ).all()
        moved = 0
        for row_id, kind, ref in rows:
            if (kind, ref) in taken_pairs:
                await self.session.execute(
                    update(Delivery)
                    .where(Delivery.id == row_id)
                    .values(status=CANCELLED, last_error=f"already queued for chat {new_id}",
                            claimed_at=None, claim_part=None, updated_at=now, finished_at=now),
                    execution_options={"synchronize_session": False},
                )
                continue
            await self.session.execute(
                update(Delivery)
                .where(Delivery.id == row_id)
                .values(chat_id=new_id, status=PENDING, next_attempt_at=now, claimed_at=None,
                        claim_part=None, updated_at=now),
                execution_options={"synchronize_session": False},
            )
            moved += 1
        return moved

    async def release_stale_claims(
        self, *, older_than: datetime, now: datetime, exclude: Sequence[int] = ()
    ) -> list[ReleasedClaim]:
        """Return rows claimed before ``older_than`` to pending: their process died mid-send.

        The part that was in flight is sent again (its message id was never recorded), so it may
        reach the chat twice; every other part is either recorded as sent or was never sent.
        """
        stale = (
            await self.session.execute(
                select(Delivery.id, Delivery.chat_id, Delivery.kind, Delivery.ref,
                       Delivery.claim_part, Delivery.claimed_at)
                .where(Delivery.status == CLAIMED, Delivery.claimed_at <= older_than,
                       Delivery.id.not_in(list(exclude)))
            )
        ).all()
        if not stale:
            return []
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_([row.id for row in stale]), Delivery.status == CLAIMED)
            .values(status=PENDING, next_attempt_at=now, claimed_at=None, updated_at=now,
                    last_error="released after a crash: the part in flight may repeat"),
            execution_options={"synchronize_session": False},
        )
        return [
            ReleasedClaim(row.id, row.chat_id, row.kind, row.ref, row.claim_part, row.claimed_at)
            for row in stale
        ]

    # --- observability -------------------------------------------------------------------------

    async def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {status: rows}} over the whole outbox."""
        rows = await self.session.execute(
            select(Delivery.kind, Delivery.status, func.count()).group_by(
                Delivery.kind, Delivery.status
            )
        )
        result: dict[str, dict[str, int]] = {}
        for kind, status, count in rows:
            result.setdefault(kind, {})[status] = int(count)
        return result

    async def finished_since(self, since: datetime) -> dict[str, int]:
        """{status: rows} of rows finished (sent, failed, cancelled) at or after ``since``."""
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.finished_at >= since)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows}

    async def last_error(self) -> Delivery | None:
        """The most recently updated row that carries an error."""
        return await self.session.scalar(
            select(Delivery)
            .where(Delivery.last_error.is_not(None))
            .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
            .limit(1)
        )
