"""The three push passes behind one object, shared by the JobQueue jobs and in-bot ingests.

The jobs run the passes on a schedule; an ingest inside the bot (the drop folder, an admin's
upload) calls :meth:`PushService.after_ingest` so its notices go out now rather than at the next
tick. Each pass holds its own lock, so a tick and an upload never run the same pass at once
(which could queue one notice from both before either commits its cursor).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.pushes.alerts import AlertNotifier, NoticeReport
from bot.pushes.digests import DigestOptions, DigestRunReport, DigestScheduler
from bot.pushes.watches import WatchNotifier, WatchRunReport
from bot.render.callback_data import CallbackCodec
from storage.database import Database


@dataclass(frozen=True)
class IngestPushReport:
    """What an in-bot ingest queued: alert notices, then keyword-watch notices."""

    alerts: NoticeReport
    watches: WatchRunReport


class PushService:
    """Alert notices, keyword-watch notices and due digests → outbox rows.

    ``notify`` wakes the delivery sender after an enqueue; without it the sender finds the rows on
    its own idle re-check.
    """

    def __init__(
        self,
        db: Database,
        codec: CallbackCodec,
        clock: Clock,
        settings: Settings,
        *,
        notify: Callable[[], None] | None = None,
        digest_options: DigestOptions | None = None,
    ) -> None:
        self.alerts = AlertNotifier(
            db, codec, clock, tz=settings.timezone, notify=notify, max_age=settings.alert_max_age
        )
        self.watches = WatchNotifier(db, codec, clock=clock, notify=notify)
        self.digests = DigestScheduler(
            db, codec, paper=settings.paper, clock=clock,
            options=digest_options or DigestOptions.from_settings(settings), notify=notify,
        )
        self._alert_lock = asyncio.Lock()
        self._watch_lock = asyncio.Lock()
        self._digest_lock = asyncio.Lock()

    async def alert_pass(self) -> NoticeReport:
        async with self._alert_lock:
            return await self.alerts.queue_pending()

    async def watch_pass(self) -> WatchRunReport:
        async with self._watch_lock:
            return await self.watches.run()

    async def digest_pass(self) -> DigestRunReport:
        async with self._digest_lock:
            return await self.digests.run_due()

    async def after_ingest(self) -> IngestPushReport:
        """Alerts first (they are urgent), then watches, for articles just stored."""
        alerts = await self.alert_pass()
        watches = await self.watch_pass()
        return IngestPushReport(alerts, watches)
