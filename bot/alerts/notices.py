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

from bot.alerts.state import severity
from bot.clock import Clock
from bot.config import DEFAULT_ALERT_MAX_AGE_HOURS
from bot.render.callback_data import CallbackCodec
from bot.render.digest import to_outbox_parts
from bot.render.i18n import DEFAULT_LOCALE, Html, Translator, catalogue
from bot.render.views import Button, MessagePart
from bot.text.relative_time import PAPER_TZ
from storage.alerts import AlertRepository
from storage.chats import ChatRepository
from storage.database import Database
from storage.models import AlertEventRecord, Chat
from storage.outbox import NewDelivery, Outbox

logger = logging.getLogger(__name__)

ALERT_KIND = "alert"
NOTICE_MAX_AGE = timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)
ROMAN_LEVELS = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ"}
WARNING_COLOURS = ("blue", "yellow", "orange", "red")
HAZARD_EMOJI = {"typhoon": "🌀", "flood": "🌊", "rainstorm": "🌧"}
ENDED_EMOJI = "✅"
OTHER_EMOJI = "⚠️"


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


def _level_text(level: str | None, kind: str, tr: Translator) -> str:
    if level is None:
        return ""
    if kind == "warning" and level in WARNING_COLOURS:
        return tr.text(f"alert.colour.{level}")
    return tr.text("alert.level", level=ROMAN_LEVELS.get(level, level))


def _who(event: AlertEventRecord) -> str:
    """The authority with its region when the paper wrote only 区防指 ("萧山区" + "防指")."""
    authority, region = event.authority, event.region
    if region and authority[:1] in "区市县省" and region.endswith(authority[:1]):
        return region + authority[1:]
    return authority


def _hazard_name(event: AlertEventRecord, tr: Translator) -> str:
    key = f"alert.hazard.{event.kind}.{event.hazard}"
    if key in catalogue(DEFAULT_LOCALE):
        return tr.text(key)
    return tr.text(f"alert.hazard.{event.kind}.other", hazard=event.hazard)


def render_alert_notice(
    event: AlertEventRecord, tr: Translator, codec: CallbackCodec, tz: ZoneInfo = PAPER_TZ
) -> MessagePart:
    """What happened, storm, level (and the change), authority, time, impact, advice, source."""
    ended = event.action == "end"
    emoji = ENDED_EMOJI if ended else HAZARD_EMOJI.get(event.hazard, OTHER_EMOJI)
    level = _level_text(event.level, event.kind, tr)
    headline = tr.html(
        f"alert.headline.{event.kind}.{event.action}",
        emoji=emoji, who=tr.article_text(_who(event)), hazard=_hazard_name(event, tr),
        level=level,
    )
    lines: list[str] = [f"<b>{headline}</b>", ""]
    if event.storm_year is not None:
        storm = tr.text(
            "alert.storm_numbered" if event.storm_number else "alert.storm_named",
            year=event.storm_year, number=event.storm_number or "",
            name=tr.article_text(event.storm_name or ""),
        )
        lines.append(tr.html("alert.line.storm", storm=storm))
    if level and not ended:
        if event.previous_level and event.previous_level != event.level:
            change = tr.text(f"alert.change.{event.direction or 'same'}")
            lines.append(tr.html(
                "alert.line.level_changed", level=level, change=change,
                previous=_level_text(event.previous_level, event.kind, tr),
            ))
        else:
            lines.append(tr.html("alert.line.level", level=level))
    lines.append(tr.html("alert.line.authority", authority=tr.article_text(event.authority)))
    local = event.effective_at.astimezone(tz)
    when = tr.date(local.date())
    if event.time_stated and (local.hour, local.minute) != (0, 0):
        when = f"{when} {local:%H:%M}"
    lines.append(tr.html("alert.line.time", time=when))
    if event.impact and not ended:
        lines.append(tr.html("alert.line.impact", impact=tr.article_text(event.impact)))
    lines.append("")
    advice_key = "alert.advice.ended" if ended else (
        f"alert.advice.{max(severity(event.level), 1)}"  # advice grows: 1 = Ⅳ/blue … 4 = Ⅰ/red
    )
    lines.append(tr.html(advice_key))
    lines.append("")
    lines.append(tr.html("alert.official"))
    button = Button(tr.text("alert.read_button"), codec.open_article(event.article_id))
    return MessagePart(Html("\n".join(lines)), ((button,),))


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
        now = self.clock.now()
        events = notices = skipped = 0
        async with self.db.session() as session:
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
        if notices:
            logger.info("alerts: %d new event(s) → %d notice(s) queued", events, notices)
            if self.notify is not None:
                self.notify()
        return NoticeReport(events, notices, skipped)

    def _deliveries(self, event: AlertEventRecord, chats: Sequence[Chat]) -> list[NewDelivery]:
        rendered: dict[str | None, list] = {}
        deliveries = []
        for chat in chats:
            if not wants_alert(chat, event.hazard):
                continue
            if chat.language not in rendered:
                tr = Translator.for_language(chat.language)
                part = render_alert_notice(event, tr, self.codec, self.tz)
                rendered[chat.language] = to_outbox_parts([part], silent=False)
            deliveries.append(
                NewDelivery(chat.id, ALERT_KIND, str(event.id), rendered[chat.language])
            )
        return deliveries


def render_active_alerts(
    events: Sequence[AlertEventRecord], tr: Translator, codec: CallbackCodec,
    tz: ZoneInfo = PAPER_TZ,
) -> list[MessagePart]:
    """``/alerts``: the responses and warnings in force, each as its latest notice."""
    if not events:
        return [MessagePart(tr.html("alerts.none"))]
    return [render_alert_notice(event, tr, codec, tz) for event in events]
