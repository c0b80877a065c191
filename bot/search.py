"""Search: the one service the CLI and the bot call to find articles by what they contain.

Query language: ``bot.search_query``. Matching and ranking: ``storage.search_index`` over tokens
from ``bot.search_tokens``. This module ties them together and cuts the snippets.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.search_query import ParsedQuery, QueryError, QueryTerm, parse_query
from bot.search_tokens import body_text, headline_text, index_entries, term_matcher
from bot.text_normalization import normalize_with_offsets, word_runs
from storage.articles import ArticleRepository
from storage.database import Database
from storage.models import Article
from storage.search_index import DEFAULT_WINDOW, IndexQuery, SearchIndex, TermMatcher

__all__ = [
    "QueryError",
    "SearchHit",
    "SearchPage",
    "SearchService",
    "index_articles",
    "make_snippet",
    "reindex",
]

MAX_LIMIT = 100
MAX_OFFSET = 10_000
SNIPPET_CHARS = 80
SNIPPET_CONTEXT_BEFORE = 20
SNIPPET_SCAN_CHARS = 1500
ELLIPSIS = "…"
REINDEX_BATCH = 500
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchHit:
    """One found article: what a result list shows. ``snippet_marks`` are [start, end) spans of the
    matched text inside ``snippet`` (bold in the bot, plain in the CLI)."""

    id: int
    title: str
    date: date
    section: str
    score: float
    snippet: str
    snippet_marks: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat(),
            "section": self.section,
            "score": self.score,
            "snippet": self.snippet,
            "snippet_marks": [list(mark) for mark in self.snippet_marks],
        }


@dataclass(frozen=True)
class SearchPage:
    """One page of results, best first; ``total`` is the exact number of matching articles."""

    query: str
    total: int
    took_ms: float
    results: list[SearchHit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "results": [hit.to_dict() for hit in self.results],
        }


class SearchService:
    """Full-recall Chinese search over stored articles (one instance per process is enough)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        section: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> SearchPage:
        """Articles containing every term of ``query``, best first; raises ``QueryError``."""
        started = time.perf_counter()
        parsed = parse_query(query, section=section, since=since, until=until)
        limit = max(1, min(limit, MAX_LIMIT))
        offset = max(0, min(offset, MAX_OFFSET))
        index_query = IndexQuery(
            include=_matchers(parsed.include),
            exclude=_matchers(parsed.exclude),
            section=parsed.section,
            since=parsed.since,
            until=parsed.until,
            limit=limit,
            offset=offset,
            window=max(DEFAULT_WINDOW, offset + limit),
        )
        async with self.db.session() as session:
            page = await SearchIndex(session).search(index_query)
            articles = await ArticleRepository(session).get_many(
                [match.article_id for match in page.matches]
            )
        by_id = {article.id: article for article in articles}
        hits = [
            _hit(by_id[match.article_id], match.score, parsed)
            for match in page.matches
            if match.article_id in by_id
        ]
        took_ms = round((time.perf_counter() - started) * 1000, 3)
        return SearchPage(query=query, total=page.total, took_ms=took_ms, results=hits)


def _matchers(terms: Sequence[QueryTerm]) -> tuple[TermMatcher, ...]:
    matchers = (term_matcher(term.folded) for term in terms)
    return tuple(matcher for matcher in matchers if matcher is not None)


def _hit(article: Article, score: float, parsed: ParsedQuery) -> SearchHit:
    snippet, marks = make_snippet(
        headline_text(article), body_text(article), [term.folded for term in parsed.include]
    )
    return SearchHit(
        id=article.id,
        title=article.title,
        date=article.edition_date,
        section=article.section,
        score=round(score, 6),
        snippet=snippet,
        snippet_marks=marks,
    )


def _find_spans(folded: str, needles: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for needle in needles:
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    return spans


def _needles(folded_terms: Sequence[str]) -> list[str]:
    """What to mark: each term as folded, or its letter/digit runs when punctuation differs."""
    needles: list[str] = []
    for term in folded_terms:
        needles.append(term)
        runs = word_runs(term)
        if len(runs) > 1 or (runs and runs[0] != term):
            needles.extend(runs)
    return list(dict.fromkeys(n for n in needles if n))


def make_snippet(
    title: str, body: str, folded_terms: Sequence[str]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """At most ``SNIPPET_CHARS`` characters of the body around the first match, with the matches'
    spans; the body's start when only the title matches; the title when there is no body."""
    needles = _needles(folded_terms)
    # The body when there is one (a title-only match then shows the lead), else the title.
    display = _WHITESPACE.sub(" ", body).strip() or _WHITESPACE.sub(" ", title).strip()
    # Most first matches are near the top: fold the head first, the whole text only if needed.
    spans: list[tuple[int, int]] = []
    for head in (display[:SNIPPET_SCAN_CHARS], display):
        folded, origin = normalize_with_offsets(head)
        spans = sorted(
            (origin[start], origin[end - 1] + 1) for start, end in _find_spans(folded, needles)
        )
        fits = bool(spans) and spans[0][0] + SNIPPET_CHARS <= len(head)
        if fits or len(head) == len(display):
            break
    if not spans:
        return _cut(display, 0, []), ()
    start = max(0, spans[0][0] - SNIPPET_CONTEXT_BEFORE)
    snippet = _cut(display, start, spans)
    return snippet, _marks_in(snippet, display, start, spans)


def _window(display: str, start: int) -> tuple[int, int, str, str]:
    """The [start, end) of the display text that fits, with the ellipses around it."""
    prefix = ELLIPSIS if start > 0 else ""
    room = SNIPPET_CHARS - len(prefix)
    if len(display) - start <= room:
        if start > 0 and len(display) <= SNIPPET_CHARS:
            return 0, len(display), "", ""
        return start, len(display), prefix, ""
    end = start + room - len(ELLIPSIS)
    return start, end, prefix, ELLIPSIS


def _cut(display: str, start: int, spans: list[tuple[int, int]]) -> str:
    begin, end, prefix, suffix = _window(display, start)
    return prefix + display[begin:end] + suffix


def _marks_in(
    snippet: str, display: str, start: int, spans: list[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    begin, end, prefix, _ = _window(display, start)
    marks: list[tuple[int, int]] = []
    for span_start, span_end in spans:
        clipped_start, clipped_end = max(span_start, begin), min(span_end, end)
        if clipped_start >= clipped_end:
            continue
        mark = (clipped_start - begin + len(prefix), clipped_end - begin + len(prefix))
        if marks and mark[0] <= marks[-1][1]:
            marks[-1] = (marks[-1][0], max(marks[-1][1], mark[1]))
        else:
            marks.append(mark)
    return tuple(marks)


async def index_articles(session: AsyncSession, articles: Sequence[Article]) -> None:
    """Index freshly flushed articles in the caller's transaction (a rollback drops both)."""
    await SearchIndex(session).add(index_entries(articles))


async def reindex(db: Database) -> int:
    """Rebuild the whole index from the stored articles in one transaction; returns how many.

    Readers keep seeing the old index until the rebuild commits.
    """
    count = 0
    async with db.session() as session:
        index = SearchIndex(session)
        await index.clear()
        articles = ArticleRepository(session)
        last_id = 0
        while True:
            batch = await articles.ingested_since(last_id, limit=REINDEX_BATCH)
            if not batch:
                break
            count += await index.add(index_entries(batch))
            last_id = batch[-1].id
            session.expunge_all()
    return count
