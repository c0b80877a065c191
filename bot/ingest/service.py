"""The ingest service: files → parsed, classified articles → store and search index.

Work happens in two passes so that bad input changes nothing and memory does not grow with the
file: every file is read, decoded and parsed first, one line at a time, keeping nothing but a
count (pure, no database); only when all of them are usable is each read again and stored in
batches of at most ``STORE_BATCH_ARTICLES`` articles, each batch one short transaction with its
search-index rows and alerts, so a running bot never waits long for SQLite's write lock.
Articles are identified by a content hash, so loading the same page twice stores it once — and a
store interrupted half-way (a crash, a full disk) is completed by running the same ingest again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from bot.alerts.state import StoredAlert, detect_and_record
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.ingest.jsonl_stream import StreamedSource, check_text_stream, text_lines
from bot.ingest.page_parser import PageParseError, ParsedArticle, parse_page
from bot.ingest.pdf_pages import is_pdf_name, pdf_source_text, read_pdf_source
from bot.ingest.source_files import (
    MAX_PAGE_BYTES,
    SourceText,
    UnusableInputError,
    edition_date_from_name,
    page_number_from_name,
    parse_date,
    read_source_text,
    source_text_from_bytes,
)
from bot.search.tokens import text_index_entry
from bot.text.section_choice import (
    PageMapError,
    SectionChoice,
    choose_section,
    page_ear_section,
    parse_page_map,
)
from bot.text.sections import resolve_section_name
from storage.articles import ArticleRepository, NewArticle, SourceFileRepository
from storage.database import Database, Transaction, WriteSession
from storage.models import SourceFile
from storage.search_index import IndexEntry, SearchIndex

InputFormat = Literal["auto", "page", "jsonl"]
# (stage, done, total): stage "checking" counts articles read so far (total 0: not known yet),
# "storing" counts articles stored out of the total the check found.
ProgressCallback = Callable[[str, int, int], None]

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
PAGE_SUFFIXES = (".txt", ".pdf")
MAX_TITLE_CHARS = 500
STAND_IN_TITLE_CHARS = 24
# One transaction stores at most this many articles (or this much text): ~0.3 s of SQLite's write
# lock on a small server, so a bot sharing the file waits well under a second for it.
STORE_BATCH_ARTICLES = 200
STORE_BATCH_CHARS = 1_000_000
CHECK_PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class IngestOptions:
    """What the operator said on the command line (or the inbox / upload decided)."""

    edition: date | None = None
    paper: str | None = None
    page: int | None = None
    # A section stated for every article (`--section`, a source's setting): the source's word,
    # recorded as section_source "source" (bot.text.section_choice).
    section: str | None = None
    format: InputFormat = "auto"


@dataclass(frozen=True)
class PreparedFile:
    """A file that was read and parsed and is ready to store (pages, uploads, polled sources:
    small enough to hold; a file on disk is streamed instead, see :class:`CheckedFile`)."""

    source: SourceText
    format: Literal["page", "jsonl"]
    paper: str | None
    edition: date | None
    page: int | None
    drafts: tuple[NewArticle, ...]


@dataclass(frozen=True)
class FileHeader:
    """What the ``source_files`` record says about a stored file."""

    name: str
    sha256: str
    format: Literal["page", "jsonl"]
    encoding: str
    paper: str | None
    edition: date | None
    page: int | None


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checking read: how many articles it holds, and (for an article
    list) how to read it again; nothing of its text is kept."""

    path: Path
    format: Literal["page", "jsonl"]
    articles: int
    sha256: str
    stream: StreamedSource | None = None


@dataclass(frozen=True)
class _JsonlRecord:
    """One article-list line, checked (cheap: no classification, no hashing)."""

    title: str
    body: str
    edition: date
    stated_section: str | None  # the line's `section` or the ingest's `--section`
    category: str | None  # a feed's own category for the item
    paper: str
    page: int | None
    url: str | None


@dataclass(frozen=True, slots=True)
class IngestedArticle:
    """One line of the report (kept for every article: small, no text beyond the title)."""

    id: int
    title: str
    section: str
    duplicate: bool
    section_source: str = "model"
    section_confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "section_source": self.section_source,
            "section_confidence": self.section_confidence,
            "duplicate": self.duplicate,
        }


@dataclass
class IngestReport:
    files: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    alerts_new: int = 0
    articles: list[IngestedArticle] = field(default_factory=list)
    new_alerts: list[StoredAlert] = field(default_factory=list, repr=False)
    # Known events these articles report again (a later report, not news).
    reported_alerts: list[StoredAlert] = field(default_factory=list, repr=False)

    def add(self, batch: IngestReport) -> None:
        """Count a committed batch's articles and alerts (its ``files`` is not counted)."""
        self.articles_new += batch.articles_new
        self.articles_duplicate += batch.articles_duplicate
        self.alerts_new += batch.alerts_new
        self.articles.extend(batch.articles)
        self.new_alerts.extend(batch.new_alerts)
        self.reported_alerts.extend(batch.reported_alerts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate,
            "alerts_new": self.alerts_new,
            "articles": [article.to_dict() for article in self.articles],
        }


def content_hash(
    paper: str, edition: date, kind: str, title: str, paragraphs: Sequence[str]
) -> str:
    """Identity of an article: the same text in the same paper and edition is the same article."""
    payload = json.dumps(
        [paper, edition.isoformat(), kind, title, list(paragraphs)], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the ``*.txt`` / ``*.jsonl`` files of folders, recursively."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.name.endswith(PAGE_SUFFIXES + JSONL_SUFFIXES)
                and not _is_hidden(p.relative_to(path))
            )
            if not found:
                raise UnusableInputError(
                    str(path), "the folder holds no .txt, .pdf or .jsonl files"
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UnusableInputError(str(path), "no such file or folder")
    return files


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def detect_format(path: Path, requested: InputFormat) -> Literal["page", "jsonl"]:
    if requested != "auto":
        return requested
    return "jsonl" if path.name.endswith(JSONL_SUFFIXES) else "page"


class IngestService:
    """Loads pages and article lists; the CLI, the inbox job and admin uploads all call this."""

    def __init__(self, db: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()  # stamps ingested_at and the alert state's "now"
        self.batch_articles = STORE_BATCH_ARTICLES
        self.batch_chars = STORE_BATCH_CHARS
        # Called with each batch just before it is stored (tests count what is held at once).
        self.on_batch: Callable[[Sequence[NewArticle]], None] | None = None

    @cached_property
    def page_map(self) -> dict[int, str]:
        """NEWSBRIEF_SECTION_PAGES read once; a bad setting refuses the ingest, naming it."""
        try:
            return parse_page_map(self.settings.section_pages)
        except PageMapError as exc:
            raise UnusableInputError("NEWSBRIEF_SECTION_PAGES", str(exc)) from exc

    async def ingest(
        self,
        paths: Sequence[Path],
        options: IngestOptions = IngestOptions(),
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Check every file (UnusableInputError before anything is stored), then store them.

        Both passes read the files a line at a time, off the event loop."""
        checked = await asyncio.to_thread(self.check, paths, options, progress)
        total = sum(item.articles for item in checked)
        report = IngestReport()
        for item in checked:
            header, drafts = self._reopen(item, options)
            await self._store_drafts(header, drafts, report, progress, total)
            report.files += 1
        return report

    def check(
        self,
        paths: Sequence[Path],
        options: IngestOptions = IngestOptions(),
        progress: ProgressCallback | None = None,
    ) -> list[CheckedFile]:
        """The checking read: every file decoded and every article parsed, nothing kept but
        counts; raises UnusableInputError naming the file (and line) at the first problem."""
        if options.section is not None and resolve_section_name(options.section) is None:
            raise UnusableInputError("--section", f"unknown section {options.section!r}")
        checked: list[CheckedFile] = []
        seen = 0
        for path in expand_paths(paths):
            fmt = detect_format(path, options.format)
            if fmt == "page":
                prepared = self.prepare_file(path, options)
                item = CheckedFile(path, "page", len(prepared.drafts), prepared.source.sha256)
            else:
                stream = check_text_stream(path, self.settings.max_input_bytes)
                count = 0
                for count, _record in enumerate(self._jsonl_records(stream, options), start=1):
                    if progress is not None and count % CHECK_PROGRESS_EVERY == 0:
                        progress("checking", seen + count, 0)
                if count == 0:
                    raise UnusableInputError(str(path), "no articles in the file")
                item = CheckedFile(path, "jsonl", count, stream.sha256, stream)
            checked.append(item)
            seen += item.articles
            if progress is not None:
                progress("checking", seen, 0)
        return checked

    def _reopen(
        self, item: CheckedFile, options: IngestOptions
    ) -> tuple[FileHeader, Iterator[NewArticle]]:
        """The storing read of a checked file: its record and its articles, one at a time."""
        if item.stream is None:
            prepared = self.prepare_file(item.path, options)
            if prepared.source.sha256 != item.sha256:
                raise UnusableInputError(
                    str(item.path), "the file changed after it was checked; ingest it again"
                )
            return _header(prepared), iter(prepared.drafts)
        stream = item.stream
        header = FileHeader(
            stream.name, stream.sha256, "jsonl", stream.encoding, options.paper,
            options.edition or edition_date_from_name(stream.name), options.page,
        )
        drafts = (self._jsonl_draft(record, stream.name)
                  for record in self._jsonl_records(stream, options))
        return header, drafts

    def _jsonl_records(
        self, stream: StreamedSource, options: IngestOptions
    ) -> Iterator[_JsonlRecord]:
        default_edition = options.edition or edition_date_from_name(stream.name)
        for number, line in text_lines(stream):
            if not line.strip():
                continue
            try:
                yield self._jsonl_record(line, default_edition, options)
            except ValueError as exc:
                raise UnusableInputError(str(stream.path), f"line {number}: {exc}") from exc

    def prepare(
        self,
        paths: Sequence[Path],
        options: IngestOptions = IngestOptions(),
        progress: ProgressCallback | None = None,
    ) -> list[PreparedFile]:
        """Read and parse every file whole (small inputs); raise UnusableInputError first."""
        if options.section is not None and resolve_section_name(options.section) is None:
            raise UnusableInputError("--section", f"unknown section {options.section!r}")
        prepared = []
        seen = 0
        for path in expand_paths(paths):
            prepared.append(self.prepare_file(path, options))
            seen += len(prepared[-1].drafts)
            if progress is not None:
                progress("checking", seen, 0)
        return prepared

    def prepare_file(self, path: Path, options: IngestOptions) -> PreparedFile:
        fmt = detect_format(path, options.format)
        if fmt == "page":
            source = (read_pdf_source(path) if is_pdf_name(path.name)
                      else read_source_text(path, max_bytes=MAX_PAGE_BYTES))
            return self.prepare_page(source, options)
        return self.prepare_jsonl(
            read_source_text(path, max_bytes=self.settings.max_input_bytes), options
        )

    async def ingest_upload(
        self, name: str, data: bytes, options: IngestOptions = IngestOptions()
    ) -> IngestReport:
        """A file sent to the bot by an admin: same checks and storage as a file on disk."""
        return await self.store([self.prepare_bytes(name, data, options)])

    def prepare_bytes(
        self, name: str, data: bytes, options: IngestOptions = IngestOptions()
    ) -> PreparedFile:
        """Decode and parse a file's bytes (no database): the bot runs this in a thread."""
        if detect_format(Path(name), options.format) == "page":
            return self.prepare_page(
                pdf_source_text(name, data) if is_pdf_name(name)
                else source_text_from_bytes(name, data, max_bytes=MAX_PAGE_BYTES), options
            )
        return self.prepare_jsonl(
            source_text_from_bytes(name, data, max_bytes=self.settings.max_input_bytes), options
        )

    def prepare_page(self, source: SourceText, options: IngestOptions) -> PreparedFile:
        edition = options.edition or edition_date_from_name(source.name)
        if edition is None:
            raise UnusableInputError(
                source.name,
                "no edition date: give --date YYYY-MM-DD or put the date in the file name "
                "(e.g. xsrb-2023-07-31-01.txt)",
            )
        paper = options.paper or self.settings.paper
        page = options.page if options.page is not None else page_number_from_name(source.name)
        try:
            parsed = parse_page(source.text, edition, paper=paper, page=page)
        except PageParseError as exc:
            raise UnusableInputError(source.name, str(exc)) from exc
        ear = page_ear_section(source.text)
        drafts = tuple(
            self._draft(article, paper, edition, page, options.section, source.name, ear)
            for article in parsed.articles
        )
        return PreparedFile(source, "page", paper, edition, page, drafts)

    def _draft(
        self,
        article: ParsedArticle,
        paper: str,
        edition: date,
        page: int | None,
        stated_section: str | None,
        source: str,
        ear: str | None = None,
    ) -> NewArticle:
        paragraphs = tuple(article.paragraphs)
        title = article.title or _stand_in_title(paragraphs)
        choice = choose_section(
            title, paragraphs, stated_section=stated_section, page_ear=ear, page=page,
            page_map=self.page_map,
        )
        return NewArticle(
            paper=paper,
            edition_date=edition,
            page=page,
            title=title,
            content_hash=content_hash(paper, edition, article.kind, title, paragraphs),
            **_section_fields(choice),
            kind=article.kind,
            kicker=article.kicker,
            subtitle=article.subtitle,
            byline=article.byline,
            reporters=tuple(article.reporters),
            paragraphs=paragraphs,
            subheads=tuple(article.subheads),
            source=source,
        )

    def prepare_jsonl(self, source: SourceText, options: IngestOptions) -> PreparedFile:
        """One article per line; one broken line refuses the whole file, naming the line."""
        default_edition = options.edition or edition_date_from_name(source.name)
        drafts: list[NewArticle] = []
        for number, line in enumerate(source.text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = self._jsonl_record(line, default_edition, options)
            except ValueError as exc:
                raise UnusableInputError(source.name, f"line {number}: {exc}") from exc
            drafts.append(self._jsonl_draft(record, source.name))
        if not drafts:
            raise UnusableInputError(source.name, "no articles in the file")
        return PreparedFile(
            source, "jsonl", options.paper, default_edition, options.page, tuple(drafts)
        )

    def _jsonl_record(
        self, line: str, default_edition: date | None, options: IngestOptions
    ) -> _JsonlRecord:
        """Check one line; ValueError saying what is wrong with it."""
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise ValueError("each line must be a JSON object")
        title = _text_field(record, "title", required=True)
        assert title is not None
        if len(title) > MAX_TITLE_CHARS:
            raise ValueError(f"title longer than {MAX_TITLE_CHARS} characters")
        body = _text_field(record, "body") or _text_field(record, "text") or ""
        raw_date = record.get("date")
        if raw_date is not None:
            edition = parse_date(str(raw_date))
        elif default_edition is not None:
            edition = default_edition
        else:
            raise ValueError("no \"date\" on the line, no --date and no date in the file name")
        stated_section = options.section or _text_field(record, "section")
        if stated_section is not None and resolve_section_name(stated_section) is None:
            raise ValueError(f"unknown section {stated_section!r}")
        return _JsonlRecord(
            title=title,
            body=body,
            edition=edition,
            stated_section=stated_section,
            category=_text_field(record, "category"),
            paper=options.paper or _text_field(record, "paper") or self.settings.paper,
            page=options.page if options.page is not None else _int_field(record, "page"),
            url=_text_field(record, "url"),
        )

    def _jsonl_draft(self, record: _JsonlRecord, source: str) -> NewArticle:
        paragraphs = tuple(p.strip() for p in record.body.splitlines() if p.strip())
        return NewArticle(
            paper=record.paper,
            edition_date=record.edition,
            page=record.page,
            title=record.title,
            content_hash=content_hash(
                record.paper, record.edition, "article", record.title, paragraphs
            ),
            **_section_fields(choose_section(
                record.title, paragraphs, stated_section=record.stated_section,
                category=record.category, page=record.page, page_map=self.page_map,
            )),
            paragraphs=paragraphs,
            source=source,
            url=record.url,
        )

    async def store(
        self, prepared: Sequence[PreparedFile], progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Store prepared files, each in batches (articles, index rows, alerts, file record)."""
        report = IngestReport()
        total = sum(len(item.drafts) for item in prepared)
        for item in prepared:
            await self._store_drafts(_header(item), iter(item.drafts), report, progress, total)
            report.files += 1
        return report

    def index_rows(self, drafts: Sequence[NewArticle]) -> dict[str, IndexEntry]:
        """Search-index rows by content hash, tokenised outside any transaction (run it in a
        thread: jieba is most of an article's cost)."""
        return {d.content_hash: text_index_entry(d, 0) for d in drafts}

    async def store_in(
        self, session: Transaction, item: PreparedFile, rows: dict[str, IndexEntry]
    ) -> IngestReport:
        """Store one small prepared file inside the caller's transaction, so what the caller
        records about it (a source poll's item keys) commits or rolls back with the articles.
        ``rows`` come from :meth:`index_rows`."""
        report = IngestReport()
        await self._store_batch_in(session, _header(item), item.drafts, rows, None,
                                   self.clock.now(), report)
        report.files = 1
        return report

    async def _store_drafts(
        self,
        header: FileHeader,
        drafts: Iterator[NewArticle],
        report: IngestReport,
        progress: ProgressCallback | None,
        total: int,
    ) -> None:
        """One file's articles in transactions of at most one batch each; the file's record is
        written with the first and its counts grow with each, so a store cut short is visible
        as a record with fewer articles than the file, and rerunning the ingest completes it."""
        now = self.clock.now()
        record_id: int | None = None
        while True:
            batch, entries = await asyncio.to_thread(self._next_batch, drafts)
            if not batch and record_id is not None:
                return
            if self.on_batch is not None:
                self.on_batch(batch)
            record_id = await self._store_batch(header, batch, entries, record_id, now, report)
            del batch, entries
            if progress is not None:
                progress("storing", len(report.articles), total)

    def _next_batch(
        self, drafts: Iterator[NewArticle]
    ) -> tuple[list[NewArticle], dict[str, IndexEntry]]:
        """Up to ``batch_articles`` articles or ``batch_chars`` of text, whichever comes first,
        with their search-index rows by content hash (tokenised here, outside any transaction:
        jieba is most of an article's cost and would otherwise hold the write lock)."""
        batch: list[NewArticle] = []
        entries: dict[str, IndexEntry] = {}
        chars = 0
        for draft in drafts:
            batch.append(draft)
            if draft.content_hash not in entries:
                entries[draft.content_hash] = text_index_entry(draft, 0)
            chars += len(draft.title) + sum(len(p) for p in draft.paragraphs)
            if len(batch) >= self.batch_articles or chars >= self.batch_chars:
                break
        return batch, entries

    async def _store_batch(
        self,
        header: FileHeader,
        drafts: Sequence[NewArticle],
        entries: dict[str, IndexEntry],
        record_id: int | None,
        now: datetime,
        report: IngestReport,
    ) -> int:
        """One transaction: the batch's new articles, their index rows and alerts, and the file
        record's counts. Returns the file record's id. Retried whole while another writer (the
        bot) holds SQLite's lock; the batch is added to ``report`` only once it has committed."""

        async def work(session: WriteSession) -> tuple[int, IngestReport]:
            batch = IngestReport()
            stored = await self._store_batch_in(session, header, drafts, entries, record_id, now,
                                                batch)
            return stored, batch

        stored_id, batch = await self.db.write(work)
        report.add(batch)
        return stored_id

    async def _store_batch_in(
        self,
        session: Transaction,
        header: FileHeader,
        drafts: Sequence[NewArticle],
        entries: dict[str, IndexEntry],
        record_id: int | None,
        now: datetime,
        report: IngestReport,
    ) -> int:
        """:meth:`_store_batch`'s writes in a transaction the caller holds (a source poll's)."""
        articles = ArticleRepository(session)
        existing = await articles.find_by_hashes([d.content_hash for d in drafts])
        files = SourceFileRepository(session)
        if record_id is None:
            record_id = (await files.add(SourceFile(
                name=header.name, sha256=header.sha256, format=header.format,
                encoding=header.encoding, paper=header.paper, edition_date=header.edition,
                page=header.page, articles_new=0, articles_duplicate=0, ingested_at=now,
            ))).id
        fresh: dict[str, NewArticle] = {}
        for draft in drafts:
            if draft.content_hash not in existing:
                fresh.setdefault(draft.content_hash, draft)
        new_articles = await articles.add_many(
            list(fresh.values()), ingested_at=now, source_file_id=record_id
        )
        stored = {**existing, **{a.content_hash: a for a in new_articles}}
        reported: set[str] = set()
        for draft in drafts:
            article = stored[draft.content_hash]
            duplicate = draft.content_hash in existing or draft.content_hash in reported
            reported.add(draft.content_hash)
            report.articles.append(
                IngestedArticle(
                    article.id, article.title, article.section, duplicate,
                    article.section_source, article.section_confidence,
                )
            )
        await SearchIndex(session).add([
            replace(entries[a.content_hash], article_id=a.id) for a in new_articles
        ])
        alerts = await detect_and_record(
            session, new_articles, home_paper=self.settings.paper,
            home_region=self.settings.home_region, now=now,
            tz=self.settings.timezone, stale_after=self.settings.alert_stale_after,
        )
        await files.add_counts(
            record_id, new=len(new_articles), duplicate=len(drafts) - len(new_articles)
        )
        report.articles_new += len(new_articles)
        report.articles_duplicate += len(drafts) - len(new_articles)
        fresh_alerts = [alert for alert in alerts if alert.new]
        report.alerts_new += len(fresh_alerts)
        report.new_alerts.extend(fresh_alerts)
        report.reported_alerts.extend(alert for alert in alerts if not alert.new)
        return record_id


def _header(item: PreparedFile) -> FileHeader:
    return FileHeader(
        item.source.name, item.source.sha256, item.format, item.source.encoding,
        item.paper, item.edition, item.page,
    )


def _stand_in_title(paragraphs: Sequence[str]) -> str:
    """Untitled text at the top of a page (a continuation) is listed by its opening words."""
    opening = paragraphs[0] if paragraphs else ""
    return opening if len(opening) <= STAND_IN_TITLE_CHARS else (
        opening[:STAND_IN_TITLE_CHARS] + "…"
    )


def _section_fields(choice: SectionChoice) -> dict[str, Any]:
    return {
        "section": choice.section,
        "section_source": choice.source,
        "section_confidence": choice.confidence,
    }


def _text_field(record: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"missing \"{name}\"")
        return None
    if not isinstance(value, str):
        raise ValueError(f"\"{name}\" must be a string")
    return value.strip()


def _int_field(record: dict[str, Any], name: str) -> int | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"\"{name}\" must be a whole number") from exc
