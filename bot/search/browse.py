"""Browsing the archive without a query: sections, the latest edition, one article.

Plain values in and out, so the CLI, the bot and ``newsbrief chat`` share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.text.section_labels import SectionLabel, label_of
from bot.text.sections import SECTIONS
from storage.articles import ArticleRepository
from storage.database import Database, WriteSession
from storage.models import Article


@dataclass(frozen=True)
class SectionCount:
    name: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "count": self.count}


@dataclass(frozen=True)
class ArticleSummary:
    """What a list of articles shows of each: enough for a line and a button."""

    id: int
    title: str
    date: date
    section: str
    page: int | None
    kind: str

    @classmethod
    def of(cls, article: Article) -> ArticleSummary:
        return cls(
            article.id, article.title, article.edition_date, article.section, article.page,
            article.kind,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat(),
            "section": self.section,
            "page": self.page,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class SectionPage:
    section: str
    total: int
    offset: int
    results: list[ArticleSummary]

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "total": self.total,
            "results": [result.to_dict() for result in self.results],
        }


@dataclass(frozen=True)
class EditionSectionPage:
    """A page of one edition's articles in one section (what a /today section button opens)."""

    section: str
    edition: date
    total: int
    offset: int
    results: list[ArticleSummary]


@dataclass(frozen=True)
class Edition:
    """The latest edition's articles grouped by section, in the fixed section order."""

    date: date | None
    by_section: dict[str, list[ArticleSummary]]


def article_to_dict(article: Article) -> dict[str, Any]:
    """Every stored field of an article, for ``show --json``."""
    return {
        "id": article.id,
        "paper": article.paper,
        "date": article.edition_date.isoformat(),
        "page": article.page,
        "section": article.section,
        "section_source": article.section_source,
        "section_confidence": article.section_confidence,
        "kind": article.kind,
        "kicker": article.kicker,
        "title": article.title,
        "subtitle": article.subtitle,
        "byline": article.byline,
        "reporters": list(article.reporters),
        "subheads": list(article.subheads),
        "paragraphs": list(article.paragraphs),
        "source": article.source,
        "url": article.url,
        "content_hash": article.content_hash,
        "ingested_at": article.ingested_at.isoformat(),
    }


class BrowseService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def section_counts(self) -> list[SectionCount]:
        """All six sections in their fixed order, empty ones included (a menu never jumps)."""
        async with self.db.session() as session:
            counts = await ArticleRepository(session).section_counts()
        return [SectionCount(name, counts.get(name, 0)) for name in SECTIONS]

    async def section(self, section: str, *, limit: int = 10, offset: int = 0) -> SectionPage:
        async with self.db.session() as session:
            repo = ArticleRepository(session)
            total = await repo.count_in_section(section)
            rows = await repo.newest_in_section(section, limit=limit, offset=offset)
        return SectionPage(section, total, offset, [ArticleSummary.of(a) for a in rows])

    async def article(self, article_id: int) -> Article | None:
        async with self.db.session() as session:
            return await ArticleRepository(session).get(article_id)

    async def set_section(self, article_id: int, section: str) -> Article | None:
        """An operator's correction (``section-set``, the bot's 版块 button): kept as
        ``operator`` through re-ingest; None when there is no such article."""

        async def work(session: WriteSession) -> Article | None:
            return await ArticleRepository(session).set_section(article_id, section)

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def section_labels(self) -> list[SectionLabel]:
        """Operator-set sections as training labels (title, first paragraph, section), for the
        next run of ``bot.text.section_training --labels``."""
        async with self.db.session() as session:
            rows = await ArticleRepository(session).operator_sections()
        return [label_of(a.id, a.title, a.paragraphs, a.section) for a in rows]

    async def articles(self, article_ids: list[int]) -> list[Article]:
        """Several articles in one query, in the order of ``article_ids`` (missing ones out)."""
        async with self.db.session() as session:
            return await ArticleRepository(session).get_many(article_ids)

    async def headlines(self, *, limit: int, offset: int = 0) -> tuple[list[Article], int]:
        """The latest edition's articles in /today's order, teasers left out (they are not
        articles), and how many there are: what an empty inline query shows."""
        async with self.db.session() as session:
            repo = ArticleRepository(session)
            latest = await repo.latest_edition()
            articles = await repo.in_edition(latest) if latest else []
        order = {name: index for index, name in enumerate(SECTIONS)}
        kept = sorted((a for a in articles if a.kind != TEASER),
                      key=lambda a: order.get(a.section, len(order)))  # stable: page order kept
        return kept[offset : offset + limit], len(kept)

    async def latest_edition(self) -> Edition:
        async with self.db.session() as session:
            repo = ArticleRepository(session)
            latest = await repo.latest_edition()
            articles = await repo.in_edition(latest) if latest else []
        return Edition(latest, _by_section(articles))

    async def edition_section(
        self, section: str, edition: date, *, limit: int = 10, offset: int = 0
    ) -> EditionSectionPage:
        """One edition's articles of a section, in /today's order. The same query as
        :meth:`latest_edition` feeds it, so the count /today shows is the count listed here."""
        async with self.db.session() as session:
            articles = await ArticleRepository(session).in_edition(edition)
        items = _by_section(articles).get(section, [])
        return EditionSectionPage(section, edition, len(items), offset,
                                  items[offset : offset + limit])

    async def teaser_target(self, teaser: Article) -> Article | None:
        """The article a 导读 teaser announces, when it is in the store: same paper, same
        edition, the teaser's title (ignoring spaces), not itself a teaser."""
        wanted = _title_key(teaser.title)
        async with self.db.session() as session:
            candidates = await ArticleRepository(session).in_edition(
                teaser.edition_date, teaser.paper
            )
        return next((a for a in candidates
                     if a.kind != TEASER and a.id != teaser.id and _title_key(a.title) == wanted),
                    None)


TEASER = "teaser"


def _title_key(title: str) -> str:
    return "".join(title.split())


def _by_section(articles: list[Article]) -> dict[str, list[ArticleSummary]]:
    grouped: dict[str, list[ArticleSummary]] = {name: [] for name in SECTIONS}
    for article in articles:
        grouped.setdefault(article.section, []).append(ArticleSummary.of(article))
    return {name: items for name, items in grouped.items() if items}
