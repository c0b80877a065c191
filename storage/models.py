"""ORM models: the tables the store keeps.

Schema changes go through Alembic migrations in ``storage/migrations``; these classes describe the
current head so repositories can query it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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
    # operator / page / source / model (bot.text.section_choice); confidence only for model.
    section_source: Mapped[str] = mapped_column(String(10), default="model")
    section_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
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


class AlertEventRecord(Base):
    """One detected alert event, stored once however often the papers report it."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    hazard: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(10))
    previous_level: Mapped[str | None] = mapped_column(String(10))
    direction: Mapped[str | None] = mapped_column(String(5))
    storm_year: Mapped[int | None] = mapped_column(Integer)
    storm_number: Mapped[int | None] = mapped_column(Integer)
    storm_name: Mapped[str | None] = mapped_column(String(50))
    authority: Mapped[str] = mapped_column(Text)
    authority_key: Mapped[str] = mapped_column(Text)
    # Whom notices name: the authority, unless that is a placeholder (其他区, 各地) — then the
    # nearest named place, or nobody.
    issuer: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_stated: Mapped[bool] = mapped_column(Boolean, default=True)
    summary: Mapped[str] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    state_id: Mapped[int | None] = mapped_column(ForeignKey("alert_states.id", ondelete="SET NULL"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when its notices were queued (or it was judged too old to push): a durable cursor.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first and latest article reporting it (article_id is the first): "in force" needs a
    # recent report, and /alerts opens the latest one.
    first_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_article_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_alert_events_effective", "effective_at", "id"),
        Index("ix_alert_events_last_reported", "last_reported_at"),
    )


class AlertReport(Base):
    """One article reporting one alert event (the first report and every later restatement)."""

    __tablename__ = "alert_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("event_id", "article_id", name="uq_alert_reports_event_article"),
        Index("ix_alert_reports_article", "article_id"),
    )


class AlertState(Base):
    """The current level of one response or warning: per hazard, kind, authority and storm."""

    __tablename__ = "alert_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hazard: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    authority_key: Mapped[str] = mapped_column(Text)
    storm_year: Mapped[int | None] = mapped_column(Integer)
    storm_number: Mapped[int | None] = mapped_column(Integer)
    storm_name: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_event_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_alert_states_lookup", "hazard", "kind", "authority_key"),)


class Chat(Base):
    """A Telegram chat the bot has seen, with the reader's subscription settings.

    The primary key is Telegram's own chat id (negative for groups and channels, beyond 32 bits
    for supergroups), so a group that migrates to a supergroup gets a new row via
    ``ChatRepository.migrate`` rather than an id update in place.
    """

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(20), default="private")
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_time: Mapped[str] = mapped_column(String(5), default="08:00")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    other_hazards: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_silent: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_date: Mapped[date | None] = mapped_column(Date)
    last_digest_article_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The reader's /lang choice (en, zh-hans, zh-hant); None: follow the client (``language``).
    reply_language: Mapped[str | None] = mapped_column(String(16), default=None)

    __table_args__ = (Index("ix_chats_subscribed", "active", "subscribed"),)

    @property
    def reader_language(self) -> str | None:
        """The language replies and pushes use: the chat's choice, else its client's."""
        return self.reply_language or self.language


class Delivery(Base):
    """One push to one chat (a digest, an alert notice), rendered and waiting in the outbox.

    Unique on (chat, kind, ref) so enqueueing the same push twice is a no-op and a restart never
    makes a second copy. ``sent_message_ids`` grows by one per part sent, so a restart resumes at
    the next unsent part; ``claim_part`` records which part was in flight when claimed.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sent_message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    plain_text: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_part: Mapped[int | None] = mapped_column(Integer)
    # The claiming bot's fencing generation (storage/instance_lock.py); 0 for an unfenced sender.
    claim_token: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("chat_id", "kind", "ref", name="uq_deliveries_chat_kind_ref"),
        # The claim order: priority, then enqueue order (a retried row keeps its place).
        Index("ix_deliveries_due", "status", priority.desc(), "id"),
        Index("ix_deliveries_chat_status", "chat_id", "status"),
        Index("ix_deliveries_finished", "finished_at"),
    )


class InstanceFence(Base):
    """The fencing generation of a one-bot lock: bumped on every acquisition, so a bot that lost
    the lock can tell (its generation is no longer the current one) and is refused claims."""

    __tablename__ = "instance_fences"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str | None] = mapped_column(Text)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Source(Base):
    """A feed, web page or PDF page the bot polls by itself, with its validators and health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default="auto")
    every_seconds: Mapped[int] = mapped_column(Integer)
    paper: Mapped[str | None] = mapped_column(String(100))
    section: Mapped[str | None] = mapped_column(String(20))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("url", name="uq_sources_url"),
        Index("ix_sources_due", "paused", "next_poll_at"),
    )


class SourceItem(Base):
    """An item of a source (feed id, link, page URL) and the article it became."""

    __tablename__ = "source_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64))
    item_key: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("source_id", "key_hash", name="uq_source_items_key"),)
