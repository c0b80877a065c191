"""The ingest service: files → parsed, classified articles → store and search index.

Work happens in two phases so that bad input changes nothing: every file is read, decoded and
parsed first (pure, no database); only when all of them are usable is each stored in its own
transaction, together with its search-index rows. Articles are identified by a content hash, so
loading the same page twice stores it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from bot.alerts.state import StoredAlert, detect_and_record
from bot.config import Settings
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
from bot.search.service import index_articles
from bot.text.sections import classify_section, resolve_section_name
from storage.articles import ArticleRepository, NewArticle, SourceFileRepository
from storage.database import Database
from storage.models import Article, SourceFile

InputFormat = Literal["auto", "page", "jsonl"]
Clock = Callable[[], datetime]
ProgressCallback = Callable[[int, int], None]

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
PAGE_SUFFIXES = (".txt", ".pdf")
MAX_TITLE_CHARS = 500
STAND_IN_TITLE_CHARS = 24


@dataclass(frozen=True)
class IngestOptions:
    """What the operator said on the command line (or the inbox / upload decided)."""

    edition: date | None = None
    paper: str | None = None
    page: int | None = None
    section: str | None = None
    format: InputFormat = "auto"


@dataclass(frozen=True)
class PreparedFile:
    """A file that was read and parsed and is ready to store."""

    source: SourceText
    format: Literal["page", "jsonl"]
    paper: str | None
    edition: date | None
    page: int | None
    drafts: tuple[NewArticle, ...]


@dataclass(frozen=True)
class IngestedArticle:
    id: int
    title: str
    section: str
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "duplicate": self.duplicate,
        }


@dataclass
class IngestReport:
    files: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    alerts_new: int = 0
    articles: list[IngestedArticle] = field(default_factory=list)
    new_articles: list[Article] = field(default_factory=list, repr=False)
    new_alerts: list[StoredAlert] = field(default_factory=list, repr=False)
    # Known events these articles report again (a later report, not news).
    reported_alerts: list[StoredAlert] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate,
            "alerts_new": self.alerts_new,
            "articles": [article.to_dict() for article in self.articles],
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


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

    def __init__(self, db: Database, settings: Settings, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    async def ingest(
        self,
        paths: Sequence[Path],
        options: IngestOptions = IngestOptions(),
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        prepared = self.prepare(paths, options, progress)
        return await self.store(prepared, progress)

    def prepare(
        self,
        paths: Sequence[Path],
        options: IngestOptions = IngestOptions(),
        progress: ProgressCallback | None = None,
    ) -> list[PreparedFile]:
        """Read and parse every file; raise UnusableInputError before anything is stored."""
        if options.section is not None and resolve_section_name(options.section) is None:
            raise UnusableInputError("--section", f"unknown section {options.section!r}")
        files = expand_paths(paths)
        prepared = []
        for done, path in enumerate(files, start=1):
            prepared.append(self.prepare_file(path, options))
            if progress is not None:
                progress(done, len(files) * 2)
        return prepared

    def prepare_file(self, path: Path, options: IngestOptions) -> PreparedFile:
        fmt = detect_format(path, options.format)
        if fmt == "page":
            source = (read_pdf_source(path) if is_pdf_name(path.name)
                      else read_source_text(path, max_bytes=MAX_PAGE_BYTES))
            return self.prepare_page(source, options)
        return self.prepare_jsonl(read_source_text(path), options)

    async def ingest_upload(
        self, name: str, data: bytes, options: IngestOptions = IngestOptions()
    ) -> IngestReport:
        """A file sent to the bot by an admin: same checks and storage as a file on disk."""
        fmt = detect_format(Path(name), options.format)
        if fmt == "page":
            prepared = self.prepare_page(
                pdf_source_text(name, data) if is_pdf_name(name)
                else source_text_from_bytes(name, data, max_bytes=MAX_PAGE_BYTES), options
            )
        else:
            prepared = self.prepare_jsonl(source_text_from_bytes(name, data), options)
        return await self.store([prepared])

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
        drafts = tuple(
            self._draft(article, paper, edition, page, options.section, source.name)
            for article in parsed.articles
        )
        return PreparedFile(source, "page", paper, edition, page, drafts)

    def _draft(
        self,
        article: ParsedArticle,
        paper: str,
        edition: date,
        page: int | None,
        section: str | None,
        source: str,
    ) -> NewArticle:
        paragraphs = tuple(article.paragraphs)
        title = article.title or _stand_in_title(paragraphs)
        return NewArticle(
            paper=paper,
            edition_date=edition,
            page=page,
            title=title,
            content_hash=content_hash(paper, edition, article.kind, title, paragraphs),
            section=_chosen_section(section) or classify_section(title, paragraphs),
            section_source="operator" if section else "auto",
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
                drafts.append(self._jsonl_draft(line, default_edition, options, source.name))
            except ValueError as exc:
                raise UnusableInputError(source.name, f"line {number}: {exc}") from exc
        if not drafts:
            raise UnusableInputError(source.name, "no articles in the file")
        return PreparedFile(
            source, "jsonl", options.paper, default_edition, options.page, tuple(drafts)
        )

    def _jsonl_draft(
        self, line: str, default_edition: date | None, options: IngestOptions, source: str
    ) -> NewArticle:
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
        section = options.section or _text_field(record, "section")
        if section is not None and resolve_section_name(section) is None:
            raise ValueError(f"unknown section {section!r}")
        paper = options.paper or _text_field(record, "paper") or self.settings.paper
        page = options.page if options.page is not None else _int_field(record, "page")
        paragraphs = tuple(p.strip() for p in body.splitlines() if p.strip())
        draft = NewArticle(
            paper=paper,
            edition_date=edition,
            page=page,
            title=title,
            content_hash=content_hash(paper, edition, "article", title, paragraphs),
            section=_chosen_section(section) or classify_section(title, paragraphs),
            section_source="operator" if section else "auto",
            paragraphs=paragraphs,
            source=source,
            url=_text_field(record, "url"),
        )
        return draft

    async def store(
        self, prepared: Sequence[PreparedFile], progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Store each prepared file in its own transaction (articles, index rows, file record)."""
        report = IngestReport()
        total = len(prepared) * 2
        for done, item in enumerate(prepared, start=len(prepared) + 1):
            await self._store_file(item, report)
            report.files += 1
            if progress is not None:
                progress(done, total)
        return report

    async def _store_file(self, item: PreparedFile, report: IngestReport) -> None:
        now = self.clock()
        async with self.db.session() as session:
            record = await SourceFileRepository(session).add(
                SourceFile(
                    name=item.source.name,
                    sha256=item.source.sha256,
                    format=item.format,
                    encoding=item.source.encoding,
                    paper=item.paper,
                    edition_date=item.edition,
                    page=item.page,
                    articles_new=0,
                    articles_duplicate=0,
                    ingested_at=now,
                )
            )
            articles = ArticleRepository(session)
            existing = await articles.find_by_hashes([d.content_hash for d in item.drafts])
            fresh: dict[str, NewArticle] = {}
            for draft in item.drafts:
                if draft.content_hash not in existing:
                    fresh.setdefault(draft.content_hash, draft)
            new_articles = await articles.add_many(
                list(fresh.values()), ingested_at=now, source_file_id=record.id
            )
            stored = {**existing, **{a.content_hash: a for a in new_articles}}
            reported: set[str] = set()
            for draft in item.drafts:
                article = stored[draft.content_hash]
                duplicate = draft.content_hash in existing or draft.content_hash in reported
                reported.add(draft.content_hash)
                report.articles.append(
                    IngestedArticle(article.id, article.title, article.section, duplicate)
                )
            await index_articles(session, new_articles)
            alerts = await detect_and_record(
                session, new_articles, home_paper=self.settings.paper,
                home_region=self.settings.home_region, now=now,
                tz=self.settings.timezone, stale_after=self.settings.alert_stale_after,
            )
            record.articles_new = len(new_articles)
            record.articles_duplicate = len(item.drafts) - len(new_articles)
        report.articles_new += len(new_articles)
        report.articles_duplicate += len(item.drafts) - len(new_articles)
        report.new_articles.extend(new_articles)
        fresh = [alert for alert in alerts if alert.new]
        report.alerts_new += len(fresh)
        report.new_alerts.extend(fresh)
        report.reported_alerts.extend(alert for alert in alerts if not alert.new)


def _stand_in_title(paragraphs: Sequence[str]) -> str:
    """Untitled text at the top of a page (a continuation) is listed by its opening words."""
    opening = paragraphs[0] if paragraphs else ""
    return opening if len(opening) <= STAND_IN_TITLE_CHARS else (
        opening[:STAND_IN_TITLE_CHARS] + "…"
    )


def _chosen_section(section: str | None) -> str | None:
    return resolve_section_name(section) if section else None


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
