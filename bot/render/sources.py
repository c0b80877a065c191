"""The admins' list of sources (/sources) with pause / resume / remove buttons.

A long list is sent as several messages (at most ten sources and well under Telegram's 4096
characters each); a press re-renders only the sources of the message it came from.

Button data is unsigned, like the watch buttons: it grants nothing, because the handler checks
on every press that the presser is an admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.render.callback_data import CALLBACK_DATA_LIMIT, CallbackDataError
from bot.render.html_text import plain_text
from bot.render.i18n import Html, Translator
from bot.render.layout import TELEGRAM_TEXT_LIMIT, clip, utf16_len
from bot.render.parts import Button, MessagePart
from bot.sources.service import SourceInfo

SOURCES_PREFIX = "src:"  # ``src:<action>:<source id>``
SOURCE_ACTIONS = ("pause", "resume", "remove")
MAX_ERROR_CHARS = 160
MAX_URL_CHARS = 120
MAX_SOURCES_PER_MESSAGE = 10  # 20 buttons
# UTF-16 units a message's text may take, as Telegram counts them (room left for the header)
MESSAGE_TEXT_BUDGET = TELEGRAM_TEXT_LIMIT - 496
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


def render_source_messages(
    sources: Sequence[SourceInfo], tr: Translator, tz: ZoneInfo
) -> list[MessagePart]:
    """The whole list as messages, in id order, each within MAX_SOURCES_PER_MESSAGE and the text
    budget (a dozen failing sources with long URLs and errors outgrow one message)."""
    if not sources:
        return [render_sources(sources, tr, tz)]
    header = utf16_len(plain_text(tr.html("sources.header", count=len(sources))))
    chunks: list[list[SourceInfo]] = [[]]
    used = header
    for source in sources:
        size = utf16_len(plain_text(Html("\n".join(_lines(source, tr, tz))))) + 1
        if chunks[-1] and (len(chunks[-1]) >= MAX_SOURCES_PER_MESSAGE
                           or used + size > MESSAGE_TEXT_BUDGET):
            chunks.append([])
            used = header
        chunks[-1].append(source)
        used += size
    return [render_sources(chunk, tr, tz, total=len(sources)) for chunk in chunks]


def render_sources(
    sources: Sequence[SourceInfo], tr: Translator, tz: ZoneInfo, *, total: int | None = None
) -> MessagePart:
    """One message: each source with its kind, interval and health (a day of failures is
    flagged) and its buttons; the header counts ``total`` sources (default: these)."""
    if not sources:
        return MessagePart(tr.html("sources.empty"))
    lines = [tr.html("sources.header", count=len(sources) if total is None else total)]
    rows: list[tuple[Button, ...]] = []
    for source in sources:
        lines.extend(_lines(source, tr, tz))
        toggle = ("resume", "sources.button_resume") if source.paused else (
            "pause", "sources.button_pause")
        rows.append((
            Button(tr.text(toggle[1], id=source.id), source_action_data(toggle[0], source.id)),
            Button(tr.text("sources.button_remove", id=source.id),
                   source_action_data("remove", source.id)),
        ))
    return MessagePart(Html("\n".join(lines)), tuple(rows))


def source_ids_in(callback_data: Iterable[object]) -> set[int]:
    """The sources a /sources message lists, from its buttons' data (other data skipped)."""
    ids: set[int] = set()
    for data in callback_data:
        if not isinstance(data, str):
            continue
        try:
            ids.add(parse_source_action(data).source_id)
        except CallbackDataError:
            continue
    return ids


def render_pressed_sources(
    listed: Sequence[SourceInfo], callback_data: Iterable[object], pressed_id: int,
    tr: Translator, tz: ZoneInfo,
) -> MessagePart:
    """The /sources message a button was pressed on, anew: only the sources it lists (a long
    list is several messages), or a line saying its last source was removed."""
    on_message = source_ids_in(callback_data) or {pressed_id}
    shown = [s for s in listed if s.id in on_message]
    if not shown and listed:  # its last source was removed; the others are on other messages
        return MessagePart(tr.html("sources.removed", id=pressed_id))
    return render_sources(shown, tr, tz, total=len(listed))


def _lines(source: SourceInfo, tr: Translator, tz: ZoneInfo) -> list[Html]:
    lines = [tr.html(
        "sources.line", id=source.id, url=clip(source.url, MAX_URL_CHARS),
        kind=source.kind, every=f"{source.every_minutes:g}", state=_state(source, tr),
    )]
    if source.failing_long and source.failing_since is not None:
        since = source.failing_since.astimezone(tz)
        lines.append(tr.html("sources.failing", since=f"{tr.date(since.date())} {since:%H:%M}"))
    if source.last_error and not source.paused and source.last_status == "error":
        lines.append(tr.html("sources.error_line", error=clip(source.last_error, MAX_ERROR_CHARS)))
    return lines


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
