"""Service results → Telegram messages: HTML text parts plus inline keyboards.

Plain data out (:class:`MessagePart`, :class:`Button`), so the handlers, ``newsbrief chat`` and the
tests share it and nothing here needs a Telegram object. Every article string is escaped here;
catalogue strings are trusted templates. Long text is split on the plain text, before any tag is
added, at ≤ :data:`TELEGRAM_TEXT_LIMIT` UTF-16 code units (what Telegram counts after parsing
entities): at paragraph, then sentence (。！？；), then comma boundaries, then anywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Html, Translator, escape
from bot.search.browse import ArticleSummary, Edition, SectionCount, SectionPage
from storage.models import Article

if TYPE_CHECKING:
    from bot.search.service import SearchHit, SearchPage

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units of a message's text after entity parsing
RESULTS_PER_PAGE = 5
LIST_TITLE_CHARS = 60
BUTTON_TITLE_CHARS = 30
SNIPPET_CHARS = 160
TODAY_PER_SECTION = 8
TODAY_BUTTONS_PER_ROW = 8
SECTION_BUTTONS_PER_ROW = 2
PART_MARK_RESERVE = 24  # room kept in each part of a split article for "（2/3）"

# Where a long paragraph may be cut, best first; closing quotes and brackets stay with the
# sentence they close.
SENTENCE_BREAK = re.compile(r"[。！？；!?;…]+[”’」』）)\]]*")
CLAUSE_BREAK = re.compile(r"[，、,：:]+[”’」』）)\]]*|\s+")


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class MessagePart:
    """One message to send: HTML text (≤ 4096 UTF-16 units once parsed) and its buttons."""

    html: Html
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""  # "" plain, "b" bold, "i" italic


@dataclass(frozen=True)
class Block:
    """A paragraph-like unit: messages are cut between blocks before they are cut inside one."""

    spans: tuple[Span, ...]

    @classmethod
    def of(cls, text: str, style: str = "") -> Block:
        return cls((Span(text, style),))

    @property
    def length(self) -> int:
        return sum(utf16_len(span.text) for span in self.spans)


# --- splitting --------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _cut_after(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces, current, used = [], [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """One paragraph → pieces of ≤ ``limit`` units: sentences, then clauses, then anywhere."""
    if utf16_len(text) <= limit:
        return [text]
    return _pack_units(text, limit, (SENTENCE_BREAK, CLAUSE_BREAK))


def _pack_units(text: str, limit: int, levels: Sequence[re.Pattern[str]]) -> list[str]:
    if not levels:
        return _hard_cut(text, limit)
    units: list[str] = []
    for unit in _cut_after(text, levels[0]):
        if utf16_len(unit) > limit:
            units.extend(_pack_units(unit, limit, levels[1:]))
        else:
            units.append(unit)
    pieces: list[str] = []
    current, used = "", 0
    for unit in units:
        size = utf16_len(unit)
        if current and used + size > limit:
            pieces.append(current)
            current, used = "", 0
        current += unit
        used += size
    if current:
        pieces.append(current)
    return pieces


def _split_block(block: Block, limit: int) -> list[Block]:
    if block.length <= limit:
        return [block]
    result: list[Block] = []
    for span in block.spans:
        if span.text.strip():
            result.extend(Block.of(piece, span.style) for piece in split_text(span.text, limit))
    return result


def pack_blocks(
    blocks: Iterable[Block], limit: int = TELEGRAM_TEXT_LIMIT, separator: str = "\n\n"
) -> list[list[Block]]:
    """Group blocks into messages of ≤ ``limit`` units, cutting oversized blocks first."""
    gap = utf16_len(separator)
    messages: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    for original in blocks:
        for block in _split_block(original, limit):
            size = block.length
            if current and used + gap + size > limit:
                messages.append(current)
                current, used = [], 0
            used += size + (gap if current else 0)
            current.append(block)
    if current:
        messages.append(current)
    return messages


def blocks_to_html(blocks: Sequence[Block], separator: str = "\n\n") -> Html:
    """Escape every span and add its tags (after splitting, so tags never count or break)."""
    rendered = []
    for block in blocks:
        pieces = []
        for span in block.spans:
            text = escape(span.text)
            pieces.append(f"<{span.style}>{text}</{span.style}>" if span.style else text)
        rendered.append("".join(pieces))
    return Html(separator.join(rendered))


def clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, for lists and button labels."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- articles ---------------------------------------------------------------------------------


def render_article(article: Article, tr: Translator) -> list[MessagePart]:
    """The full article: kicker, title, subtitle, byline, paragraphs (subheads bold), date, page."""
    convert = tr.article_text
    header: list[Span] = []
    for text, style in (
        (article.kicker, "i"),
        (article.title, "b"),
        (article.subtitle, ""),
        (article.byline, "i"),
    ):
        if text and text.strip():
            if header:
                header.append(Span("\n"))
            header.append(Span(convert(text.strip()), style))
    subheads = {subhead.strip() for subhead in article.subheads}
    blocks = [Block(tuple(header))] if header else []
    for paragraph in article.paragraphs:
        if paragraph.strip():
            style = "b" if paragraph.strip() in subheads else ""
            blocks.append(Block.of(convert(paragraph.strip()), style))
    date_text = tr.date(article.edition_date)
    if article.page:
        meta = tr.text("article.meta", paper=convert(article.paper), date=date_text,
                       page=article.page)
    else:
        meta = tr.text("article.meta_no_page", paper=convert(article.paper), date=date_text)
    blocks.append(Block.of(meta, "i"))
    groups = pack_blocks(blocks, TELEGRAM_TEXT_LIMIT - PART_MARK_RESERVE)
    if len(groups) == 1:
        return [MessagePart(blocks_to_html(groups[0]))]
    parts = []
    for number, group in enumerate(groups, start=1):
        mark = tr.text("article.part", part=number, parts=len(groups))
        parts.append(MessagePart(Html(blocks_to_html(group) + "\n" + escape(mark))))
    return parts


# --- lists ------------------------------------------------------------------------------------


def _page_count(total: int) -> int:
    return max(1, math.ceil(total / RESULTS_PER_PAGE))


def _nav_row(
    tr: Translator, page: int, pages: int, data_for: Callable[[int], str]
) -> tuple[Button, ...]:
    row = []
    if page > 0:
        row.append(Button(tr.text("button.prev"), data_for(page - 1)))
    if page + 1 < pages:
        row.append(Button(tr.text("button.next"), data_for(page + 1)))
    return tuple(row)


def _result_button(
    tr: Translator, codec: CallbackCodec, number: int, item_id: int, title: str
) -> tuple[Button, ...]:
    label = tr.text("button.result", number=number, title=clip(tr.article_text(title),
                                                               BUTTON_TITLE_CHARS))
    return (Button(label, codec.open_article(item_id)),)


def marked_html(text: str, marks: Sequence[tuple[int, int]], tr: Translator) -> Html:
    """A snippet with its matches in bold; each piece is converted and escaped on its own, so
    marks stay on the right characters even when script conversion changes lengths."""
    pieces, last = [], 0
    for start, end in sorted(marks):
        start, end = max(start, last), min(end, len(text))
        if start >= end:
            continue
        pieces.append(escape(tr.article_text(text[last:start])))
        pieces.append(f"<b>{escape(tr.article_text(text[start:end]))}</b>")
        last = end
    pieces.append(escape(tr.article_text(text[last:])))
    return Html("".join(pieces))


def _clipped_snippet(hit: SearchHit) -> tuple[str, list[tuple[int, int]]]:
    text = hit.snippet.replace("\r", " ").replace("\n", " ")  # same length: marks stay put
    marks = [(int(start), int(end)) for start, end in hit.snippet_marks]
    if len(text) <= SNIPPET_CHARS:
        return text, marks
    text = text[: SNIPPET_CHARS - 1] + "…"
    kept = [(s, min(e, SNIPPET_CHARS - 1)) for s, e in marks if s < SNIPPET_CHARS - 1]
    return text, kept


def render_search_page(
    result: SearchPage, page: int, tr: Translator, codec: CallbackCodec
) -> MessagePart:
    """One page of results: header, five hits with bold matches, a button per hit, ◀ ▶."""
    if result.total == 0:
        return MessagePart(tr.html("search.none", query=clip(result.query, LIST_TITLE_CHARS)))
    pages = _page_count(result.total)
    lines = [
        tr.html("search.header", query=clip(result.query, LIST_TITLE_CHARS),
                total=f"{result.total}" if result.total_exact else f"{result.total}+")
        + " · " + tr.html("list.position", page=page + 1, pages=pages)
    ]
    keyboard: list[tuple[Button, ...]] = []
    for number, hit in enumerate(result.results, start=page * RESULTS_PER_PAGE + 1):
        snippet, marks = _clipped_snippet(hit)
        lines.append(
            f"<b>{number}. {escape(clip(tr.article_text(hit.title), LIST_TITLE_CHARS))}</b>\n"
            + tr.html("result.meta", date=tr.date(hit.date), section=tr.section(hit.section))
            + "\n" + marked_html(snippet, marks, tr)
        )
        keyboard.append(_result_button(tr, codec, number, hit.id, hit.title))
    nav = _nav_row(tr, page, pages, lambda p: codec.search_page(result.query, p))
    if nav:
        keyboard.append(nav)
    return MessagePart(Html("\n\n".join(lines)), tuple(keyboard))


def render_section_page(
    result: SectionPage, page: int, tr: Translator, codec: CallbackCodec
) -> MessagePart:
    """One page of a section, newest first, a button per article and ◀ ▶."""
    section = tr.section(result.section)
    if result.total == 0:
        return MessagePart(tr.html("section.empty", section=section))
    pages = _page_count(result.total)
    lines = [
        tr.html("section.header", section=section, total=result.total)
        + " · " + tr.html("list.position", page=page + 1, pages=pages)
    ]
    keyboard: list[tuple[Button, ...]] = []
    for number, item in enumerate(result.results, start=page * RESULTS_PER_PAGE + 1):
        lines.append(_list_line(tr, number, item))
        keyboard.append(_result_button(tr, codec, number, item.id, item.title))
    nav = _nav_row(tr, page, pages, lambda p: codec.section_page(result.section, p))
    if nav:
        keyboard.append(nav)
    return MessagePart(Html("\n\n".join(lines)), tuple(keyboard))


def _list_line(tr: Translator, number: int, item: ArticleSummary) -> str:
    title = escape(clip(tr.article_text(item.title), LIST_TITLE_CHARS))
    return f"<b>{number}.</b> {title}\n<i>{escape(tr.date(item.date))}</i>"


def render_sections_menu(
    counts: Sequence[SectionCount], tr: Translator, codec: CallbackCodec
) -> MessagePart:
    """Every section with its article count; a tap opens its newest articles."""
    buttons = [
        Button(
            tr.text("sections.button", section=tr.section(c.name), count=c.count),
            codec.section_page(c.name, 0, new_message=True),
        )
        for c in counts
    ]
    rows = tuple(
        tuple(buttons[i : i + SECTION_BUTTONS_PER_ROW])
        for i in range(0, len(buttons), SECTION_BUTTONS_PER_ROW)
    )
    return MessagePart(tr.html("sections.header"), rows)


def render_today(
    edition: Edition, tr: Translator, codec: CallbackCodec, paper: str
) -> MessagePart:
    """The latest edition's headlines by section, numbered; number buttons open articles and a
    section button follows every section that has more than fits."""
    if edition.date is None or not edition.by_section:
        return MessagePart(tr.html("today.empty"))
    lines = [tr.html("today.header", paper=tr.article_text(paper), date=tr.date(edition.date))]
    numbers: list[Button] = []
    more: list[Button] = []
    for section, items in edition.by_section.items():
        lines.append("\n" + tr.html("today.section", section=tr.section(section)))
        for item in items[:TODAY_PER_SECTION]:
            number = len(numbers) + 1
            title = clip(tr.article_text(item.title), LIST_TITLE_CHARS)
            lines.append(tr.html("today.item", number=number, title=title))
            numbers.append(Button(str(number), codec.open_article(item.id)))
        if len(items) > TODAY_PER_SECTION:
            label = tr.text("today.more", section=tr.section(section), count=len(items))
            more.append(Button(label, codec.section_page(section, 0, new_message=True)))
    rows = [
        tuple(numbers[i : i + TODAY_BUTTONS_PER_ROW])
        for i in range(0, len(numbers), TODAY_BUTTONS_PER_ROW)
    ]
    rows.extend((button,) for button in more)
    return MessagePart(Html("\n".join(lines)), tuple(rows))


def render_help(tr: Translator, commands: Sequence[tuple[str, str]]) -> MessagePart:
    """The command list for this chat, from the same table that feeds the Telegram menu."""
    lines = "\n".join(
        tr.html("help.line", name=name, description=description) for name, description in commands
    )
    return MessagePart(tr.html("help.text", commands=Html(lines)))


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def plain_text(markup: str) -> str:
    """What Telegram shows of an HTML message (tags gone, entities decoded, ends trimmed)."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces).strip()
