"""Keyword-watch notices: new articles matched against every watch, one notice per chat per pass.

For each chat, the new articles any of its watches match become one outbox row (kind "watch",
ref = the newest article id looked at), written in the same transaction that moves the watches'
cursors — so a restart neither repeats nor loses one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock, SystemClock
from bot.render.callback_data import CallbackCodec
from bot.render.i18n import Translator
from bot.render.watches import render_watch_notice
from bot.subscriptions.watches import WatchHit, article_match_texts, parse_watch_query
from storage.articles import ArticleRepository
from storage.database import Database, WriteSession
from storage.models import Article
from storage.outbox import NewDelivery, Outbox
from storage.subscriptions import SubscriptionLedger
from storage.watches import WatchRepository

logger = logging.getLogger("newsbrief.watches")

WATCH_KIND = "watch"
FETCH_CHUNK = 500


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
        """One transaction (retried whole if another writer holds SQLite's lock): notices
        queued together with the watches' advanced cursors."""
        now = self.clock.now()
        report = await self.db.write(lambda session: self._pass(session, now))
        if report.notices:
            logger.info("watches: %d new article(s), %d notice(s)", report.articles,
                        report.notices)
            if self.notify is not None:
                self.notify()
        return report

    async def _pass(self, session: WriteSession, now: datetime) -> WatchRunReport:
        """The pass's reads and writes; a fresh report each attempt, so a retry counts once."""
        report = WatchRunReport()
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
            tr = Translator.for_language(chats[chat_id].reader_language)
            parts = [p.to_outbox() for p in render_watch_notice(hits, tr, self.codec)]
            deliveries.append(NewDelivery(chat_id, WATCH_KIND, f"a{newest}", parts))
            report.chats.append(chat_id)
        report.notices = await Outbox(session).enqueue_many(deliveries, now=now)
        await repo.advance([w.id for w in watches], newest)
        return report

    @staticmethod
    async def _articles_after(repo: ArticleRepository, after_id: int) -> list[Article]:
        rows: list[Article] = []
        while chunk := await repo.ingested_since(after_id, limit=FETCH_CHUNK):
            rows.extend(chunk)
            after_id = chunk[-1].id
        return rows
