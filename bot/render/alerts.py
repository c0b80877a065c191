"""Alert events → notices: what happened, storm, level (and the change), authority, time, impact,
advice by level, and a button to the article. ``/alerts`` and the pushed notice share one renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.alerts.state import severity
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import DEFAULT_LOCALE, Html, Translator, catalogue
from bot.render.parts import Button, MessagePart
from bot.text.relative_time import PAPER_TZ
from storage.models import AlertEventRecord

ROMAN_LEVELS = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ"}
WARNING_COLOURS = ("blue", "yellow", "orange", "red")
HAZARD_EMOJI = {"typhoon": "🌀", "flood": "🌊", "rainstorm": "🌧"}
ENDED_EMOJI = "✅"
OTHER_EMOJI = "⚠️"


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


def render_active_alerts(
    events: Sequence[AlertEventRecord], tr: Translator, codec: CallbackCodec,
    tz: ZoneInfo = PAPER_TZ,
) -> list[MessagePart]:
    """``/alerts``: the responses and warnings in force, each as its latest notice."""
    if not events:
        return [MessagePart(tr.html("alerts.none"))]
    return [render_alert_notice(event, tr, codec, tz) for event in events]
