"""Search results, browsing and articles → message parts (HTML text plus inline keyboards).

Every article string is escaped here; catalogue strings are trusted templates. Splitting and
lengths are :mod:`bot.render.layout`'s, the message shape :mod:`bot.render.parts`'.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.ingest.uploads import UploadSummary
from bot.render.alerts import headline_html, notice_fields
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Html, Translator, escape
from bot.render.layout import TELEGRAM_TEXT_LIMIT, Block, Span, blocks_to_html, clip, pack_blocks
from bot.render.parts import Button, MessagePart
from bot.search.browse import (
    TEASER,
    ArticleSummary,
    Edition,
    EditionSectionPage,
    SectionCount,
    SectionPage,
)
from bot.search.service import SearchHit, SearchPage
from bot.text.sections import SECTIONS
from storage.models import Article

RESULTS_PER_PAGE = 5
LIST_TITLE_CHARS = 60
BUTTON_TITLE_CHARS = 30
SNIPPET_CHARS = 160
TODAY_PER_SECTION = 8
TODAY_BUTTONS_PER_ROW = 8
SECTION_BUTTONS_PER_ROW = 2
PART_MARK_RESERVE = 24  # room kept in each part of a split article for "（2/3）"

# --- articles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareLinks:
    """How an article is passed on: its deep link ``https://t.me/<bot>?start=<payload>`` and the
    inline query that finds exactly it in another chat (the payload again)."""

    url: str
    inline_query: str


def render_article(
    article: Article, tr: Translator, share: ShareLinks | None = None,
    section_codec: CallbackCodec | None = None,
) -> list[MessagePart]:
    """The full article: kicker, title, subtitle, byline, paragraphs (subheads bold), date, page;
    with ``share``, its link in the last part and a button to share it in another chat; with
    ``section_codec`` (admins only), a 版块 button to correct its section."""
    blocks = article_blocks(article, tr)
    if share is not None:
        blocks.append(Block.of(tr.text("article.share_link", url=share.url)))
    groups = pack_blocks(blocks, TELEGRAM_TEXT_LIMIT - PART_MARK_RESERVE)
    keyboard: tuple[tuple[Button, ...], ...] = ()
    if share is not None:
        keyboard = ((Button(tr.text("button.share"), switch_inline_query=share.inline_query),),)
    if section_codec is not None:
        keyboard += ((Button(tr.text("button.section_pick"),
                             section_codec.section_picker(article.id)),),)
    if len(groups) == 1:
        return [MessagePart(blocks_to_html(groups[0]), keyboard)]
    parts = []
    for number, group in enumerate(groups, start=1):
        mark = tr.text("article.part", part=number, parts=len(groups))
        parts.append(MessagePart(Html(blocks_to_html(group) + "\n" + escape(mark)),
                                 keyboard if number == len(groups) else ()))
    return parts


def render_section_picker(article: Article, tr: Translator, codec: CallbackCodec) -> MessagePart:
    """An admin's choice of section for an article: the six sections, the current one named."""
    text = tr.html(
        "section.pick", title=tr.article_text(article.title),
        section=tr.text(f"section.{article.section}"),
        source=tr.text(f"section_source.{article.section_source}"),
    )
    buttons = [Button(tr.text(f"section.{name}"), codec.set_section(article.id, name))
               for name in SECTIONS]
    return MessagePart(text, (tuple(buttons[:3]), tuple(buttons[3:])))


def render_section_set(article: Article, tr: Translator) -> MessagePart:
    """What an admin sees after choosing: where the article is filed now."""
    return MessagePart(tr.html("section.set_done", title=tr.article_text(article.title),
                               section=tr.text(f"section.{article.section}")))


def article_blocks(article: Article, tr: Translator) -> list[Block]:
    """An article as blocks in the reader's script: header, paragraphs, the date-and-page line."""
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
    return blocks


def render_teaser(teaser: Article, tr: Translator) -> MessagePart:
    """A 导读 teaser whose article is not in the store: what it is, not an empty article."""
    return MessagePart(tr.html(
        "teaser.unavailable", title=tr.article_text(teaser.title),
        paper=tr.article_text(teaser.paper), date=tr.date(teaser.edition_date),
    ))


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


def render_edition_section_page(
    result: EditionSectionPage, page: int, tr: Translator, codec: CallbackCodec
) -> MessagePart:
    """One page of an edition's articles in a section, in /today's order; the header names the
    edition, so the count is visibly the one /today showed."""
    section = tr.section(result.section)
    if result.total == 0:
        return MessagePart(tr.html("section.empty", section=section))
    pages = _page_count(result.total)
    lines = [
        tr.html("section.edition_header", section=section, date=tr.date(result.edition),
                total=result.total)
        + " · " + tr.html("list.position", page=page + 1, pages=pages)
    ]
    keyboard: list[tuple[Button, ...]] = []
    for number, item in enumerate(result.results, start=page * RESULTS_PER_PAGE + 1):
        lines.append(_list_line(tr, number, item))
        keyboard.append(_result_button(tr, codec, number, item.id, item.title))
    nav = _nav_row(tr, page, pages,
                   lambda p: codec.edition_section_page(result.section, result.edition, p))
    if nav:
        keyboard.append(nav)
    return MessagePart(Html("\n\n".join(lines)), tuple(keyboard))


def _list_line(tr: Translator, number: int, item: ArticleSummary) -> str:
    title = escape(clip(tr.article_text(item.title), LIST_TITLE_CHARS))
    if item.kind == TEASER:
        title = tr.html("teaser.item", title=Html(title))
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
            if item.kind == TEASER:
                title = tr.html("teaser.item", title=title)
            lines.append(tr.html("today.item", number=number, title=title))
            numbers.append(Button(str(number), codec.open_article(item.id)))
        if len(items) > TODAY_PER_SECTION:
            label = tr.text("today.more", section=tr.section(section), count=len(items))
            more.append(Button(label, codec.edition_section_page(section, edition.date, 0,
                                                                 new_message=True)))
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


UPLOAD_TITLES_SHOWN = 20


def render_upload_summary(summary: UploadSummary, tr: Translator) -> MessagePart:
    """What an admin's upload added: counts, then the new titles (the first twenty)."""
    lines = [tr.html("upload.done", name=summary.file_name, new=summary.articles_new,
                     duplicate=summary.articles_duplicate, alerts=summary.alerts_new)]
    if summary.alerts_found:
        lines.append(tr.html("upload.alerts_header"))
        for found in summary.alerts_found:
            headline = headline_html(notice_fields(found.record, tr), tr)
            key = "upload.alert_new" if found.new else "upload.alert_known"
            lines.append(tr.html(key, headline=headline))
    titles = summary.new_titles[:UPLOAD_TITLES_SHOWN]
    lines += [tr.html("upload.title", title=tr.article_text(title)) for title in titles]
    if len(summary.new_titles) > len(titles):
        lines.append(tr.html("upload.more", count=len(summary.new_titles) - len(titles)))
    return MessagePart(Html("\n".join(lines)))
