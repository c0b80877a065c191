"""What the delivery engine is doing, as plain values: for ``newsbrief status`` and monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock, SystemClock
from storage.chats import ChatRepository
from storage.database import Database
from storage.outbox import CANCELLED, CLAIMED, FAILED, OPEN_STATUSES, PENDING, SENT, Outbox

RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class LastError:
    delivery_id: int
    chat_id: int
    kind: str
    ref: str
    status: str
    error: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id, "chat_id": self.chat_id, "kind": self.kind,
            "ref": self.ref, "status": self.status, "error": self.error,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class DeliveryStatus:
    """Queue depth (open rows) and all rows by kind and status; the last hour; inactive chats."""

    queue: dict[str, dict[str, int]]  # kind -> {"pending", "claimed"}: what is still to go
    outbox: dict[str, dict[str, int]]  # kind -> every status: all rows ever queued
    queued_total: int
    sent_last_hour: int
    failed_last_hour: int
    cancelled_last_hour: int
    inactive_chats: int
    oldest_pending_at: datetime | None
    last_error: LastError | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "queued_total": self.queued_total,
            "outbox": self.outbox,
            "sent_last_hour": self.sent_last_hour,
            "failed_last_hour": self.failed_last_hour,
            "cancelled_last_hour": self.cancelled_last_hour,
            "inactive_chats": self.inactive_chats,
            "oldest_pending_at": self.oldest_pending_at.isoformat()
            if self.oldest_pending_at else None,
            "last_error": self.last_error.to_dict() if self.last_error else None,
        }


class DeliveryStatusService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def status(self) -> DeliveryStatus:
        now = self.clock.now()
        async with self.db.session() as session:
            outbox = Outbox(session)
            counts = await outbox.counts()
            recent = await outbox.finished_since(now - RECENT)
            oldest = await outbox.next_due_at()
            last = await outbox.last_error()
            inactive = await ChatRepository(session).count_inactive()
        queue = {
            kind: {status: by_status.get(status, 0) for status in (PENDING, CLAIMED)}
            for kind, by_status in sorted(counts.items())
            if any(by_status.get(status) for status in OPEN_STATUSES)
        }
        return DeliveryStatus(
            queue=queue,
            outbox={kind: dict(sorted(by.items())) for kind, by in sorted(counts.items())},
            queued_total=sum(sum(by.values()) for by in queue.values()),
            sent_last_hour=recent.get(SENT, 0),
            failed_last_hour=recent.get(FAILED, 0),
            cancelled_last_hour=recent.get(CANCELLED, 0),
            inactive_chats=inactive,
            oldest_pending_at=oldest,
            last_error=LastError(
                last.id, last.chat_id, last.kind, last.ref, last.status, last.last_error or "",
                last.updated_at,
            ) if last is not None else None,
        )
