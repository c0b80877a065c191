"""Browsing the archive without a query: sections, the latest edition, one article.

Plain values in and out, so the CLI, the bot and ``newsbrief chat`` share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.text.sections import SECTIONS
from storage.articles import ArticleRepository
from storage.database import Database
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

    async def latest_edition(self) -> Edition:
        async with self.db.session() as session:
            repo = ArticleRepository(session)
            latest = await repo.latest_edition()
            articles = await repo.in_edition(latest) if latest else []
        grouped: dict[str, list[ArticleSummary]] = {name: [] for name in SECTIONS}
        for article in articles:
            grouped.setdefault(article.section, []).append(ArticleSummary.of(article))
        return Edition(latest, {name: items for name, items in grouped.items() if items})
