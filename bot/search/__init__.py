"""Finding articles: the query language, what the index stores per article, the search service,
snippets, and browsing the archive by edition and section."""

from __future__ import annotations

from bot.search.browse import (
    ArticleSummary,
    BrowseService,
    Edition,
    SectionCount,
    SectionPage,
    article_to_dict,
)
from bot.search.inline import InlineMatch, InlinePage, inline_page
from bot.search.query import QueryError, parse_query
from bot.search.service import (
    SearchHit,
    SearchPage,
    SearchService,
    index_articles,
    optimize_index,
    reindex,
)
from bot.search.tokens import body_text, headline_text

__all__ = [
    "ArticleSummary",
    "BrowseService",
    "Edition",
    "InlineMatch",
    "InlinePage",
    "QueryError",
    "SearchHit",
    "SearchPage",
    "SearchService",
    "SectionCount",
    "SectionPage",
    "article_to_dict",
    "body_text",
    "headline_text",
    "index_articles",
    "inline_page",
    "optimize_index",
    "parse_query",
    "reindex",
]
