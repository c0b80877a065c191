"""Split the plain text of one newspaper page into articles (see :mod:`.parser`)."""

from bot.ingest.page_parser.parser import PageParseError, ParsedArticle, parse_page

__all__ = ["PageParseError", "ParsedArticle", "parse_page"]
