"""Alert events → notices: what happened, storm, level (and the change), authority, time, impact,
advice by level, and a button to the article. ``/alerts`` and the pushed notice share one renderer.

A notice's headline and body are both written from one :class:`NoticeFields`, taken once from the
event, so they cannot disagree: a level change is stated only for an action that changes the level
(raise, lower, adjust), and the authority named is the event's ``issuer`` (never a placeholder
such as 其他区) in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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
# Only these actions change a level, so only their notices say "raised/lowered, was …".
CHANGE_ACTIONS = frozenset({"raise", "lower", "adjust"})


@dataclass(frozen=True)
class NoticeFields:
    """What a notice states, taken once from the event; headline and body both read these."""

    kind: str
    action: str
    ended: bool
    emoji: str
    hazard: str
    who: str | None  # the issuer with its region ("萧山区防指"); None: nobody is named
    issuer: str | None  # the issuer as written ("区防指")
    level: str  # "Ⅳ级" / "level Ⅳ" for the headline; "" when none
    level_value: str  # "Ⅳ级" / "Ⅳ" for the body's "Level:" line
    previous_value: str | None  # set only when the action changed the level
    direction: str | None
    storm: str | None
    when: str
    impact: str | None
    severity: int


def _level_text(level: str | None, kind: str, tr: Translator, key: str = "alert.level") -> str:
    if level is None:
        return ""
    if kind == "warning" and level in WARNING_COLOURS:
        return tr.text(f"alert.colour.{level}")
    return tr.text(key, level=ROMAN_LEVELS.get(level, level))


def _who(issuer: str | None, region: str | None) -> str | None:
    """The issuer with its region when the paper wrote only 区防指 ("萧山区" + "防指")."""
    if not issuer:
        return None
    if region and issuer[:1] in "区市县省" and region.endswith(issuer[:1]):
        return region + issuer[1:]
    return issuer


def _hazard_name(event: AlertEventRecord, tr: Translator) -> str:
    key = f"alert.hazard.{event.kind}.{event.hazard}"
    if key in catalogue(DEFAULT_LOCALE):
        return tr.text(key)
    return tr.text(f"alert.hazard.{event.kind}.other", hazard=event.hazard)


def notice_fields(
    event: AlertEventRecord, tr: Translator, tz: ZoneInfo = PAPER_TZ
) -> NoticeFields:
    """The one reading of an event that every part of its notice is written from."""
    ended = event.action == "end"
    changed = (
        event.action in CHANGE_ACTIONS
        and event.previous_level is not None
        and event.previous_level != event.level
    )
    storm = None
    if event.storm_year is not None:
        storm = tr.text(
            "alert.storm_numbered" if event.storm_number else "alert.storm_named",
            year=event.storm_year, number=event.storm_number or "",
            name=tr.article_text(event.storm_name or ""),
        )
    local = event.effective_at.astimezone(tz)
    when = tr.date(local.date())
    if event.time_stated and (local.hour, local.minute) != (0, 0):
        when = f"{when} {local:%H:%M}"
    issuer = event.issuer
    return NoticeFields(
        kind=event.kind,
        action=event.action,
        ended=ended,
        emoji=ENDED_EMOJI if ended else HAZARD_EMOJI.get(event.hazard, OTHER_EMOJI),
        hazard=_hazard_name(event, tr),
        who=_who(issuer, event.region),
        issuer=issuer,
        level=_level_text(event.level, event.kind, tr),
        level_value=_level_text(event.level, event.kind, tr, "alert.level_value"),
        previous_value=(
            _level_text(event.previous_level, event.kind, tr, "alert.level_value")
            if changed else None
        ),
        direction=event.direction if changed else None,
        storm=storm,
        when=when,
        impact=event.impact,
        severity=severity(event.level),
    )


def headline_html(fields: NoticeFields, tr: Translator) -> Html:
    """"🌀 萧山区防指启动防台风Ⅳ级应急响应": who, what and level, from the notice's fields."""
    who = tr.article_text(fields.who) if fields.who else tr.text("alert.who_unnamed")
    return Html(tr.html(
        f"alert.headline.{fields.kind}.{fields.action}",
        emoji=fields.emoji, who=who, hazard=fields.hazard, level=fields.level,
    ).strip())


def body_lines(fields: NoticeFields, tr: Translator) -> list[str]:
    """Storm, level (and the change), authority, time and impact, from the notice's fields."""
    lines: list[str] = []
    if fields.storm is not None:
        lines.append(tr.html("alert.line.storm", storm=fields.storm))
    if fields.level_value and not fields.ended:
        if fields.previous_value is not None:
            lines.append(tr.html(
                "alert.line.level_changed", level=fields.level_value,
                change=tr.text(f"alert.change.{fields.direction or 'same'}"),
                previous=fields.previous_value,
            ))
        else:
            lines.append(tr.html("alert.line.level", level=fields.level_value))
    if fields.issuer:
        lines.append(tr.html("alert.line.authority", authority=tr.article_text(fields.issuer)))
    lines.append(tr.html("alert.line.time", time=fields.when))
    if fields.impact and not fields.ended:
        lines.append(tr.html("alert.line.impact", impact=tr.article_text(fields.impact)))
    return lines


def latest_report_article(event: AlertEventRecord) -> int:
    """The article to open: the latest report of the event (the first if no later one)."""
    return event.last_article_id or event.article_id


def _reported_on(event: AlertEventRecord, tr: Translator, tz: ZoneInfo) -> str:
    reported: datetime = event.last_reported_at or event.effective_at
    return tr.date(reported.astimezone(tz).date())


def render_alert_notice(
    event: AlertEventRecord,
    tr: Translator,
    codec: CallbackCodec,
    tz: ZoneInfo = PAPER_TZ,
    *,
    show_reported: bool = False,
) -> MessagePart:
    """What happened, storm, level (and the change), authority, time, impact, advice, source.

    ``show_reported`` (``/alerts``) adds when it was last reported and opens that report.
    """
    fields = notice_fields(event, tr, tz)
    lines: list[str] = [f"<b>{headline_html(fields, tr)}</b>", ""]
    lines += body_lines(fields, tr)
    if show_reported:
        lines.append(tr.html("alert.line.reported", date=_reported_on(event, tr, tz)))
    lines.append("")
    advice_key = "alert.advice.ended" if fields.ended else (
        f"alert.advice.{max(fields.severity, 1)}"  # advice grows: 1 = Ⅳ/blue … 4 = Ⅰ/red
    )
    lines.append(tr.html(advice_key))
    lines.append("")
    lines.append(tr.html("alert.official"))
    label = tr.text("alert.latest_button" if show_reported else "alert.read_button")
    button = Button(label, codec.open_article(latest_report_article(event)))
    return MessagePart(Html("\n".join(lines)), ((button,),))


def render_stale_alerts(
    events: Sequence[AlertEventRecord], tr: Translator, codec: CallbackCodec,
    tz: ZoneInfo = PAPER_TZ,
) -> MessagePart:
    """Not ended but not reported lately: named with the date of their latest report, never as
    in force, and without advice (nothing says they still apply)."""
    lines = [tr.html("alerts.stale_header")]
    buttons: list[tuple[Button, ...]] = []
    for number, event in enumerate(events, start=1):
        fields = notice_fields(event, tr, tz)
        lines.append(tr.html(
            "alerts.stale_line", number=number, headline=headline_html(fields, tr),
            date=_reported_on(event, tr, tz),
        ))
        label = tr.text("alerts.stale_button", number=number)
        buttons.append((Button(label, codec.open_article(latest_report_article(event))),))
    return MessagePart(Html("\n".join(lines)), tuple(buttons))


def render_active_alerts(
    in_force: Sequence[AlertEventRecord],
    tr: Translator,
    codec: CallbackCodec,
    tz: ZoneInfo = PAPER_TZ,
    *,
    stale: Sequence[AlertEventRecord] = (),
) -> list[MessagePart]:
    """``/alerts``: the responses and warnings in force, each as its latest notice, then those
    not reported lately (by the date of their latest report)."""
    parts = [render_alert_notice(event, tr, codec, tz, show_reported=True) for event in in_force]
    if not parts:
        parts.append(MessagePart(tr.html("alerts.none")))
    if stale:
        parts.append(render_stale_alerts(stale, tr, codec, tz))
    return parts
