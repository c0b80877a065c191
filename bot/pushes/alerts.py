"""Alert notices: a new alert event → one loud, clear message to every subscribed chat.

Events are turned into outbox rows by a durable cursor (``notified_at`` on each event, set in the
same transaction as the rows), so a crash between detection and queueing loses nothing and a
rerun queues nothing twice; the outbox's unique (chat, "alert", event id) is the second guard.
Events far in the past (an archive loaded in bulk) are marked without being pushed: a notice
about last year's typhoon is noise, not news.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import DEFAULT_ALERT_MAX_AGE_HOURS
from bot.render.alerts import render_alert_notice
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Translator
from bot.text.relative_time import PAPER_TZ
from storage.alerts import AlertRepository
from storage.chats import ChatRepository
from storage.database import Database, WriteSession
from storage.models import AlertEventRecord, Chat
from storage.outbox import NewDelivery, Outbox, StoredPart

logger = logging.getLogger("newsbrief.alerts")

ALERT_KIND = "alert"
NOTICE_MAX_AGE = timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)


@dataclass(frozen=True)
class NoticeReport:
    events: int = 0
    notices: int = 0
    skipped_old: int = 0


def wants_alert(chat: Chat, hazard: str) -> bool:
    """Typhoon alerts go to every chat with alerts on; other hazards only to those who opted in."""
    if not chat.alerts_enabled:
        return False
    return hazard == "typhoon" or chat.other_hazards


class AlertNotifier:
    """Queues notices for events not yet notified; run after each ingest and periodically."""

    def __init__(
        self,
        db: Database,
        codec: CallbackCodec,
        clock: Clock,
        *,
        tz: ZoneInfo = PAPER_TZ,
        notify: Callable[[], None] | None = None,
        max_age: timedelta | None = NOTICE_MAX_AGE,
    ) -> None:
        self.db = db
        self.codec = codec
        self.clock = clock
        self.tz = tz
        self.notify = notify
        self.max_age = max_age

    async def queue_pending(self) -> NoticeReport:
        """One transaction (retried whole if another writer holds SQLite's lock): events
        marked notified together with their notices."""
        now = self.clock.now()

        async def work(session: WriteSession) -> NoticeReport:
            events = skipped = 0
            pending = await AlertRepository(session).unnotified()
            if not pending:
                return NoticeReport()
            chats = await ChatRepository(session).active_subscribers()
            deliveries: list[NewDelivery] = []
            for event in pending:
                events += 1
                event.notified_at = now
                if self.max_age is not None and now - event.effective_at > self.max_age:
                    skipped += 1
                    logger.info("alert %d is from %s: too old to push", event.id,
                                event.effective_at.isoformat())
                    continue
                deliveries.extend(self._deliveries(event, chats))
            notices = await Outbox(session).enqueue_many(deliveries, now=now)
            return NoticeReport(events, notices, skipped)

        report = await self.db.write(work)
        if report.notices:
            logger.info("alerts: %d new event(s) → %d notice(s) queued", report.events,
                        report.notices)
            if self.notify is not None:
                self.notify()
        return report

    def _deliveries(self, event: AlertEventRecord, chats: Sequence[Chat]) -> list[NewDelivery]:
        rendered: dict[str | None, list[StoredPart]] = {}
        deliveries = []
        for chat in chats:
            if not wants_alert(chat, event.hazard):
                continue
            language = chat.reader_language
            if language not in rendered:
                tr = Translator.for_language(language)
                part = render_alert_notice(event, tr, self.codec, self.tz)
                rendered[language] = [part.to_outbox()]
            deliveries.append(NewDelivery(chat.id, ALERT_KIND, str(event.id), rendered[language]))
        return deliveries
