"""Sources polled on a schedule: add, list, pause, remove, and poll (due ones, or all now).

A poll reads everything first — the feed or page, the linked pages it needs, decoded and
extracted — and stores only when all of that worked, so a bad source stores nothing. A poll that
read its source writes one transaction: the new items through
:class:`~bot.ingest.service.IngestService` (sections, search index, alert detection), the
item → article map, the edits, the validators and the source's health, all or nothing. A poll
that failed, or got a 304, writes only the source's health. An item whose text changed in its
source updates its article in place (re-indexed, alerts re-detected) instead of adding a second
one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar

from bot.alerts.state import detect_and_record
from bot.clock import Clock
from bot.config import Settings
from bot.ingest.pdf_pages import PdfPageError, is_pdf, pdf_page_text
from bot.ingest.service import IngestOptions, IngestReport, IngestService, PreparedFile
from bot.ingest.source_files import SourceText, UnusableInputError
from bot.search.service import index_articles
from bot.search.tokens import index_entries
from bot.sources.charset import UndecodableError, decode_body
from bot.sources.feeds import (
    FEED_CONTENT_TYPES,
    FeedError,
    FeedItem,
    looks_like_feed,
    parse_feed,
)
from bot.sources.fetch import (
    RETRYABLE_ERRORS,
    Fetched,
    Fetcher,
    FetchError,
    UnexpectedContentError,
    check_url,
)
from bot.sources.pages import (
    extract_article,
    fragment_paragraphs,
    is_index_page,
    looks_like_html,
    never_a_page,
    same_host_links,
)
from bot.sources.records import SourceRecord, date_from_url
from bot.sources.robots import RobotsRules
from bot.text.sections import resolve_section_name
from storage.articles import ArticleRepository, NewArticle
from storage.database import Database, DatabaseBusyError, Transaction, WriteSession
from storage.models import Source
from storage.search_index import SearchIndex
from storage.sources import (
    DuplicateSourceError,
    KnownItem,
    SourceRepository,
    replace_article_content,
)

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

SourceKind = Literal["auto", "feed", "html", "pdf"]
KINDS: tuple[str, ...] = ("auto", "feed", "html", "pdf")
DEFAULT_EVERY_MINUTES = 15.0
MIN_EVERY_SECONDS = 5
MAX_EVERY_SECONDS = 7 * 24 * 3600
MAX_LINKS_PER_POLL = 20  # pages followed from one index page, or fetched for summary-only items
MAX_BACKOFF = timedelta(hours=6)
FAILING_REPORT_AFTER = timedelta(days=1)
POLL_CONCURRENCY = 4  # sources at once (each host still sees one request at a time)
MAX_TITLE_CHARS = 500
STAND_IN_TITLE_CHARS = 24
HTML_ACCEPT = ("text/html", "application/xhtml+xml", "*/*;q=0.5")
FEED_ACCEPT = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/xml;q=0.9", "text/xml;q=0.9", "*/*;q=0.5")

PollStatus = Literal["ok", "not_modified", "error"]
FetcherFactory = Callable[[], Fetcher]


class SourceInputError(ValueError):
    """A source the operator described wrongly (bad URL, kind, interval, section, duplicate)."""


class SourceExistsError(SourceInputError):
    """That URL is polled already."""


@dataclass(frozen=True)
class SourceInfo:
    """A source as operators see it (``sources list``, ``/sources``)."""

    id: int
    url: str
    kind: str
    every_minutes: float
    paper: str | None
    section: str | None
    paused: bool
    last_status: str | None
    last_error: str | None
    last_polled_at: datetime | None
    consecutive_failures: int
    failing_since: datetime | None
    next_poll_at: datetime
    failing_long: bool  # failing for a day or more

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "kind": self.kind,
            "every_minutes": self.every_minutes,
            "paper": self.paper,
            "section": self.section,
            "paused": self.paused,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "last_polled_at": _iso(self.last_polled_at),
            "consecutive_failures": self.consecutive_failures,
            "failing_since": _iso(self.failing_since),
            "failing_long": self.failing_long,
            "next_poll_at": _iso(self.next_poll_at),
        }


@dataclass
class PollResult:
    """What one poll of one source did."""

    id: int
    url: str
    status: PollStatus = "ok"
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_updated: int = 0
    alerts_new: int = 0
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # linked pages that failed (others kept)

    def add_counts(self, done: PollResult | IngestReport) -> None:
        """Count what a committed transaction stored (an attempt's own result, or an ingest's)."""
        self.articles_new += done.articles_new
        self.articles_duplicate += done.articles_duplicate
        self.alerts_new += done.alerts_new
        if isinstance(done, PollResult):
            self.articles_updated += done.articles_updated

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "status": self.status,
            "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate,
            "articles_updated": self.articles_updated,
            "alerts_new": self.alerts_new,
            "error": self.error,
            "skipped": list(self.skipped),
        }


@dataclass
class _Trouble:
    """What went wrong with a poll's linked pages: one reason each; ``retry`` when one of them
    may work next time."""

    skipped: list[str] = field(default_factory=list)
    retry: bool = False

    def add(self, reason: str, *, retry: bool) -> None:
        self.skipped.append(reason)
        self.retry = self.retry or retry


@dataclass(frozen=True)
class _Read:
    records: list[SourceRecord]
    skipped: list[str]
    # False when the poll left work for the next one (links over the per-poll bound, linked pages
    # that may work next time): the validators are then not kept, so the next GET is not
    # answered by a 304 that would hide that work until the page or feed changes.
    complete: bool = True


class SourceService:
    """Everything about sources; the CLI, the bot's admin commands and the JobQueue job call it."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        ingest: IngestService | None = None,
        fetcher_factory: FetcherFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.ingest = ingest or IngestService(db, settings, clock=clock)
        self.fetcher_factory = fetcher_factory or (lambda: Fetcher(clock))
        self.rng = rng or random.Random()
        self.robots = RobotsRules(clock)
        # Sources fetch in parallel but store one at a time: two feeds carrying the same story
        # must not both insert it (the second finds it by content hash).
        self._store_lock = asyncio.Lock()

    # --- managing ---------------------------------------------------------------------------

    async def add(
        self,
        url: str,
        *,
        kind: str = "auto",
        every_minutes: float = DEFAULT_EVERY_MINUTES,
        paper: str | None = None,
        section: str | None = None,
    ) -> SourceInfo:
        """Store a new source, due at once; SourceInputError / UnsupportedSchemeError if bad."""
        url = check_url(url)
        if kind not in KINDS:
            raise SourceInputError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        every_seconds = round(every_minutes * 60)
        if not MIN_EVERY_SECONDS <= every_seconds <= MAX_EVERY_SECONDS:
            raise SourceInputError(
                f"--every must be between {MIN_EVERY_SECONDS / 60:g} and "
                f"{MAX_EVERY_SECONDS // 60} minutes"
            )
        chosen_section = None
        if section is not None:
            chosen_section = resolve_section_name(section)
            if chosen_section is None:
                raise SourceInputError(f"unknown section {section!r}")
        now = self.clock.now()

        async def work(session: WriteSession) -> SourceInfo:
            source = await SourceRepository(session).add(
                Source(
                    url=url, kind=kind, every_seconds=every_seconds, paper=paper,
                    section=chosen_section, paused=False, consecutive_failures=0,
                    next_poll_at=now, created_at=now,
                )
            )
            return self._info(source, now)

        try:
            return await self.db.write(work)  # retried if an ingest holds SQLite's write lock
        except DuplicateSourceError as exc:
            raise SourceExistsError(str(exc)) from exc

    async def sources(self) -> list[SourceInfo]:
        now = self.clock.now()
        async with self.db.session() as session:
            return [self._info(s, now) for s in await SourceRepository(session).all()]

    async def get(self, source_id: int) -> SourceInfo | None:
        async with self.db.session() as session:
            source = await SourceRepository(session).get(source_id)
            return self._info(source, self.clock.now()) if source is not None else None

    async def remove(self, source_id: int) -> bool:
        """Forget the source (its articles stay); False when there is no such source."""

        async def work(session: WriteSession) -> bool:
            return await SourceRepository(session).remove(source_id)

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def set_paused(self, source_id: int, paused: bool) -> SourceInfo | None:
        now = self.clock.now()

        async def work(session: WriteSession) -> SourceInfo | None:
            source = await SourceRepository(session).get(source_id)
            if source is None:
                return None
            source.paused = paused
            if not paused:
                source.next_poll_at = min(source.next_poll_at, now)
            return self._info(source, now)

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def failing(self) -> list[SourceInfo]:
        """Sources that have failed for a day or more (``status``, ``/sources``)."""
        return [s for s in await self.sources() if s.failing_long]

    def _info(self, source: Source, now: datetime) -> SourceInfo:
        return SourceInfo(
            id=source.id, url=source.url, kind=source.kind,
            every_minutes=source.every_seconds / 60, paper=source.paper, section=source.section,
            paused=source.paused, last_status=source.last_status, last_error=source.last_error,
            last_polled_at=source.last_polled_at,
            consecutive_failures=source.consecutive_failures,
            failing_since=source.failing_since, next_poll_at=source.next_poll_at,
            failing_long=source.failing_since is not None
            and now - source.failing_since >= FAILING_REPORT_AFTER,
        )

    # --- polling ----------------------------------------------------------------------------

    async def poll_due(self) -> list[PollResult]:
        """Poll the unpaused sources whose time has come (the JobQueue job)."""
        async with self.db.session() as session:
            due = [self._info(s, self.clock.now())
                   for s in await SourceRepository(session).due(self.clock.now())]
        return await self._poll(due)

    async def poll_all(self) -> list[PollResult]:
        """Poll every unpaused source once, now (``newsbrief sources poll``)."""
        return await self._poll([s for s in await self.sources() if not s.paused])

    async def _poll(self, sources: Sequence[SourceInfo]) -> list[PollResult]:
        if not sources:
            return []
        limit = asyncio.Semaphore(POLL_CONCURRENCY)
        async with self.fetcher_factory() as fetcher:

            async def one(source: SourceInfo) -> PollResult:
                async with limit:
                    return await self.poll_source(source, fetcher)

            return list(await asyncio.gather(*(one(s) for s in sources)))

    async def poll_source(self, source: SourceInfo, fetcher: Fetcher) -> PollResult:
        """One poll; never raises for the source's own faults (they become ``error``)."""
        result = PollResult(source.id, source.url)
        recorded = False  # the health went into the poll's one transaction
        try:
            async with self.db.session() as session:
                row = await SourceRepository(session).get(source.id)
                etag, modified = (row.etag, row.last_modified) if row else (None, None)
            fetched = await fetcher.get(
                source.url, etag=etag, last_modified=modified,
                accept=FEED_ACCEPT if source.kind == "feed" else (),
            )
            if fetched.not_modified:
                result.status = "not_modified"
            else:
                read = await self._read(source, fetched, fetcher)
                result.skipped = read.skipped
                validators = (fetched.etag, fetched.last_modified) if read.complete else (
                    None, None)
                async with self._store_lock:
                    await self._store(source, read.records, result, validators)
                recorded = True
        except (FetchError, FeedError, UndecodableError, PdfPageError,
                UnusableInputError, DatabaseBusyError) as exc:
            result.status = "error"
            result.error = str(exc)
            logger.warning("source %d (%s): %s", source.id, source.url, exc)
        except Exception as exc:  # one source's surprise must not stop the others
            # E.g. another process (``sources poll`` beside ``run``) stored the same story a moment
            # earlier: the transaction rolled back, and the next poll finds it by content hash.
            result.status = "error"
            result.error = f"storing failed ({type(exc).__name__}); retried at the next poll"
            logger.exception("source %d (%s): polling failed", source.id, source.url)
        if not recorded:
            try:
                await self._record_health(source, result)
            except Exception as exc:  # the others' results still count (and are reported)
                # The source stays due, so the next check polls it again.
                logger.warning("source %d (%s): its status was not recorded (%s: %s)",
                               source.id, source.url, type(exc).__name__, exc)
        return result

    # --- reading ----------------------------------------------------------------------------

    async def _read(self, source: SourceInfo, fetched: Fetched, fetcher: Fetcher) -> _Read:
        kind = source.kind
        if kind == "pdf" or (kind == "auto" and is_pdf(fetched.content_type, fetched.body)):
            return _Read([self._pdf_record(fetched)], [])
        if never_a_page(fetched.content_type) and fetched.content_type not in FEED_CONTENT_TYPES:
            raise UnexpectedContentError(_not_a_page(fetched, "a feed, a web page or a PDF"))
        try:
            text, _ = decode_body(fetched.body, fetched.charset)
        except UndecodableError as exc:
            raise UndecodableError(f"{fetched.url}: {exc}") from exc
        if kind == "feed" or (kind == "auto" and looks_like_feed(fetched.content_type, text)):
            return await self._feed_records(source, parse_feed(text), fetcher)
        if not looks_like_html(fetched.content_type, fetched.body):
            raise UnexpectedContentError(_not_a_page(fetched, "a feed, a web page or a PDF"))
        return await self._page_records(source, text, fetched.url, fetcher)

    async def _feed_records(
        self, source: SourceInfo, items: Sequence[FeedItem], fetcher: Fetcher
    ) -> _Read:
        async with self.db.session() as session:
            known = await SourceRepository(session).known_items(
                source.id, [item.key for item in items]
            )
        records: list[SourceRecord] = []
        trouble = _Trouble()
        fetches = 0
        deferred = False
        for item in items:
            paragraphs = fragment_paragraphs(item.content_html) if item.content_html else ()
            published = item.published
            edition: date | None = None
            if not paragraphs and item.key in known:
                continue  # summary-only and stored before: don't fetch its page again
            if not paragraphs and item.link:
                if fetches >= MAX_LINKS_PER_POLL:
                    # Over this poll's bound: its page is read at the next poll, rather than the
                    # item being stored for good with only its summary.
                    deferred = True
                    continue
                fetches += 1
                page = await self._linked_article(item.link, source, fetcher, trouble)
                if page is not None:
                    paragraphs = page.paragraphs
                    edition = page.published
            if not paragraphs and item.summary_html:
                paragraphs = fragment_paragraphs(item.summary_html)
            record = _record(item.key, item.title, paragraphs, item.link, published, edition)
            if record is not None:
                records.append(record)
        # A summary-only item whose page failed keeps its summary: nothing is left to retry.
        return _Read(records, trouble.skipped, complete=not deferred)

    async def _linked_article(
        self, url: str, source: SourceInfo, fetcher: Fetcher, trouble: _Trouble
    ) -> Any:
        """A linked page's article; None (and why, in ``trouble``) when it gives none. The site's
        robots.txt is obeyed for it (the bot found the link; the operator did not name it), and
        only the source's own host may be at a non-public address."""
        allowed = await self.robots.allowed(url, fetcher, named=source.url)
        if allowed is None:
            trouble.add(f"{url}: its site's robots.txt could not be read; tried again later",
                        retry=True)
            return None
        if not allowed:
            trouble.add(f"{url}: disallowed by its site's robots.txt", retry=False)
            return None
        try:
            page = await fetcher.get(url, accept=HTML_ACCEPT, named=source.url)
            if not looks_like_html(page.content_type, page.body):
                raise UnexpectedContentError(_not_a_page(page, "a web page"))
            text, _ = decode_body(page.body, page.charset)
        except UndecodableError as exc:
            trouble.add(f"{url}: {exc}", retry=False)
            return None
        except FetchError as exc:
            trouble.add(str(exc), retry=isinstance(exc, RETRYABLE_ERRORS))
            return None
        return extract_article(text, page.url)

    async def _page_records(
        self, source: SourceInfo, text: str, url: str, fetcher: Fetcher
    ) -> _Read:
        article = None if is_index_page(text) else extract_article(text, url)
        if article is not None:
            record = _record(url, article.title, article.paragraphs, url, None, article.published)
            return _Read([record] if record is not None else [], [])
        links = same_host_links(text, url, limit=MAX_LINKS_PER_POLL * 5)
        async with self.db.session() as session:
            known = await SourceRepository(session).known_items(source.id, links)
        records: list[SourceRecord] = []
        trouble = _Trouble()
        new_links = [link for link in links if link not in known]
        # Links robots.txt keeps the bot from do not use up the poll's bound (rules are cached).
        barred = [link for link in new_links
                  if await self.robots.allowed(link, fetcher, named=source.url) is False]
        for link in barred:
            trouble.add(f"{link}: disallowed by its site's robots.txt", retry=False)
        new_links = [link for link in new_links if link not in barred]
        for link in new_links[:MAX_LINKS_PER_POLL]:
            page = await self._linked_article(link, source, fetcher, trouble)
            if page is None:
                continue
            record = _record(link, page.title, page.paragraphs, link, None, page.published)
            if record is not None:
                records.append(record)
        # The links over the bound, and the pages that may work next time, are tried again at
        # the next poll; a link that is no page, or off limits, is not fetched again for it.
        return _Read(records, trouble.skipped,
                     complete=len(new_links) <= MAX_LINKS_PER_POLL and not trouble.retry)

    def _pdf_record(self, fetched: Fetched) -> SourceRecord:
        """A PDF page: its text laid out as the page parser expects; the parser finds its
        articles when it is stored."""
        text = pdf_page_text(fetched.body, fetched.url)
        return SourceRecord(
            key=fetched.url, title="", paragraphs=(), url=fetched.url,
            edition=date_from_url(fetched.url), page_text=text,
        )

    # --- storing ----------------------------------------------------------------------------

    async def _store(
        self, source: SourceInfo, records: Sequence[SourceRecord], result: PollResult,
        validators: tuple[str | None, str | None],
    ) -> None:
        records = _first_per_key([(r.key, r) for r in records])
        options = IngestOptions(paper=source.paper, section=source.section)
        name = f"source-{source.id} {source.url}"
        page = records[0] if records and records[0].page_text is not None else None
        if not records:
            prepared, keyed = None, []
        elif page is not None:
            # A page's articles are known by page and headline: an edited body updates them.
            prepared = self._prepare_page(page, options, name)
            keyed = [(f"{page.key}#{d.title}", d) for d in prepared.drafts]
        else:
            prepared = self._prepare_records(records, options, name)
            keyed = [(r.key, d) for r, d in zip(records, prepared.drafts, strict=True)]
        keyed = _first_per_key([(k, (k, d)) for k, d in keyed])
        # Tokenised before the transaction: jieba must not run while SQLite's write lock is held.
        rows = await asyncio.to_thread(self.ingest.index_rows, [d for _, d in keyed])
        now = self.clock.now()
        # One transaction for the whole poll: the new articles, their index rows and alerts, the
        # item keys that say they came from this source, the edits, the validators and the
        # source's health. A failure leaves none of it, and the next poll starts from the same
        # state; a lock held by another writer is waited out by running the whole transaction
        # again, so its counts start afresh.

        async def work(session: WriteSession) -> PollResult:
            done = PollResult(source.id, source.url)
            repository = SourceRepository(session)
            known = await repository.known_items(source.id, [k for k, _ in keyed])
            fresh = [(k, d) for k, d in keyed if k not in known]
            edited = [(k, d) for k, d in keyed
                      if k in known and known[k].content_hash != d.content_hash]
            done.articles_duplicate += len(keyed) - len(fresh) - len(edited)
            if fresh:
                assert prepared is not None
                report = await self.ingest.store_in(
                    session, replace(prepared, drafts=tuple(d for _, d in fresh)), rows
                )
                for (key, draft), article in zip(fresh, report.articles, strict=True):
                    await repository.record_item(source.id, key, article.id, draft.content_hash,
                                                 now)
                done.add_counts(report)
            for key, draft in edited:
                await self._apply_edit(session, repository, source.id, known[key], draft, done)
            row = await repository.get(source.id)
            if row is not None:  # None: removed while it was being polled
                self._apply_health(row, done, validators, now)
            return done

        result.add_counts(await self.db.write(work))

    def _prepare_records(
        self, records: Sequence[SourceRecord], options: IngestOptions, name: str
    ) -> PreparedFile:
        tz = self.settings.timezone
        today = self.clock.now().astimezone(tz).date()
        lines = []
        for record in records:
            edition = (record.edition
                       or (record.published.astimezone(tz).date() if record.published else None)
                       or (date_from_url(record.url) if record.url else None) or today)
            lines.append(json.dumps({
                "title": record.title, "body": "\n".join(record.paragraphs),
                "date": edition.isoformat(), "url": record.url,
            }, ensure_ascii=False))
        text = "\n".join(lines)
        source = SourceText(name=name, text=text, encoding="utf-8",
                            sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text))
        return self.ingest.prepare_jsonl(source, options)

    def _prepare_page(
        self, record: SourceRecord, options: IngestOptions, name: str
    ) -> PreparedFile:
        text = record.page_text or ""
        edition = record.edition or self.clock.now().astimezone(self.settings.timezone).date()
        source = SourceText(name=name, text=text, encoding="utf-8",
                            sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text))
        prepared = self.ingest.prepare_page(source, replace(options, edition=edition))
        drafts = tuple(replace(d, url=record.url) for d in prepared.drafts)
        return replace(prepared, drafts=drafts)

    async def _apply_edit(
        self, session: Transaction, repository: SourceRepository, source_id: int,
        known: KnownItem, draft: NewArticle, result: PollResult,
    ) -> None:
        """The item changed in its source: update its article (or point at an identical one)."""
        now = self.clock.now()
        articles = ArticleRepository(session)
        same = await articles.find_by_hash(draft.content_hash)
        if same is not None:
            await repository.record_item(source_id, known.key, same.id, draft.content_hash, now)
            result.articles_duplicate += 1
            return
        article = await articles.get(known.article_id)
        if article is None:
            return
        index = SearchIndex(session)
        await index.remove(index_entries([article]))
        await replace_article_content(session, article, draft)
        await index_articles(session, [article])
        alerts = await detect_and_record(
            session, [article], home_paper=self.settings.paper,
            home_region=self.settings.home_region, now=now, tz=self.settings.timezone,
            stale_after=self.settings.alert_stale_after,
        )
        await repository.record_item(source_id, known.key, article.id, draft.content_hash, now)
        result.articles_updated += 1
        result.alerts_new += len(alerts)

    async def _record_health(self, source: SourceInfo, result: PollResult) -> None:
        """The health of a poll that stored nothing (an error or a 304), on its own."""
        now = self.clock.now()

        async def work(session: WriteSession) -> None:
            row = await SourceRepository(session).get(source.id)
            if row is not None:  # None: removed while it was being polled
                self._apply_health(row, result, None, now)

        await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    def _apply_health(
        self, row: Source, result: PollResult,
        validators: tuple[str | None, str | None] | None, now: datetime,
    ) -> None:
        """Status, failures and the next poll time; after an error, exponential backoff."""
        row.last_polled_at = now
        row.last_status = result.status
        if result.status == "error":
            row.last_error = result.error
            row.consecutive_failures += 1
            row.failing_since = row.failing_since or now
            row.next_poll_at = now + self.backoff(row.every_seconds, row.consecutive_failures)
            return
        row.last_error = None
        row.consecutive_failures = 0
        row.failing_since = None
        row.next_poll_at = now + timedelta(seconds=row.every_seconds)
        if validators is not None:
            row.etag, row.last_modified = validators

    def backoff(self, every_seconds: int, failures: int) -> timedelta:
        """Exponential in the failures since the last success, capped, with ±25 % jitter."""
        base = timedelta(seconds=every_seconds) * (2 ** min(failures - 1, 20))
        return min(base, MAX_BACKOFF) * (0.75 + 0.5 * self.rng.random())


def _record(
    key: str, title: str, paragraphs: Sequence[str], url: str | None,
    published: datetime | None, edition: date | None,
) -> SourceRecord | None:
    paragraphs = tuple(p for p in paragraphs if p.strip())
    title = " ".join(title.split())
    if not title and paragraphs:
        opening = paragraphs[0]
        title = opening if len(opening) <= STAND_IN_TITLE_CHARS else (
            opening[:STAND_IN_TITLE_CHARS] + "…")
    if not title:
        return None
    return SourceRecord(key=key, title=title[:MAX_TITLE_CHARS], paragraphs=paragraphs, url=url,
                        published=published, edition=edition)


def _not_a_page(fetched: Fetched, expected: str) -> str:
    return f"{fetched.url}: not {expected} ({fetched.content_type or 'no content type'})"


def _first_per_key(pairs: Sequence[tuple[str, _T]]) -> list[_T]:
    """A source may list an item twice; the first one counts."""
    seen: set[str] = set()
    kept: list[_T] = []
    for key, value in pairs:
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
