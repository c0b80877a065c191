"""Keyword watches: saved queries that tell a chat when new articles match.

Queries are parsed by search's own parser (:mod:`bot.search.query`): space-separated terms must
all occur in the headline or the body, ``-term`` excludes, quotes keep a phrase, ``section:经济``
filters; matching is on the folded text (NFKC, traditional → simplified, Latin lower-case) so 颱風
finds 台风, and a term is found anywhere inside a run of characters, exactly like search's bigram
phrases ("经开" inside 萧山经开区). Users never supply regular expressions: terms are plain text.

Notices for new matches are queued by :mod:`bot.pushes.watches`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.search.query import QueryError, parse_query
from bot.search.tokens import body_text, headline_text
from bot.text.normalization import normalize_for_matching, word_runs
from storage.database import Database, WriteSession
from storage.models import Article
from storage.watches import WatchRepository

_LIST_NUMBER = re.compile(r"[0-9]{1,9}")  # a watch's number in /watches, as typed

MAX_WATCHES_PER_CHAT = 20
MAX_WATCH_CHARS = 100
MAX_ITEMS_PER_WATCH = 10


class WatchLimitError(Exception):
    """The chat already holds the most watches allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _runs(folded: str) -> str:
    """Letter/digit runs joined by one space: punctuation and spacing never decide a match."""
    return " ".join(word_runs(folded))


@dataclass(frozen=True)
class WatchQuery:
    """A query in search's language, reduced to what a watch needs: folded terms to find and to
    exclude, and an optional section filter (date filters mean nothing for future articles)."""

    text: str  # as the user wrote it, tidied (for display)
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    section: str | None = None

    @property
    def key(self) -> str:
        """The same watch however it was written (order, script, width, repeats)."""
        parts = sorted(set(self.include)) + [f"-{t}" for t in sorted(set(self.exclude))]
        if self.section:
            parts.append(f"section:{self.section}")
        return " ".join(parts)

    def matches(self, headline: str, body: str, section: str | None = None) -> bool:
        """Every term in the headline or the body, no excluded term in either (folded runs)."""
        if self.section is not None and section is not None and (
            normalize_for_matching(section) != self.section
        ):
            return False
        texts = (_runs(headline), _runs(body))
        return all(any(t in text for text in texts) for t in self.include) and not any(
            t in text for t in self.exclude for text in texts
        )


def parse_watch_query(text: str) -> WatchQuery:
    """Read ``台风`` or ``萧山 -体育`` with search's parser; raises its ``QueryError``."""
    tidy = " ".join((text or "").split())
    if len(tidy) > MAX_WATCH_CHARS:
        raise QueryError("too_long", length=len(tidy), max=MAX_WATCH_CHARS)
    parsed = parse_query(tidy)
    return WatchQuery(
        tidy,
        tuple(_runs(term.folded) for term in parsed.include),
        tuple(_runs(term.folded) for term in parsed.exclude),
        parsed.section,
    )


def article_match_texts(article: Article) -> tuple[str, str]:
    """The headline and body as search matches them, folded once for all watches."""
    return (
        normalize_for_matching(headline_text(article)),
        normalize_for_matching(body_text(article)),
    )


@dataclass(frozen=True)
class WatchView:
    id: int
    query: str


@dataclass(frozen=True)
class WatchAdded:
    query: str
    created: bool  # False: the chat already watches this


class WatchService:
    """Add, list and remove a chat's watches (the chat row must exist: handlers record it)."""

    def __init__(self, db: Database, clock: Clock | None = None,
                 limit: int = MAX_WATCHES_PER_CHAT) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.limit = limit

    async def add(self, chat_id: int, text: str) -> WatchAdded:
        query = parse_watch_query(text)

        async def work(session: WriteSession) -> WatchAdded:
            repo = WatchRepository(session)
            existing = await repo.find(chat_id, query.key)
            if existing is not None:
                return WatchAdded(existing.query, created=False)
            if await repo.count(chat_id) >= self.limit:
                raise WatchLimitError(self.limit)
            added = await repo.add(chat_id, query.text, query.key, now=self.clock.now())
            return WatchAdded(query.text, created=added is not None)

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def list(self, chat_id: int) -> list[WatchView]:
        async with self.db.session() as session:
            return [WatchView(w.id, w.query) for w in await WatchRepository(session).for_chat(
                chat_id)]

    async def remove(self, chat_id: int, text: str) -> str | None:
        """Remove by the query (any spelling of it) or by its number in /watches; None if absent."""

        async def work(session: WriteSession) -> str | None:
            repo = WatchRepository(session)
            watches = await repo.for_chat(chat_id)
            target = None
            if _LIST_NUMBER.fullmatch(text.strip()):  # ASCII digits: "²" is not a number here
                number = int(text.strip())
                if 1 <= number <= len(watches):
                    target = watches[number - 1]
            else:
                try:
                    key = parse_watch_query(text).key
                except QueryError:
                    return None
                target = next((w for w in watches if w.query_key == key), None)
            if target is None:
                return None
            await repo.remove(target.id)
            return target.query

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def remove_id(self, chat_id: int, watch_id: int) -> str | None:
        async def work(session: WriteSession) -> str | None:
            repo = WatchRepository(session)
            target = next((w for w in await repo.for_chat(chat_id) if w.id == watch_id), None)
            if target is None:
                return None
            await repo.remove(target.id)
            return target.query

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock


@dataclass(frozen=True)
class WatchHit:
    article_id: int
    title: str
