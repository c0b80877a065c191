"""The bot's repeating work on PTB's JobQueue (APScheduler): digests and feeds.

:class:`DigestJob` queues keyword-watch notices and due digests every minute; :class:`FeedJob`
ingests what has settled in the drop folder and queues notices for alert events not yet notified —
including events from pages loaded with ``newsbrief ingest`` in another process; :class:`SourceJob`
polls the feeds, web pages and PDF pages that are due. Both run once at
start, before the first update is answered (the restart catch-up), then on the JobQueue. Each gets
what it works with through its constructor; an ingest inside the bot calls
:meth:`~bot.pushes.service.PushService.after_ingest` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import Application, Job, JobQueue

from bot.ingest.inbox import Inbox, InboxOutcome
from bot.pushes.service import PushService
from bot.sources.service import PollResult, SourceService

logger = logging.getLogger(__name__)

DIGEST_JOB = "newsbrief.digests"
FEED_JOB = "newsbrief.feeds"
SOURCES_JOB = "newsbrief.sources"
DIGEST_INTERVAL_SECONDS = 60.0
# One pass at a time; a late tick is run once, not once per missed interval.
_JOB_KWARGS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


class RepeatingJob(ABC):
    """A pass run once at start and then every ``interval`` seconds; a failure goes to the
    Application's error handler and the next tick retries (passes never half-write)."""

    name = "newsbrief.job"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.job: Job[Any] | None = None
        self.passes = 0  # finished ticks (tests wait on this instead of sleeping)

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        # The first pass runs now. (A job queued with first=0 before the JobQueue starts would be
        # moved one interval on by APScheduler.)
        await self.tick()
        job_queue: JobQueue[Any] | None = application.job_queue
        if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
            raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
        self.job = job_queue.run_repeating(
            self._scheduled_tick, interval=self.interval, first=self.interval, name=self.name,
            job_kwargs=_JOB_KWARGS,
        )

    async def stop(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self.job is not None:
            with contextlib.suppress(JobLookupError):  # the JobQueue already shut down
                self.job.schedule_removal()
            self.job = None

    async def _scheduled_tick(self, context: object) -> None:
        await self.tick()

    async def tick(self) -> None:
        try:
            await self.run_pass()
        finally:
            self.passes += 1

    @abstractmethod
    async def run_pass(self) -> None:
        """One pass of this job's work."""


class DigestJob(RepeatingJob):
    """Keyword-watch notices for new articles, then the digests due at this minute."""

    name = DIGEST_JOB

    def __init__(self, pushes: PushService, *, interval: float = DIGEST_INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.pushes = pushes

    async def run_pass(self) -> None:
        await self.pushes.watch_pass()
        await self.pushes.digest_pass()


class FeedJob(RepeatingJob):
    """The drop folder (when one is set), then alert notices; watch notices when the folder
    brought new articles (pages loaded elsewhere wait for the digest job's watch pass)."""

    name = FEED_JOB

    def __init__(self, pushes: PushService, *, inbox: Inbox | None, interval: float) -> None:
        super().__init__(interval)
        self.pushes = pushes
        self.inbox = inbox
        self.last_outcomes: list[InboxOutcome] = []

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self.inbox is not None:
            self.inbox.ensure_folders()
            logger.info("watching %s for pages every %.0f s", self.inbox.folder, self.interval)
        await super().start(application)

    async def run_pass(self) -> None:
        outcomes = await self.inbox.process_once() if self.inbox is not None else []
        self.last_outcomes = outcomes
        await self.pushes.alert_pass()
        if any(o.report is not None and o.report.articles_new for o in outcomes):
            await self.pushes.watch_pass()


class SourceJob(RepeatingJob):
    """Polls the sources that are due (each keeps its own interval; this job only looks every
    ``interval`` seconds), then queues alert and watch notices for what they brought.

    Its first pass runs in the background: a slow source must not hold up the first update.
    """

    name = SOURCES_JOB

    def __init__(self, sources: SourceService, pushes: PushService, *, interval: float) -> None:
        super().__init__(interval)
        self.sources = sources
        self.pushes = pushes
        self.last_results: list[PollResult] = []
        self._lock = asyncio.Lock()
        self._first: asyncio.Task[None] | None = None

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        job_queue: JobQueue[Any] | None = application.job_queue
        if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
            raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
        self._first = asyncio.create_task(self.tick())
        self.job = job_queue.run_repeating(
            self._scheduled_tick, interval=self.interval, first=self.interval, name=self.name,
            job_kwargs=_JOB_KWARGS,
        )

    async def stop(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._first is not None and not self._first.done():
            self._first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._first
        await super().stop(application)

    async def run_pass(self) -> None:
        async with self._lock:  # the background first pass and a tick never overlap
            results = await self.sources.poll_due()
            self.last_results = results
            if any(r.articles_new or r.articles_updated or r.alerts_new for r in results):
                await self.pushes.after_ingest()
