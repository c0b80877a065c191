"""The article repository: store once by content hash, fetch, list by edition and section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.models import Article, SourceFile

HASH_LOOKUP_CHUNK = 500  # bound parameters per IN (…), well under every backend's limit


@dataclass(frozen=True)
class NewArticle:
    """Plain values of an article about to be stored (the ingest service builds these)."""

    paper: str
    edition_date: date
    title: str
    content_hash: str
    section: str
    section_source: str = "model"
    section_confidence: float | None = None
    kind: str = "article"
    page: int | None = None
    kicker: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    reporters: Sequence[str] = field(default_factory=tuple)
    paragraphs: Sequence[str] = field(default_factory=tuple)
    subheads: Sequence[str] = field(default_factory=tuple)
    source: str | None = None
    url: str | None = None


class ArticleRepository:
    """Articles in one session; callers own the transaction (one per batch of an ingested file)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_by_hash(self, content_hash: str) -> Article | None:
        return await self.session.scalar(
            select(Article).where(Article.content_hash == content_hash)
        )

    async def find_by_hashes(self, hashes: Sequence[str]) -> dict[str, Article]:
        """The stored articles among these content hashes, looked up in a few queries."""
        found: dict[str, Article] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), HASH_LOOKUP_CHUNK):
            chunk = unique[start : start + HASH_LOOKUP_CHUNK]
            rows = await self.session.scalars(
                select(Article).where(Article.content_hash.in_(chunk))
            )
            found.update((article.content_hash, article) for article in rows)
        return found

    async def add_many(
        self,
        drafts: Sequence[NewArticle],
        *,
        ingested_at: datetime,
        source_file_id: int | None = None,
    ) -> list[Article]:
        """Insert new articles (distinct content hashes) in a few multi-row INSERT … RETURNING
        statements; returns them in input order, ids assigned, attached to the session.

        A flush (like RETURNING in parameter order) inserts one row per statement on SQLite, a
        round trip to the driver's thread per article. Rows in a multi-row RETURNING come back in
        no promised order, so each id is matched to its article by the unique content hash.
        The objects are then made persistent as if freshly loaded, as a flush would leave them.
        """
        if not drafts:
            return []
        articles = [_to_row(new, ingested_at, source_file_id) for new in drafts]
        table = Article.__table__
        rows = await self.session.execute(
            insert(table).returning(table.c.id, table.c.content_hash),
            [_row_values(article) for article in articles],
        )
        ids = {content_hash: article_id for article_id, content_hash in rows}
        for article in articles:
            article.id = ids[article.content_hash]
            make_transient_to_detached(article)
        self.session.add_all(articles)
        return articles

    async def set_section(self, article_id: int, section: str) -> Article | None:
        """An operator's correction: kept as ``operator`` (re-ingest of the same text finds the
        row by content hash and leaves it; a source edit keeps it too), and the search filter
        row follows. None when there is no such article."""
        article = await self.session.get(Article, article_id)
        if article is None:
            return None
        article.section = section
        article.section_source = "operator"
        article.section_confidence = None
        await self.session.execute(
            text("UPDATE search_documents SET section = :section WHERE article_id = :id"),
            {"section": section, "id": article_id},
        )
        await self.session.flush()
        return article

    async def operator_sections(self) -> list[Article]:
        """Articles whose section an operator set (the lines `sections export-labels` writes)."""
        rows = await self.session.scalars(
            select(Article).where(Article.section_source == "operator").order_by(Article.id)
        )
        return list(rows)

    async def get(self, article_id: int) -> Article | None:
        return await self.session.get(Article, article_id)

    async def get_many(self, article_ids: Sequence[int]) -> list[Article]:
        """Articles for the given ids, in the order of the ids (missing ones left out)."""
        if not article_ids:
            return []
        rows = await self.session.scalars(select(Article).where(Article.id.in_(article_ids)))
        by_id = {article.id: article for article in rows}
        return [by_id[i] for i in article_ids if i in by_id]

    async def latest_edition(self, paper: str | None = None) -> date | None:
        query = select(func.max(Article.edition_date))
        if paper is not None:
            query = query.where(Article.paper == paper)
        return await self.session.scalar(query)

    async def in_edition(self, edition: date, paper: str | None = None) -> list[Article]:
        """An edition's articles in page order, then in the order they were printed."""
        query = select(Article).where(Article.edition_date == edition)
        if paper is not None:
            query = query.where(Article.paper == paper)
        rows = await self.session.scalars(query.order_by(Article.page, Article.id))
        return list(rows)

    async def newest_in_section(
        self, section: str, *, limit: int = 10, offset: int = 0
    ) -> list[Article]:
        rows = await self.session.scalars(
            select(Article)
            .where(Article.section == section)
            .order_by(Article.edition_date.desc(), Article.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows)

    async def count_in_section(self, section: str) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Article).where(Article.section == section)
        )
        return int(count or 0)

    async def section_counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Article.section, func.count()).group_by(Article.section)
        )
        return {section: int(count) for section, count in rows.all()}

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Article)) or 0)

    async def ingested_since(self, after_id: int, *, limit: int = 500) -> list[Article]:
        """Articles stored after a known id, oldest first (for watches and digests)."""
        rows = await self.session.scalars(
            select(Article).where(Article.id > after_id).order_by(Article.id).limit(limit)
        )
        return list(rows)


_COLUMNS = tuple(column.key for column in Article.__table__.columns if column.key != "id")


def _row_values(article: Article) -> dict[str, object]:
    """The column values set on an unsaved article (`_to_row` sets all but the id; a column it
    leaves out is missing from every row alike, so the INSERT gives it its default)."""
    state = article.__dict__
    return {key: state[key] for key in _COLUMNS if key in state}


def _to_row(new: NewArticle, ingested_at: datetime, source_file_id: int | None) -> Article:
    return Article(
        paper=new.paper,
        edition_date=new.edition_date,
        page=new.page,
        section=new.section,
        section_source=new.section_source,
        section_confidence=new.section_confidence,
        kind=new.kind,
        kicker=new.kicker,
        title=new.title,
        subtitle=new.subtitle,
        byline=new.byline,
        reporters=list(new.reporters),
        paragraphs=list(new.paragraphs),
        subheads=list(new.subheads),
        source=new.source,
        url=new.url,
        content_hash=new.content_hash,
        ingested_at=ingested_at,
        source_file_id=source_file_id,
    )


class SourceFileRepository:
    """Records of ingested files."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: SourceFile) -> SourceFile:
        self.session.add(record)
        await self.session.flush()
        return record

    async def add_counts(self, record_id: int, *, new: int, duplicate: int) -> None:
        """Count one more stored batch of a file (a large file is stored in several)."""
        await self.session.execute(
            update(SourceFile)
            .where(SourceFile.id == record_id)
            .values(
                articles_new=SourceFile.articles_new + new,
                articles_duplicate=SourceFile.articles_duplicate + duplicate,
            )
            .execution_options(synchronize_session=False)
        )
