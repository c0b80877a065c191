"""Keyword watches: saved queries that tell a chat when new articles match.

Queries are parsed by search's own parser (:mod:`bot.search.query`): space-separated terms must
all occur in the headline or the body, ``-term`` excludes, quotes keep a phrase, ``section:经济``
filters; matching is on the folded text (NFKC, traditional → simplified, Latin lower-case) so 颱風
finds 台风, and a term is found anywhere inside a run of characters, exactly like search's bigram
phrases ("经开" inside 萧山经开区). Users never supply regular expressions: terms are plain text.

:class:`WatchNotifier` is the per-ingest pass: for each chat, the new articles any of its watches
match become one outbox row (kind "watch", ref = the newest article id looked at), written in the
same transaction that moves the watches' cursors — so a restart neither repeats nor loses one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Html, Translator
from bot.render.views import TELEGRAM_TEXT_LIMIT, Button, MessagePart, clip, utf16_len
from bot.search.query import QueryError, parse_query
from bot.search.tokens import body_text, headline_text
from bot.text.normalization import normalize_for_matching, word_runs
from storage.articles import ArticleRepository
from storage.database import Database
from storage.models import Article
from storage.outbox import MessagePart as OutboxPart
from storage.outbox import NewDelivery, Outbox
from storage.subscriptions import SubscriptionLedger
from storage.watches import WatchRepository

logger = logging.getLogger("newsbrief.watches")

MAX_WATCHES_PER_CHAT = 20
MAX_WATCH_CHARS = 100
MAX_ITEMS_PER_WATCH = 10
WATCH_KIND = "watch"
FETCH_CHUNK = 500
BUTTONS_PER_ROW = 8


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
        async with self.db.session() as session:
            repo = WatchRepository(session)
            existing = await repo.find(chat_id, query.key)
            if existing is not None:
                return WatchAdded(existing.query, created=False)
            if await repo.count(chat_id) >= self.limit:
                raise WatchLimitError(self.limit)
            added = await repo.add(chat_id, query.text, query.key, now=self.clock.now())
        return WatchAdded(query.text, created=added is not None)

    async def list(self, chat_id: int) -> list[WatchView]:
        async with self.db.session() as session:
            return [WatchView(w.id, w.query) for w in await WatchRepository(session).for_chat(
                chat_id)]

    async def remove(self, chat_id: int, text: str) -> str | None:
        """Remove by the query (any spelling of it) or by its number in /watches; None if absent."""
        async with self.db.session() as session:
            repo = WatchRepository(session)
            watches = await repo.for_chat(chat_id)
            target = None
            if text.strip().isdigit():
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

    async def remove_id(self, chat_id: int, watch_id: int) -> str | None:
        async with self.db.session() as session:
            repo = WatchRepository(session)
            target = next((w for w in await repo.for_chat(chat_id) if w.id == watch_id), None)
            if target is None:
                return None
            await repo.remove(target.id)
            return target.query


# --- the notice ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchHit:
    article_id: int
    title: str


@dataclass
class _Part:
    lines: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    length: int = 0


def render_watch_notice(
    hits: Mapping[str, Sequence[WatchHit]], tr: Translator, codec: CallbackCodec,
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[MessagePart]:
    """One message (split between items if long): each query, its new headlines, read buttons."""
    parts = [_Part()]

    def add(line: str, button: Button | None = None) -> None:
        part = parts[-1]
        size = utf16_len(line) + 1
        if part.lines and (part.length + size > limit or len(part.buttons) >= 48):
            part = _Part()
            parts.append(part)
        part.lines.append(line)
        part.length += size
        if button is not None:
            part.buttons.append(button)

    add(tr.html("watch.notice_header"))
    number = 0
    for query, items in hits.items():
        shown = items[:MAX_ITEMS_PER_WATCH]
        block = "\n" + tr.html("watch.notice_query", query=query)
        for index, item in enumerate(shown):
            number += 1
            line = tr.html("watch.notice_item", number=number,
                           title=clip(tr.article_text(item.title), 80))
            add(block + "\n" + line if index == 0 else line,
                Button(str(number), codec.open_article(item.article_id)))
        if len(items) > len(shown):
            add(tr.html("watch.notice_more", count=len(items) - len(shown)))
    return [
        MessagePart(
            Html("\n".join(p.lines)),
            tuple(tuple(p.buttons[i : i + BUTTONS_PER_ROW])
                  for i in range(0, len(p.buttons), BUTTONS_PER_ROW)),
        )
        for p in parts
    ]


def _to_outbox(parts: Iterable[MessagePart]) -> list[OutboxPart]:
    stored = []
    for part in parts:
        markup = None
        if part.keyboard:
            markup = {"inline_keyboard": [
                [{"text": b.text, "callback_data": b.callback_data} for b in row]
                for row in part.keyboard
            ]}
        stored.append(OutboxPart(str(part.html), "HTML", markup, False))
    return stored


@dataclass
class WatchRunReport:
    articles: int = 0
    notices: int = 0
    chats: list[int] = field(default_factory=list)


class WatchNotifier:
    """Checks new articles against every watch; one notice per chat per pass."""

    def __init__(
        self,
        db: Database,
        codec: CallbackCodec,
        *,
        clock: Clock | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.codec = codec
        self.clock = clock or SystemClock()
        self.notify = notify

    async def run(self) -> WatchRunReport:
        now = self.clock.now()
        report = WatchRunReport()
        async with self.db.session() as session:
            repo = WatchRepository(session)
            newest = await repo.newest_article_id()
            watches = await repo.behind(newest)
            if not watches:
                return report
            articles = await self._articles_after(
                ArticleRepository(session), min(w.last_article_id for w in watches)
            )
            report.articles = len(articles)
            folded = [(a, *article_match_texts(a)) for a in articles if a.kind != "teaser"]
            chats = {c.id: c for c in await SubscriptionLedger(session).chats(
                sorted({w.chat_id for w in watches}))}
            by_chat: dict[int, dict[str, list[WatchHit]]] = {}
            for watch in watches:
                chat = chats.get(watch.chat_id)
                if chat is None or not chat.active:
                    continue
                query = parse_watch_query(watch.query)
                hits = [WatchHit(a.id, a.title) for a, headline, body in folded
                        if a.id > watch.last_article_id
                        and query.matches(headline, body, a.section)]
                if hits:
                    by_chat.setdefault(watch.chat_id, {})[watch.query] = hits
            deliveries = []
            for chat_id, hits in by_chat.items():
                tr = Translator.for_language(chats[chat_id].language)
                parts = _to_outbox(render_watch_notice(hits, tr, self.codec))
                deliveries.append(NewDelivery(chat_id, WATCH_KIND, f"a{newest}", parts))
                report.chats.append(chat_id)
            report.notices = await Outbox(session).enqueue_many(deliveries, now=now)
            await repo.advance([w.id for w in watches], newest)
        if report.notices:
            logger.info("watches: %d new article(s), %d notice(s)", report.articles,
                        report.notices)
            if self.notify is not None:
                self.notify()
        return report

    @staticmethod
    async def _articles_after(repo: ArticleRepository, after_id: int) -> list[Article]:
        rows: list[Article] = []
        while chunk := await repo.ingested_since(after_id, limit=FETCH_CHUNK):
            rows.extend(chunk)
            after_id = chunk[-1].id
        return rows
