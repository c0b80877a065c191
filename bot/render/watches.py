"""Keyword watches: a chat's list with remove buttons, and the notice of new matches (each
watched query with its new headlines and read buttons, split between items when long)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.render.callback_data import CallbackCodec, watch_remove_data
from bot.render.i18n import Html, Translator
from bot.render.layout import TELEGRAM_TEXT_LIMIT, clip, utf16_len
from bot.render.parts import Button, MessagePart
from bot.subscriptions.watches import (
    MAX_ITEMS_PER_WATCH,
    MAX_WATCHES_PER_CHAT,
    WatchHit,
    WatchView,
)

BUTTONS_PER_ROW = 8


@dataclass
class _Part:
    lines: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    length: int = 0


def render_watch_notice(
    hits: Mapping[str, Sequence[WatchHit]], tr: Translator, codec: CallbackCodec,
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[MessagePart]:
    """One message (split between items if long): each query, its new headlines, read buttons."""
    parts = [_Part()]

    def add(line: str, button: Button | None = None) -> None:
        part = parts[-1]
        size = utf16_len(line) + 1
        if part.lines and (part.length + size > limit or len(part.buttons) >= 48):
            part = _Part()
            parts.append(part)
        part.lines.append(line)
        part.length += size
        if button is not None:
            part.buttons.append(button)

    add(tr.html("watch.notice_header"))
    number = 0
    for query, items in hits.items():
        shown = items[:MAX_ITEMS_PER_WATCH]
        block = "\n" + tr.html("watch.notice_query", query=query)
        for index, item in enumerate(shown):
            number += 1
            line = tr.html("watch.notice_item", number=number,
                           title=clip(tr.article_text(item.title), 80))
            add(block + "\n" + line if index == 0 else line,
                Button(str(number), codec.open_article(item.article_id)))
        if len(items) > len(shown):
            add(tr.html("watch.notice_more", count=len(items) - len(shown)))
    return [
        MessagePart(
            Html("\n".join(p.lines)),
            tuple(tuple(p.buttons[i : i + BUTTONS_PER_ROW])
                  for i in range(0, len(p.buttons), BUTTONS_PER_ROW)),
        )
        for p in parts
    ]


def render_watches(watches: Sequence[WatchView], tr: Translator) -> MessagePart:
    """The chat's watches, numbered (for /unwatch N), with a remove button each."""
    if not watches:
        return MessagePart(tr.html("watches.empty"))
    lines = [tr.html("watches.header", count=len(watches), max=MAX_WATCHES_PER_CHAT)]
    lines += [tr.html("watches.line", number=i, query=w.query)
              for i, w in enumerate(watches, start=1)]
    rows = tuple((Button(tr.text("watches.button_remove", query=w.query[:40]),
                         watch_remove_data(w.id)),) for w in watches)
    return MessagePart(Html("\n".join(lines)), rows)
