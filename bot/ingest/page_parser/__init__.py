"""Split the plain text of one newspaper page into articles (see :mod:`.parser` for the steps)."""

from bot.ingest.page_parser.model import LABELS, ExplainedLine, Label, ParsedPage
from bot.ingest.page_parser.parser import PageParseError, ParsedArticle, explain_page, parse_page

__all__ = [
    "LABELS",
    "ExplainedLine",
    "Label",
    "PageParseError",
    "ParsedArticle",
    "ParsedPage",
    "explain_page",
    "parse_page",
]
