"""The digest scheduler: due chats → composed, rendered digests → outbox rows, once per date.

One :class:`DigestScheduler.run_due` pass reads every subscribed chat's schedule, asks
:mod:`bot.subscriptions.schedule` which are due at the clock's instant (grace window, DST), composes
each digest from material shared per cursor, and in one transaction per batch enqueues the rows
(key: chat, "digest", local date) and records the date on the chat. Running it twice, or being
killed in the middle, neither loses nor repeats a digest. :class:`DigestJobs` runs it on the
Application's JobQueue (APScheduler) every minute and once at start, which is the restart catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import Application, ContextTypes, Job

from bot.alerts.state import AlertQueryService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.render.callback_data import CallbackCodec
from bot.render.digest import render_digest, render_nothing_new, to_outbox_parts
from bot.render.i18n import Translator
from bot.subscriptions.digest import (
    DIGEST_KIND,
    Digest,
    DigestAlert,
    DigestPreferences,
    DigestSource,
    compose_digest,
)
from bot.subscriptions.schedule import DEFAULT_GRACE, ChatSchedule, due_digests, parse_timezone
from bot.subscriptions.watches import WatchNotifier
from storage.database import Database
from storage.models import Chat
from storage.outbox import MessagePart, NewDelivery, Outbox
from storage.subscriptions import DigestMark, SubscriptionLedger

logger = logging.getLogger("newsbrief.digest")

BATCH = 500
YIELD_EVERY = 50
JOB_NAME = "newsbrief.digests"


@dataclass(frozen=True)
class DigestOptions:
    """How the scheduler behaves (``NEWSBRIEF_DIGEST_*`` settings feed these)."""

    grace: timedelta = DEFAULT_GRACE
    send_empty_note: bool = False  # a short "nothing new" message on quiet days
    interval_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestOptions:
        return cls(grace=settings.digest_grace, send_empty_note=settings.digest_empty_note)


@dataclass
class DigestRunReport:
    due: int = 0
    enqueued: int = 0
    quiet: int = 0
    chats: list[int] = field(default_factory=list)


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
            "messages": [part.to_json() for part in self.parts],
        }


def preferences(chat: Chat) -> DigestPreferences:
    return DigestPreferences(
        chat_id=chat.id,
        sections=tuple(chat.sections or ()),
        other_hazards=chat.other_hazards,
        silent=chat.digest_silent,
        language=chat.language,
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

    async def _alerts(self) -> list[DigestAlert]:
        return [DigestAlert.of(r) for r in await AlertQueryService(self.db).active()]

    async def compose(
        self, chat: Chat, local_date: date, source: DigestSource, alerts: Sequence[DigestAlert]
    ) -> Digest:
        material = await source.material(chat.last_digest_article_id)
        shown = alerts if chat.alerts_enabled else ()
        return compose_digest(preferences(chat), local_date, material, shown)

    def render(self, digest: Digest) -> list[MessagePart]:
        """The outbox parts for a digest (or the quiet-day note, or nothing)."""
        tr = Translator.for_language(digest.language)
        if digest.empty:
            if not self.options.send_empty_note:
                return []
            parts = render_nothing_new(digest, tr, self.paper)
        else:
            parts = render_digest(digest, tr, self.codec, self.paper)
        return to_outbox_parts(parts, silent=digest.silent)

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
            batch = due[start : start + BATCH]
            async with self.db.session() as session:
                ledger = SubscriptionLedger(session)
                chats = {c.id: c for c in await ledger.chats([d.chat_id for d in batch])}
                deliveries: list[NewDelivery] = []
                marks: list[DigestMark] = []
                for index, item in enumerate(batch):
                    if index % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # let updates be answered during a big fan-out
                    chat = chats.get(item.chat_id)
                    if chat is None:
                        continue
                    digest = await self.compose(chat, item.local_date, source, alerts)
                    parts = self.render(digest)
                    if parts:
                        deliveries.append(NewDelivery(chat.id, DIGEST_KIND, digest.ref, parts))
                        report.chats.append(chat.id)
                    else:
                        report.quiet += 1
                    marks.append(DigestMark(chat.id, item.local_date, digest.cursor))
                added = await Outbox(session).enqueue_many(deliveries, now=now)
                await ledger.mark(marks, now=now)
            report.enqueued += added
            if added and self.notify is not None:
                self.notify()  # the sender starts on this batch while the next is composed
        if report.enqueued:
            logger.info("digests: %d due, %d enqueued, %d quiet", report.due, report.enqueued,
                        report.quiet)
        return report

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
                day = local_date or now.astimezone(parse_timezone(chat.timezone)).date()
                row = await outbox.find(chat.id, DIGEST_KIND, day.isoformat())
                queued[chat.id] = (day, row)
        source = DigestSource(self.db)
        alerts = await self._alerts()
        previews = []
        for chat in chats:
            day, row = queued[chat.id]
            if row is not None:
                parts = tuple(MessagePart.from_json(p) for p in row.parts)
                previews.append(PreviewedDigest(chat.id, day, parts, queued=True))
                continue
            digest = await self.compose(chat, day, source, alerts)
            previews.append(PreviewedDigest(chat.id, day, tuple(self.render(digest)), False))
        return previews


class DigestJobs:
    """Digests and watch notices: once at start (the restart catch-up), then every
    ``interval_seconds`` on the Application's JobQueue. An :class:`~bot.app.application.AppService`.

    Built from the Application's shared services when it starts, so it reads the same clock as
    the handlers (tests swap in a ManualClock). ``notify`` wakes the delivery sender after an
    enqueue (``DeliverySender.queue.notify``); without it the sender finds the rows on its own
    idle re-check.
    """

    def __init__(
        self, options: DigestOptions | None = None, *, notify: Callable[[], None] | None = None
    ) -> None:
        self.options = options or DigestOptions()
        self.notify = notify
        self.scheduler: DigestScheduler | None = None
        self.watches: WatchNotifier | None = None
        self.job: Job | None = None
        self.passes = 0  # finished ticks (tests wait on this instead of sleeping)
        self._passed = asyncio.Condition()
        self._watch_lock = asyncio.Lock()  # one watch pass at a time (tick vs after_ingest)

    async def start(self, application: Application) -> None:
        from bot.app.application import bot_services

        deps = bot_services(application)
        self.scheduler = DigestScheduler(
            deps.db, deps.codec, paper=deps.settings.paper, clock=deps.clock,
            options=self.options, notify=self.notify,
        )
        self.watches = WatchNotifier(deps.db, deps.codec, clock=deps.clock, notify=self.notify)
        job_queue = application.job_queue
        if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
            raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
        application.bot_data[JOB_NAME] = self  # so an in-process ingest can call after_ingest()
        # The restart catch-up runs now, before the first update is answered. (A job queued with
        # first=0 before the JobQueue starts would be moved one interval on by APScheduler.)
        await self.tick()
        self.job = job_queue.run_repeating(
            self.tick, interval=self.options.interval_seconds,
            first=self.options.interval_seconds, name=JOB_NAME,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )

    async def stop(self, application: Application) -> None:
        if self.job is not None:
            with contextlib.suppress(JobLookupError):  # the JobQueue already shut down
                self.job.schedule_removal()
            self.job = None

    async def tick(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """One pass: watch notices for new articles, then due digests. A failure goes to the
        Application's error handler and the next tick retries (nothing was half-written)."""
        assert self.scheduler is not None and self.watches is not None, "not started"
        try:
            async with self._watch_lock:
                await self.watches.run()
            await self.scheduler.run_due()
        finally:
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()

    async def after_ingest(self) -> None:
        """Watch notices for an ingest done inside the bot (inbox, admin upload) right away,
        instead of at the next tick; pages loaded by ``newsbrief ingest`` wait for the tick."""
        if self.watches is not None:
            async with self._watch_lock:
                await self.watches.run()

    async def wait_for_passes(self, count: int) -> None:
        """Return once ``count`` ticks have finished (wrap in a timeout)."""
        async with self._passed:
            await self._passed.wait_for(lambda: self.passes >= count)
