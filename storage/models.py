"""ORM models: the tables the store keeps.

Schema changes go through Alembic migrations in ``storage/migrations``; these classes describe the
current head so repositories can query it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Article(Base):
    """One article, photo caption or teaser as printed; display text is kept exactly as parsed."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    paper: Mapped[str] = mapped_column(String(100))
    edition_date: Mapped[date] = mapped_column(Date)
    page: Mapped[int | None] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(20))
    section_source: Mapped[str] = mapped_column(String(10), default="auto")
    kind: Mapped[str] = mapped_column(String(10), default="article")
    kicker: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    reporters: Mapped[list[str]] = mapped_column(JSON, default=list)
    paragraphs: Mapped[list[str]] = mapped_column(JSON, default=list)
    subheads: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_files.id", ondelete="SET NULL")
    )

    __table_args__ = (
        Index("ix_articles_edition", "edition_date", "id"),
        Index("ix_articles_section_edition", "section", "edition_date", "id"),
    )

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


class SourceFile(Base):
    """A file that was ingested: what it held and when, so operators can see what was loaded."""

    __tablename__ = "source_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str] = mapped_column(String(20))
    paper: Mapped[str | None] = mapped_column(String(100))
    edition_date: Mapped[date | None] = mapped_column(Date)
    page: Mapped[int | None] = mapped_column(Integer)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
