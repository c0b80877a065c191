"""The bot's feed of pages and alerts: the inbox scan and the alert-notice pass on the JobQueue.

One repeating job (every ``NEWSBRIEF_INBOX_POLL_SECONDS``) ingests whatever has settled in the
drop folder, then queues notices for alert events not yet notified — including events from pages
loaded with ``newsbrief ingest`` in another process. An admin's upload calls :meth:`after_ingest`
so its notices do not wait for the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError

from bot.alerts.notices import AlertNotifier, NoticeReport
from bot.ingest.inbox import Inbox, InboxOutcome
from bot.ingest.service import IngestService

if TYPE_CHECKING:
    from telegram.ext import Application, ContextTypes, Job

logger = logging.getLogger(__name__)

JOB_NAME = "newsbrief.inbox_and_alerts"


class AlertJobs:
    """An :class:`~bot.app.application.AppService`: the inbox and alert notices."""

    def __init__(self, *, notify: Callable[[], None] | None = None) -> None:
        self.notify = notify
        self.notifier: AlertNotifier | None = None
        self.inbox: Inbox | None = None
        self.job: Job | None = None
        self.application: Application | None = None
        self.passes = 0
        self._passed = asyncio.Condition()
        self._lock = asyncio.Lock()

    async def start(self, application: Application) -> None:
        from bot.app.application import bot_services

        deps = bot_services(application)
        settings = deps.settings
        self.notifier = AlertNotifier(
            deps.db, deps.codec, deps.clock, tz=settings.timezone, notify=self.notify,
            max_age=settings.alert_max_age,
        )
        if settings.inbox is not None:
            self.inbox = Inbox(settings.inbox, IngestService(deps.db, settings))
            self.inbox.ensure_folders()
            logger.info("watching %s for pages every %.0f s", settings.inbox,
                        settings.inbox_poll_seconds)
        application.bot_data[JOB_NAME] = self
        self.application = application
        await self.tick()
        job_queue = application.job_queue
        if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
            raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
        self.job = job_queue.run_repeating(
            self.tick, interval=settings.inbox_poll_seconds, first=settings.inbox_poll_seconds,
            name=JOB_NAME,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )

    async def stop(self, application: Application) -> None:
        if self.job is not None:
            with contextlib.suppress(JobLookupError):
                self.job.schedule_removal()
            self.job = None

    async def tick(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> list[InboxOutcome]:
        """Scan the inbox once, then queue notices; never two passes at once."""
        try:
            async with self._lock:
                outcomes = await self.inbox.process_once() if self.inbox is not None else []
                await self._queue_notices()
            if any(o.report is not None and o.report.articles_new for o in outcomes):
                await self._watch_notices()
            return outcomes
        finally:
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()

    async def after_ingest(self) -> NoticeReport:
        """Alert notices, then keyword-watch notices, for an ingest done inside the bot."""
        async with self._lock:
            report = await self._queue_notices()
        await self._watch_notices()
        return report

    async def _watch_notices(self) -> None:
        """Watches are the digest jobs' (``DigestJobs.after_ingest``); run them now if present."""
        from bot.subscriptions.digest_jobs import JOB_NAME as DIGEST_JOBS

        digest_jobs = self.application.bot_data.get(DIGEST_JOBS) if self.application else None
        if digest_jobs is not None:
            await digest_jobs.after_ingest()

    async def _queue_notices(self) -> NoticeReport:
        assert self.notifier is not None, "not started"
        return await self.notifier.queue_pending()

    async def wait_for_passes(self, count: int) -> None:
        async with self._passed:
            await self._passed.wait_for(lambda: self.passes >= count)
