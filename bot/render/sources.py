"""The admins' list of sources (/sources) with pause / resume / remove buttons.

Button data is unsigned, like the watch buttons: it grants nothing, because the handler checks
on every press that the presser is an admin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.render.callback_data import CALLBACK_DATA_LIMIT, CallbackDataError
from bot.render.i18n import Html, Translator
from bot.render.layout import clip
from bot.render.parts import Button, MessagePart
from bot.sources.service import SourceInfo

SOURCES_PREFIX = "src:"  # ``src:<action>:<source id>``
SOURCE_ACTIONS = ("pause", "resume", "remove")
MAX_ERROR_CHARS = 160
MAX_URL_CHARS = 120
_SOURCE_DATA = re.compile(r"src:(pause|resume|remove):([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class SourcePress:
    action: str
    source_id: int


def source_action_data(action: str, source_id: int) -> str:
    assert action in SOURCE_ACTIONS
    data = f"{SOURCES_PREFIX}{action}:{int(source_id)}"
    assert len(data) <= CALLBACK_DATA_LIMIT
    return data


def parse_source_action(data: str | None) -> SourcePress:
    """The action a /sources button asks for; CallbackDataError for anything else."""
    match = _SOURCE_DATA.fullmatch(data or "")
    if match is None:
        raise CallbackDataError("not source data")
    return SourcePress(match[1], int(match[2]))


def render_sources(sources: Sequence[SourceInfo], tr: Translator, tz: ZoneInfo) -> MessagePart:
    """Each source with its kind, interval and health; a day of failures is flagged."""
    if not sources:
        return MessagePart(tr.html("sources.empty"))
    lines = [tr.html("sources.header", count=len(sources))]
    rows: list[tuple[Button, ...]] = []
    for source in sources:
        lines.append(tr.html(
            "sources.line", id=source.id, url=clip(source.url, MAX_URL_CHARS),
            kind=source.kind, every=f"{source.every_minutes:g}", state=_state(source, tr),
        ))
        if source.failing_long and source.failing_since is not None:
            since = source.failing_since.astimezone(tz)
            lines.append(tr.html("sources.failing",
                                 since=f"{tr.date(since.date())} {since:%H:%M}"))
        if source.last_error and not source.paused and source.last_status == "error":
            lines.append(tr.html("sources.error_line",
                                 error=clip(source.last_error, MAX_ERROR_CHARS)))
        toggle = ("resume", "sources.button_resume") if source.paused else (
            "pause", "sources.button_pause")
        rows.append((
            Button(tr.text(toggle[1], id=source.id), source_action_data(toggle[0], source.id)),
            Button(tr.text("sources.button_remove", id=source.id),
                   source_action_data("remove", source.id)),
        ))
    return MessagePart(Html("\n".join(lines)), tuple(rows))


def _state(source: SourceInfo, tr: Translator) -> str:
    if source.paused:
        return tr.text("sources.state_paused")
    if source.last_status == "error":
        return tr.text("sources.state_error", failures=source.consecutive_failures)
    if source.last_status == "not_modified":
        return tr.text("sources.state_not_modified")
    if source.last_status == "ok":
        return tr.text("sources.state_ok")
    return tr.text("sources.state_never")
