"""The daily digest as plain values: what is new for one chat, grouped the way it chose.

Composition is pure (:func:`compose_digest`) and cheap per chat: articles are read and summarised
once per distinct cursor (:class:`DigestMaterial`), and each chat only filters and groups them. So
10,000 chats with different sections cost 10,000 filters, not 10,000 queries and summaries.
Rendering to Telegram messages is :mod:`bot.render.digest`; scheduling is
:mod:`bot.pushes.digests`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.text.relative_time import PAPER_TZ
from bot.text.sections import SECTIONS
from bot.text.summaries import summarize
from storage.articles import ArticleRepository
from storage.database import Database
from storage.models import AlertEventRecord, Article

DIGEST_KIND = "digest"
MAX_PER_SECTION = 12  # more than this: a line says how many more, with a button to the section
MAX_NEW_ARTICLES = 600  # a chat back after a long silence gets the newest ones
FETCH_CHUNK = 500


@dataclass(frozen=True)
class DigestArticle:
    """One headline line: enough to show it, summarise it and open it."""

    id: int
    paper: str
    edition: date
    section: str
    title: str
    summary: str | None
    page: int | None = None

    @classmethod
    def of(cls, article: Article) -> DigestArticle:
        return cls(
            id=article.id, paper=article.paper, edition=article.edition_date,
            section=article.section, title=article.title,
            summary=summarize(article.title, article.paragraphs), page=article.page,
        )


@dataclass(frozen=True)
class DigestAlert:
    """An alert still in force, shown first in the digest (its notice went out when it began)."""

    event_id: int
    article_id: int
    hazard: str
    kind: str
    action: str
    level: str | None
    storm_name: str | None
    authority: str
    summary: str
    effective_at: datetime
    # The latest report: the digest opens it and says when it was (a first report may be old).
    last_article_id: int | None = None
    last_reported_on: date | None = None

    @property
    def read_article_id(self) -> int:
        return self.last_article_id or self.article_id

    @classmethod
    def of(cls, record: AlertEventRecord, tz: ZoneInfo = PAPER_TZ) -> DigestAlert:
        reported = record.last_reported_at
        return cls(
            event_id=record.id, article_id=record.article_id, hazard=record.hazard,
            kind=record.kind, action=record.action, level=record.level,
            storm_name=record.storm_name, authority=record.authority, summary=record.summary,
            effective_at=record.effective_at, last_article_id=record.last_article_id,
            last_reported_on=reported.astimezone(tz).date() if reported else None,
        )


@dataclass(frozen=True)
class DigestPreferences:
    """The chat's choices that shape its digest (from its settings row)."""

    chat_id: int
    sections: tuple[str, ...] = ()  # empty: every section
    other_hazards: bool = False  # alerts other than typhoon (floods) shown too
    silent: bool = True
    language: str | None = None


@dataclass(frozen=True)
class DigestSection:
    name: str
    items: tuple[DigestArticle, ...]
    more: int = 0  # items left out beyond MAX_PER_SECTION


@dataclass(frozen=True)
class Digest:
    """One chat's digest for one local date; ``cursor`` is the newest article it accounts for."""

    chat_id: int
    local_date: date
    papers: tuple[str, ...]
    editions: tuple[date, ...]
    alerts: tuple[DigestAlert, ...]
    sections: tuple[DigestSection, ...]
    cursor: int | None
    silent: bool = True
    language: str | None = None

    @property
    def item_count(self) -> int:
        return sum(len(section.items) + section.more for section in self.sections)

    @property
    def empty(self) -> bool:
        """Nothing new in the chat's sections (active alerts alone do not make a digest)."""
        return self.item_count == 0

    @property
    def ref(self) -> str:
        """The outbox key: one digest per chat and local date."""
        return self.local_date.isoformat()


@dataclass(frozen=True)
class DigestMaterial:
    """The articles new since one cursor, read and summarised once for every chat sharing it."""

    articles: tuple[DigestArticle, ...]
    cursor: int | None  # the highest article id seen (None: the store is empty)
    by_section: dict[str, tuple[DigestArticle, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, articles: Iterable[DigestArticle], cursor: int | None) -> DigestMaterial:
        listed = tuple(a for a in articles)
        grouped: dict[str, list[DigestArticle]] = {}
        for article in sorted(listed, key=lambda a: (a.edition, a.page or 0, a.id)):
            grouped.setdefault(article.section, []).append(article)
        return cls(listed, cursor, {name: tuple(items) for name, items in grouped.items()})


def section_order(chosen: Sequence[str]) -> tuple[str, ...]:
    """The sections a digest shows, in the paper's fixed order (empty choice: all of them)."""
    wanted = set(chosen) if chosen else set(SECTIONS)
    known = tuple(name for name in SECTIONS if name in wanted)
    extra = tuple(sorted(wanted - set(SECTIONS)))
    return known + extra


def compose_digest(
    prefs: DigestPreferences,
    local_date: date,
    material: DigestMaterial,
    alerts: Sequence[DigestAlert] = (),
) -> Digest:
    """The digest one chat gets from shared material: its sections, its alerts, nothing else."""
    sections: list[DigestSection] = []
    papers: dict[str, None] = {}
    editions: set[date] = set()
    for name in section_order(prefs.sections):
        items = material.by_section.get(name, ())
        if not items:
            continue
        shown = items[-MAX_PER_SECTION:] if len(items) > MAX_PER_SECTION else items
        sections.append(DigestSection(name, shown, len(items) - len(shown)))
        for item in shown:
            papers.setdefault(item.paper)
            editions.add(item.edition)
    shown_alerts = tuple(a for a in alerts if a.hazard == "typhoon" or prefs.other_hazards)
    return Digest(
        chat_id=prefs.chat_id,
        local_date=local_date,
        papers=tuple(papers),
        editions=tuple(sorted(editions)),
        alerts=shown_alerts,
        sections=tuple(sections),
        cursor=material.cursor,
        silent=prefs.silent,
        language=prefs.language,
    )


def _digestible(article: Article) -> bool:
    """Teasers point at another page's article; the digest lists that article when it comes."""
    return article.kind != "teaser"


class DigestSource:
    """Reads digest material from the store; one instance per scheduler run caches by cursor."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._material: dict[int | None, DigestMaterial] = {}

    async def material(self, after_id: int | None) -> DigestMaterial:
        """New articles after ``after_id``; with no cursor yet (a first digest), the latest
        edition."""
        if after_id not in self._material:
            self._material[after_id] = await self._load(after_id)
        return self._material[after_id]

    async def _load(self, after_id: int | None) -> DigestMaterial:
        async with self.db.session() as session:
            repo = ArticleRepository(session)
            if after_id is None:
                latest = await repo.latest_edition()
                rows = await repo.in_edition(latest) if latest is not None else []
                newer, cursor = await _after(repo, max((a.id for a in rows), default=0))
                if cursor == 0:
                    cursor = None
            else:
                newer, cursor = await _after(repo, after_id)
                rows = newer[-MAX_NEW_ARTICLES:]
            articles = [DigestArticle.of(a) for a in rows if _digestible(a)]
        return DigestMaterial.of(articles, cursor)


async def _after(repo: ArticleRepository, after_id: int) -> tuple[list[Article], int]:
    """Every article stored after ``after_id``, and the highest id seen (``after_id`` if none)."""
    rows: list[Article] = []
    cursor = after_id
    while chunk := await repo.ingested_since(cursor, limit=FETCH_CHUNK):
        rows.extend(chunk)
        cursor = chunk[-1].id
    return rows, cursor
