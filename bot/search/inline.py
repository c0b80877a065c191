"""What an inline query (``@bot 台风``) answers with, as plain articles: the logic the inline
handler used to hold.

Three kinds of query: a share payload (the "share" button's query; the handler decodes it) finds
exactly its article; an empty query lists the latest edition's headlines; anything else is the same
search as /search, ranked the same way. Teasers (导读) are never answers, and a query the search
refuses gets no results, never an error. Paging is by offset, up to ``max_offset``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.search.browse import TEASER, BrowseService
from bot.search.query import QueryError
from bot.search.service import SearchService
from storage.models import Article

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InlineMatch:
    article: Article
    snippet: str | None  # the search's snippet; None for a headline or a shared article


@dataclass(frozen=True)
class InlinePage:
    matches: list[InlineMatch]
    next_offset: int | None  # None: no more results


async def inline_page(
    browse: BrowseService,
    search: SearchService,
    text: str,
    offset: int,
    *,
    shared_article: int | None,
    page_size: int,
    max_offset: int,
) -> InlinePage:
    """One page of answers to the inline query ``text`` from ``offset``; ``shared_article`` is
    the article a share payload named (None when ``text`` is not one)."""
    matches: list[InlineMatch] = []
    total = 0
    if shared_article is not None:
        article = await browse.article(shared_article) if offset == 0 else None
        if article is not None and article.kind != TEASER:
            matches, total = [InlineMatch(article, None)], 1
    elif not text:
        articles, total = await browse.headlines(limit=page_size, offset=offset)
        matches = [InlineMatch(a, None) for a in articles]
    else:
        try:
            page = await search.search(text, limit=page_size, offset=offset)
        except QueryError as exc:
            logger.info("inline query %r refused: %s", text[:80], exc.key)
            return InlinePage([], None)
        total = page.total
        snippets = {hit.id: hit.snippet for hit in page.results}
        articles = await browse.articles([hit.id for hit in page.results])
        matches = [InlineMatch(a, snippets[a.id]) for a in articles if a.kind != TEASER]
    following = offset + page_size
    more = following < total and following <= max_offset
    return InlinePage(matches, following if more else None)
