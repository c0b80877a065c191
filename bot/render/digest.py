"""A digest → Telegram message parts (HTML, read buttons, ≤ 4096 units).

The digest is cut between items, never inside one: a part ends before the item that would take it
past :data:`~bot.render.layout.TELEGRAM_TEXT_LIMIT` (measured on the HTML, an upper bound of what
Telegram counts after parsing), and a section carried into the next part repeats its heading.
Each part carries the read buttons of its own items. Traditional-Chinese chats get article text
converted by their :class:`~bot.render.i18n.Translator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Html, Translator, escape
from bot.render.layout import TELEGRAM_TEXT_LIMIT, clip
from bot.render.parts import Button, MessagePart
from bot.subscriptions.digest import Digest

TITLE_CHARS = 80
BUTTONS_PER_ROW = 8
MAX_ITEMS_PER_PART = 48  # keeps a part's keyboard (≤ 100 buttons) readable on a phone
SEPARATOR = "\n"


def _units(text: str) -> int:
    """UTF-16 length at C speed (the fan-out renders thousands of digests a minute)."""
    return len(text.encode("utf-16-le")) // 2


@lru_cache(maxsize=8192)
def _open_button(codec: CallbackCodec, article_id: int) -> str:
    """Signed read-button data, made once per article for every chat that lists it."""
    return codec.open_article(article_id)


@lru_cache(maxsize=16384)
def _article_html(tr: Translator, text: str, limit: int | None = None) -> Html:
    """Article text in the reader's script, clipped and escaped: once per script, not per chat."""
    converted = tr.article_text(text)
    return escape(clip(converted, limit) if limit else converted)


_SEPARATOR_UNITS = _units(SEPARATOR)


@dataclass
class _Part:
    lines: list[str] = field(default_factory=list)
    numbers: list[Button] = field(default_factory=list)
    extra: list[Button] = field(default_factory=list)
    length: int = 0

    def fits(self, size: int, limit: int) -> bool:
        return not self.lines or self.length + _SEPARATOR_UNITS + size <= limit

    def add(self, text: str, size: int | None = None) -> None:
        size = _units(text) if size is None else size
        self.length += size + (_SEPARATOR_UNITS if self.lines else 0)
        self.lines.append(text)

    def to_message(self, silent: bool) -> MessagePart:
        rows = [
            tuple(self.numbers[i : i + BUTTONS_PER_ROW])
            for i in range(0, len(self.numbers), BUTTONS_PER_ROW)
        ]
        rows.extend((button,) for button in self.extra)
        return MessagePart(Html(SEPARATOR.join(self.lines)), tuple(rows), silent)


def digest_heading(digest: Digest, tr: Translator, paper: str) -> Html:
    """Paper and edition date(s): '萧山日报 · 2023年7月31日'."""
    papers = digest.papers or (paper,)
    name = tr.article_text("、".join(papers))
    if not digest.editions:
        editions = tr.date(digest.local_date)
    elif len(digest.editions) == 1:
        editions = tr.date(digest.editions[0])
    else:
        editions = tr.text(
            "digest.edition_range",
            first=tr.date(digest.editions[0]), last=tr.date(digest.editions[-1]),
        )
    return tr.html("digest.header", paper=name, editions=editions)


def render_digest(
    digest: Digest,
    tr: Translator,
    codec: CallbackCodec,
    paper: str,
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[MessagePart]:
    """The digest's messages: heading, active alerts, then each chosen section's headlines."""
    parts: list[_Part] = [_Part()]

    def place(text: str, *, heading: str | None = None) -> _Part:
        part = parts[-1]
        size = _units(text)
        room = len(part.numbers) < MAX_ITEMS_PER_PART
        if not room or not part.fits(size, limit):
            part = _Part()
            parts.append(part)
            if heading is not None:
                part.add(heading)
        part.add(text, size)
        return part

    parts[-1].add(digest_heading(digest, tr, paper))
    if digest.alerts:
        place("\n" + tr.html("digest.alerts_header"))
        for number, alert in enumerate(digest.alerts, start=1):
            line = tr.html("digest.alert_line", summary=_article_html(tr, alert.summary))
            if alert.last_reported_on is not None:
                line = Html(line + tr.html("digest.alert_reported",
                                           date=tr.date(alert.last_reported_on)))
            part = place(line)
            label = tr.text("digest.alert_button", number=number)
            part.extra.append(Button(label, _open_button(codec, alert.read_article_id)))
    number = 0
    for section in digest.sections:
        name = tr.section(section.name)
        continued = tr.html("digest.section_continued", section=name)
        heading = "\n" + tr.html("digest.section", section=name)
        for index, item in enumerate(section.items):
            number += 1
            title = _article_html(tr, item.title, TITLE_CHARS)
            if item.summary:
                line = tr.html("digest.item_summary", number=number, title=title,
                               summary=_article_html(tr, item.summary))
            else:
                line = tr.html("digest.item", number=number, title=title)
            if index == 0:
                line = heading + SEPARATOR + line  # a heading never ends a part on its own
            part = place(line, heading=None if index == 0 else continued)
            part.numbers.append(Button(str(number), _open_button(codec, item.id)))
        if section.more:
            line = tr.html("digest.more", count=section.more, section=name)
            part = place(line, heading=continued)
            label = tr.text("digest.more_button", section=name)
            part.extra.append(Button(label, codec.section_page(section.name, 0)))
    return [part.to_message(digest.silent) for part in parts]


def render_nothing_new(digest: Digest, tr: Translator, paper: str) -> list[MessagePart]:
    """The short note a chat gets on a quiet day, if it asked for one."""
    note = tr.html("digest.nothing_new", paper=tr.article_text(paper))
    return [MessagePart(note, silent=digest.silent)]
