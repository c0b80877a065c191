"""The digest scheduler: due chats → composed, rendered digests → outbox rows, once per date.

One :class:`DigestScheduler.run_due` pass reads every subscribed chat's schedule, asks
:mod:`bot.subscriptions.schedule` which are due at the clock's instant (grace window, DST), composes
each digest from material shared per cursor, and in one transaction per batch enqueues the rows
(key: chat, "digest", local date) and records the date on the chat. Running it twice, or being
killed in the middle, neither loses nor repeats a digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.alerts.state import DEFAULT_STALE_AFTER, AlertQueryService
from bot.clock import Clock, ManualClock, SystemClock
from bot.config import Settings
from bot.render.callback_data import CallbackCodec
from bot.render.digest import render_digest, render_nothing_new
from bot.render.i18n import Translator
from bot.render.parts import MessagePart
from bot.subscriptions.digest import (
    DIGEST_KIND,
    Digest,
    DigestAlert,
    DigestPreferences,
    DigestSource,
    compose_digest,
)
from bot.subscriptions.schedule import (
    DEFAULT_GRACE,
    ChatSchedule,
    DueDigest,
    due_digests,
    stored_timezone,
)
from bot.text.relative_time import PAPER_TZ
from storage.database import Database, WriteSession
from storage.models import Chat
from storage.outbox import NewDelivery, Outbox, StoredPart
from storage.subscriptions import DigestMark, SubscriptionLedger

logger = logging.getLogger("newsbrief.digest")

BATCH = 100  # chats per transaction: each batch's reads and writes hold the event loop too
# Composition yields to the event loop after this much work, so replies keep flowing during a big
# pass (every 50 chats was up to 1.4 s between yields on a loaded machine: docs/performance.md).
YIELD_AFTER_SECONDS = 0.01


@dataclass(frozen=True)
class DigestOptions:
    """How the scheduler behaves (``NEWSBRIEF_DIGEST_*`` settings feed these)."""

    grace: timedelta = DEFAULT_GRACE
    send_empty_note: bool = False  # a short "nothing new" message on quiet days
    # Alerts not reported for this long are not listed as in force (None: never stale).
    alert_stale_after: timedelta | None = DEFAULT_STALE_AFTER

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestOptions:
        return cls(grace=settings.digest_grace, send_empty_note=settings.digest_empty_note,
                   alert_stale_after=settings.alert_stale_after)


@dataclass
class DigestRunReport:
    due: int = 0
    enqueued: int = 0
    quiet: int = 0
    chats: list[int] = field(default_factory=list)

    def add(self, batch: DigestRunReport) -> None:
        """Count a committed batch (its ``due`` is already in this report's)."""
        self.enqueued += batch.enqueued
        self.quiet += batch.quiet
        self.chats += batch.chats


@dataclass(frozen=True)
class PreviewedDigest:
    """What one chat would be sent: the outbox parts exactly as the sender would send them."""

    chat_id: int
    local_date: date
    parts: tuple[MessagePart, ...]
    queued: bool  # already in the outbox (these are the stored parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "chat_id": self.chat_id,
            "date": self.local_date.isoformat(),
            "queued": self.queued,
            "messages": [part.to_outbox() for part in self.parts],
        }


def preferences(chat: Chat) -> DigestPreferences:
    return DigestPreferences(
        chat_id=chat.id,
        sections=tuple(chat.sections or ()),
        other_hazards=chat.other_hazards,
        silent=chat.digest_silent,
        language=chat.reader_language,
    )


class DigestScheduler:
    """Composes and enqueues due digests; reads time only from its clock."""

    def __init__(
        self,
        db: Database,
        codec: CallbackCodec,
        *,
        paper: str,
        clock: Clock | None = None,
        options: DigestOptions | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.codec = codec
        self.paper = paper
        self.clock = clock or SystemClock()
        self.options = options or DigestOptions()
        self.notify = notify

    async def _alerts(self, as_of: datetime | None = None) -> list[DigestAlert]:
        """The alerts in force now, or (a preview of a given day) as of that instant."""
        clock: Clock = self.clock if as_of is None else ManualClock(as_of)
        query = AlertQueryService(self.db, clock=clock,
                                  stale_after=self.options.alert_stale_after)
        return [DigestAlert.of(r) for r in await query.active()]

    async def compose(
        self, chat: Chat, local_date: date, source: DigestSource, alerts: Sequence[DigestAlert]
    ) -> Digest:
        material = await source.material(chat.last_digest_article_id)
        shown = alerts if chat.alerts_enabled else ()
        return compose_digest(preferences(chat), local_date, material, shown)

    def render(self, digest: Digest) -> list[MessagePart]:
        """The messages of a digest (or the quiet-day note, or nothing)."""
        tr = Translator.for_language(digest.language)
        if digest.empty:
            if not self.options.send_empty_note:
                return []
            parts = render_nothing_new(digest, tr, self.paper)
        else:
            parts = render_digest(digest, tr, self.codec, self.paper)
        return parts

    async def run_due(self) -> DigestRunReport:
        """Enqueue every digest due now; safe to run at any time, any number of times."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = await SubscriptionLedger(session).schedules()
        due = due_digests(
            (ChatSchedule(r.chat_id, r.digest_time, r.timezone, r.last_digest_date)
             for r in rows),
            now, self.options.grace,
        )
        report = DigestRunReport(due=len(due))
        if not due:
            return report
        source = DigestSource(self.db)
        alerts = await self._alerts()
        for start in range(0, len(due), BATCH):
            batch = await self._enqueue_batch(due[start : start + BATCH], source, alerts, now)
            report.add(batch)
            if batch.enqueued and self.notify is not None:
                self.notify()  # the sender starts on this batch while the next is composed
        if report.enqueued:
            logger.info("digests: %d due, %d enqueued, %d quiet", report.due, report.enqueued,
                        report.quiet)
        return report

    async def _enqueue_batch(
        self, batch: Sequence[DueDigest], source: DigestSource,
        alerts: Sequence[DigestAlert], now: datetime,
    ) -> DigestRunReport:
        """One batch of due digests composed, enqueued and marked in one transaction, retried
        as a whole while another writer holds SQLite's lock; what it reports has committed."""

        async def work(session: WriteSession) -> DigestRunReport:
            done = DigestRunReport(due=len(batch))  # afresh on every try
            ledger = SubscriptionLedger(session)
            chats = {c.id: c for c in await ledger.chats([d.chat_id for d in batch])}
            deliveries: list[NewDelivery] = []
            marks: list[DigestMark] = []
            worked_since = self.clock.monotonic()
            for item in batch:
                if self.clock.monotonic() - worked_since >= YIELD_AFTER_SECONDS:
                    await asyncio.sleep(0)  # let updates be answered during a big fan-out
                    worked_since = self.clock.monotonic()
                chat = chats.get(item.chat_id)
                if chat is None:
                    continue
                digest = await self.compose(chat, item.local_date, source, alerts)
                parts: list[StoredPart] = [p.to_outbox() for p in self.render(digest)]
                if parts:
                    deliveries.append(NewDelivery(chat.id, DIGEST_KIND, digest.ref, parts))
                    done.chats.append(chat.id)
                else:
                    done.quiet += 1
                marks.append(DigestMark(chat.id, item.local_date, digest.cursor))
            done.enqueued = await Outbox(session).enqueue_many(deliveries, now=now)
            await ledger.mark(marks, now=now)
            return done

        return await self.db.write(work)

    async def preview(
        self, chat_ids: Sequence[int] | None = None, local_date: date | None = None
    ) -> list[PreviewedDigest]:
        """What each chat (default: every subscribed chat) would get for ``local_date`` (default:
        its local today), without writing anything. A digest already queued is shown as stored."""
        now = self.clock.now()
        async with self.db.session() as session:
            ledger = SubscriptionLedger(session)
            if chat_ids is None:
                chat_ids = [row.chat_id for row in await ledger.schedules()]
            chats = await ledger.chats(chat_ids)
            outbox = Outbox(session)
            queued = {}
            for chat in chats:
                day = local_date or now.astimezone(stored_timezone(chat.timezone)).date()
                row = await outbox.find(chat.id, DIGEST_KIND, day.isoformat())
                queued[chat.id] = (day, row)
        source = DigestSource(self.db)
        # A past day's digest shows the alerts that were in force that day (by its end).
        as_of = None
        if local_date is not None:
            as_of = min(now, datetime.combine(local_date + timedelta(days=1), time(0), PAPER_TZ))
        alerts = await self._alerts(as_of)
        previews = []
        for chat in chats:
            day, row = queued[chat.id]
            if row is not None:
                parts = tuple(MessagePart.from_outbox(p) for p in row.parts)
                previews.append(PreviewedDigest(chat.id, day, parts, queued=True))
                continue
            digest = await self.compose(chat, day, source, alerts)
            previews.append(PreviewedDigest(chat.id, day, tuple(self.render(digest)), False))
        return previews
