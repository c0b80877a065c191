"""Search: the one service the CLI and the bot call to find articles by what they contain.

Query language: ``bot.search.query``. Matching and ranking: ``storage.search_index`` over tokens
from ``bot.search.tokens``. This module ties them together and cuts the snippets.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.search.query import QueryError, QueryTerm, parse_query
from bot.search.tokens import body_text, headline_text, index_entries, term_matcher
from bot.text.normalization import (
    fold_sources,
    normalize_for_matching,
    normalize_with_offsets,
    unfolding_pattern,
    word_runs,
)
from storage.articles import ArticleRepository
from storage.database import Database
from storage.models import Article
from storage.search_index import (
    DEFAULT_WINDOW,
    IndexQuery,
    RankedMatch,
    SearchIndex,
    TermMatcher,
    index_segments,
    optimize,
)

__all__ = [
    "QueryError",
    "SearchHit",
    "SearchPage",
    "SearchService",
    "index_articles",
    "make_snippet",
    "optimize_index",
    "reindex",
]

MAX_LIMIT = 100
MAX_OFFSET = 10_000
SNIPPET_CHARS = 80
SNIPPET_CONTEXT_BEFORE = 20
SNIPPET_SCAN_CHARS = 1500  # how far to look for a body match when the headline has every term
SNIPPET_CHUNK_CHARS = 400  # how much body is folded at a time while looking for the first match
ELLIPSIS = "…"
REINDEX_BATCH = 500


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
    """One page of results, best first. ``total`` is the number of matching articles, exact when
    ``total_exact``. Matches are counted only as far as the ranking window of 200
    (``storage.search_index.count_limit``: each match counted is more of the archive read, on
    both backends); beyond it ``total`` is that limit, shown "200+"."""

    query: str
    total: int
    took_ms: float
    results: list[SearchHit]
    total_exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "total_exact": self.total_exact,
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
            with_text=True,
        )
        # One read, outside any transaction: the index reads through the engine as it sees fit.
        page = await SearchIndex(self.db.search_engine).search(index_query)
        needles = _needles([term.folded for term in parsed.include])
        hits = [_hit(match, needles, len(parsed.include)) for match in page.matches]
        took_ms = round((time.perf_counter() - started) * 1000, 3)
        return SearchPage(
            query=query,
            total=page.total,
            took_ms=took_ms,
            results=hits,
            total_exact=page.total_exact,
        )


def _matchers(terms: Sequence[QueryTerm]) -> tuple[TermMatcher, ...]:
    matchers = (term_matcher(term.folded) for term in terms)
    return tuple(matcher for matcher in matchers if matcher is not None)


def _hit(match: RankedMatch, needles: Sequence[str], terms: int) -> SearchHit:
    # With every term in the headline, the lead is as good a snippet as a match deep in the body.
    snippet, marks = _snippet(
        headline_text(match),
        body_text(match),
        needles,
        scan_limit=SNIPPET_SCAN_CHARS if match.title_terms >= terms else None,
    )
    return SearchHit(
        id=match.article_id,
        title=match.title,
        date=match.edition_date,
        section=match.section,
        score=round(match.score, 6),
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
    title: str, body: str, folded_terms: Sequence[str], *, scan_limit: int | None = None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """At most ``SNIPPET_CHARS`` characters of the body around the first match, with the matches'
    spans; the body's start when only the title matches (or nothing matches within
    ``scan_limit`` characters); the title when there is no body."""
    return _snippet(title, body, _needles(folded_terms), scan_limit=scan_limit)


def _snippet(
    title: str, body: str, needles: Sequence[str], *, scan_limit: int | None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    # The body when there is one (a title-only match then shows the lead), else the title.
    # Whitespace runs become one space (str.split is the same Unicode whitespace as ``\s``, at C
    # speed: a regex over every body was most of a page's snippet time).
    display = " ".join(body.split()) or " ".join(title.split())
    if not needles:
        return _cut(display, 0, []), ()
    limit = len(display) if scan_limit is None else min(len(display), scan_limit)
    reach = max(len(n) for n in needles) * 4
    # Locate matches in the display text as it is, with patterns of every character that folds
    # to each needle character (no folding of the article at all) ...
    patterns = [unfolding_pattern(needle) for needle in needles]
    starts = [
        found
        for needle, pattern in zip(needles, patterns, strict=True)
        if (found := _first_unfolded(display, needle, pattern, limit + reach)) is not None
    ]
    first = min(starts) if starts else None
    folding = first is None and scan_limit is None
    if folding:
        # ... unless a fold that changes length (㈱ → (株), … → ...) hid it: fold the text then.
        first = _first_match(display, needles, None)
    if first is None:
        return _cut(display, 0, []), ()
    start = max(0, first - SNIPPET_CONTEXT_BEFORE)
    # Marks: only the window shown (plus a needle's reach either side) is searched.
    begin, end, _, _ = _window(display, start)
    lo, hi = max(0, begin - reach), min(len(display), end + reach)
    shown = display[lo:hi]
    found = (
        _spans_in(shown, needles)
        if folding
        else [m.span() for p in patterns for m in p.finditer(shown)]
    )
    spans = sorted((lo + s, lo + e) for s, e in found)
    return _cut(display, start, spans), _marks_in(display, start, spans)


def _first_unfolded(display: str, needle: str, pattern: re.Pattern[str], end: int) -> int | None:
    """Where ``pattern`` first matches before ``end``. A character-class regex scans slowly, so
    it only runs from the first character that could start a match (found with ``str.find``) up
    to the first literal occurrence of the needle, when there is one."""
    begin = -1
    for variant in fold_sources(needle[0]):
        position = display.find(variant, 0, end)
        if position >= 0 and (begin < 0 or position < begin):
            begin = position
    if begin < 0:
        return None
    literal = display.find(needle, begin, end)
    match = pattern.search(display, begin, end if literal < 0 else literal + len(needle))
    return match.start() if match else None


def _spans_in(text: str, needles: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) spans in ``text`` (original offsets) where a needle occurs after folding."""
    folded = normalize_for_matching(text)
    spans = _find_spans(folded, needles)
    if len(folded) == len(text):  # the usual case: folding kept every offset
        return spans
    folded, origin = normalize_with_offsets(text)
    return [(origin[s], origin[e - 1] + 1) for s, e in _find_spans(folded, needles)]


def _first_match(display: str, needles: Sequence[str], scan_limit: int | None) -> int | None:
    """Where the first match starts, folding the text chunk by chunk (most matches are near the
    top, so a long body is rarely folded whole)."""
    if not needles:
        return None
    limit = len(display) if scan_limit is None else min(len(display), scan_limit)
    overlap = max(len(n) for n in needles) * 4
    position = 0
    while position < limit:
        stop = min(len(display), position + SNIPPET_CHUNK_CHARS + overlap)
        spans = _spans_in(display[position:stop], needles)
        if spans:
            return position + min(s for s, _ in spans)
        position += SNIPPET_CHUNK_CHARS
    return None


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


def _cut(display: str, start: int, spans: Sequence[tuple[int, int]]) -> str:
    begin, end, prefix, suffix = _window(display, start)
    return prefix + display[begin:end] + suffix


def _marks_in(
    display: str, start: int, spans: Sequence[tuple[int, int]]
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
    """Rebuild the whole index from the stored articles in one transaction, then compact it
    (``optimize_index``); returns how many.

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
    await optimize_index(db)
    return count


async def optimize_index(db: Database) -> tuple[int | None, int | None]:
    """Compact the search index after a big load (``storage.search_index.optimize``: on SQLite
    every search seeks through each FTS5 segment the load left); returns the number of segments
    before and after (None on PostgreSQL)."""
    before = await index_segments(db.engine)
    await optimize(db.engine)
    return before, await index_segments(db.engine)
