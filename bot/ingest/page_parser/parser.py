"""Split the plain text of one newspaper page into articles: lines → labels → articles.

The input is what a PDF-to-text tool leaves of a Chinese newspaper page (blocks separated by blank
lines, column breaks cutting words and numbers, boxes of page furniture) or the web text of a page
(indented paragraphs, articles separated by blank lines). The steps, one module each:

1. :mod:`.lines` — refuse text that is no page; read the lines with their layout;
2. :mod:`.furniture` — drop page ears, countdown boxes and English box lines;
3. :mod:`.joins` — glue paragraphs column breaks cut, drop duplicated fragments and jump lines;
4. :mod:`.labeller` — label each line (kicker, title, subtitle, byline, subhead, body, credit),
   deciding where articles start;
5. :mod:`.assemble` — file the labelled lines into articles.

The rules follow how Chinese papers are typeset rather than any one page (:mod:`.patterns` holds
them). Every character of the text is kept as printed except the page furniture, the duplicated
fragments column breaks leave behind, and layout whitespace (indentation, line breaks inside a
paragraph). ``explain_page`` shows the label each input line got.
"""

from __future__ import annotations

from datetime import date

from bot.ingest.page_parser.furniture import drop_furniture
from bot.ingest.page_parser.joins import join_column_breaks
from bot.ingest.page_parser.labeller import label_page
from bot.ingest.page_parser.lines import check_usable, input_lines, read_lines
from bot.ingest.page_parser.model import (
    ExplainedLine,
    PageParseError,
    ParsedArticle,
    ParsedPage,
    Trace,
)

__all__ = [
    "ExplainedLine",
    "PageParseError",
    "ParsedArticle",
    "ParsedPage",
    "explain_page",
    "parse_page",
]


def parse_page(
    text: str, edition: date, *, paper: str | None = None, page: int | None = None
) -> ParsedPage:
    """Parse the text of one page into its articles, pictures and teasers, in reading order."""
    articles, _ = _parse(text)
    return ParsedPage(edition=edition, articles=articles, paper=paper, page=page)


def explain_page(text: str) -> list[ExplainedLine]:
    """Every non-empty input line with the label the parser gave it, so an operator can see
    why a page parsed the way it did. Raises PageParseError as `parse_page` does."""
    _, trace = _parse(text)
    return [
        ExplainedLine(number, raw.strip(), trace.get(number, "dropped"))
        for number, raw in enumerate(input_lines(text), start=1)
        if raw.strip()
    ]


def _parse(text: str) -> tuple[tuple[ParsedArticle, ...], Trace]:
    check_usable(text)
    trace: Trace = {}
    lines = drop_furniture(read_lines(text), trace)
    lines = join_column_breaks(lines, trace)
    articles = tuple(label_page(lines, trace).articles())
    articles = tuple(article for article in articles if article.title or article.paragraphs)
    if not any(article.title for article in articles):
        raise PageParseError("no recognisable article: found no headline followed by body text")
    return articles, trace
