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

from bot.clock import Clock, SystemClock
from bot.ingest.inbox import Inbox, InboxFolderError, InboxOutcome
from bot.pushes.service import PushService
from bot.sources.service import PollResult, SourceService
from storage.database import DatabaseUnavailableError

logger = logging.getLogger(__name__)

DIGEST_JOB = "newsbrief.digests"
FEED_JOB = "newsbrief.feeds"
SOURCES_JOB = "newsbrief.sources"
DIGEST_INTERVAL_SECONDS = 60.0
ERROR_REPORT_INTERVAL_SECONDS = 600.0  # a failing job logs once per this, with a count
# Failures the operator fixes outside the program (disk full, database down, inbox not a
# folder): one line each, no traceback.
OPERATOR_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseUnavailableError, InboxFolderError, OSError,
)
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


class RepeatedErrorLog:
    """Logs a job's failure once, then at most once per ``interval`` with how many passes failed
    since, and once more when it works again: a full disk polled every 5 s gives one line per
    10 minutes, not a 120-line traceback per poll."""

    def __init__(self, job: str, *, interval: float = ERROR_REPORT_INTERVAL_SECONDS,
                 clock: Clock | None = None) -> None:
        self.job = job
        self.interval = interval
        self.clock = clock or SystemClock()
        self.failures = 0  # since the last line logged
        self.failing_since: float | None = None
        self._last_logged = 0.0

    def failed(self, exc: BaseException) -> None:
        now = self.clock.monotonic()
        self.failures += 1
        first = self.failing_since is None
        if first:
            self.failing_since = now
        elif now - self._last_logged < self.interval:
            return
        known = isinstance(exc, OPERATOR_ERRORS)
        logger.error(
            "%s failed%s: %s: %s", self.job,
            "" if first else
            f" {self.failures} time(s) in the last {now - self._last_logged:.0f} s",
            type(exc).__name__, _one_line(str(exc)),
            exc_info=exc if first and not known else None,  # a bug's traceback, once
        )
        self._last_logged, self.failures = now, 0

    def succeeded(self) -> None:
        if self.failing_since is not None:
            logger.info("%s works again after %.0f s", self.job,
                        self.clock.monotonic() - self.failing_since)
        self.failing_since, self.failures = None, 0


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


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

    def __init__(self, pushes: PushService, *, inbox: Inbox | None, interval: float,
                 clock: Clock | None = None) -> None:
        super().__init__(interval)
        self.pushes = pushes
        self.inbox = inbox
        self.last_outcomes: list[InboxOutcome] = []
        self.errors = RepeatedErrorLog(self.name, clock=clock)

    async def start(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self.inbox is not None:
            self.inbox.ensure_folders()
            logger.info("watching %s for pages every %.0f s", self.inbox.folder, self.interval)
        await super().start(application)

    async def run_pass(self) -> None:
        """One pass; a failure is logged by :class:`RepeatedErrorLog` and the next tick retries
        (files stay in the drop folder, notices stay unqueued)."""
        try:
            await self._feed_pass()
        except Exception as exc:
            self.errors.failed(exc)
        else:
            self.errors.succeeded()

    async def _feed_pass(self) -> None:
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
