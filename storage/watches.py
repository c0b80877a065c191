"""Keyword watches: a chat's saved queries, each with a durable cursor (the last article checked).

The cursor lives on the watch, so a restart neither repeats nor loses a notice, and a new watch
starts at the newest article (it reports what comes next, not the archive). The model lives here
rather than in ``storage/models.py`` so the watches aggregate is one module; it shares ``Base``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Article, Base
from storage.types import UTCDateTime


class Watch(Base):
    """One saved query of one chat."""

    __tablename__ = "watches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    query: Mapped[str] = mapped_column(Text)
    query_key: Mapped[str] = mapped_column(String(200))
    last_article_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("chat_id", "query_key", name="uq_watches_chat_query"),
        Index("ix_watches_cursor", "last_article_id"),
    )


class WatchRepository:
    """Watches in one session; callers own the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_chat(self, chat_id: int) -> list[Watch]:
        rows = await self.session.scalars(
            select(Watch).where(Watch.chat_id == chat_id).order_by(Watch.id)
        )
        return list(rows)

    async def count(self, chat_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Watch).where(Watch.chat_id == chat_id)
        )
        return int(count or 0)

    async def find(self, chat_id: int, query_key: str) -> Watch | None:
        return await self.session.scalar(
            select(Watch).where(Watch.chat_id == chat_id, Watch.query_key == query_key)
        )

    async def add(self, chat_id: int, query: str, query_key: str, *, now: datetime) -> Watch | None:
        """Save a watch starting after the newest article; None if the chat already has it."""
        if await self.find(chat_id, query_key) is not None:
            return None
        watch = Watch(
            chat_id=chat_id, query=query, query_key=query_key,
            last_article_id=await self.newest_article_id(), created_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(watch)
                await self.session.flush()
        except IntegrityError:  # the same watch added at the same moment by another update
            return None
        return watch

    async def remove(self, watch_id: int) -> bool:
        result = await self.session.execute(delete(Watch).where(Watch.id == watch_id))
        return bool(result.rowcount)

    async def behind(self, newest_id: int) -> list[Watch]:
        """Watches that have not yet looked at articles up to ``newest_id``."""
        rows = await self.session.scalars(
            select(Watch).where(Watch.last_article_id < newest_id).order_by(Watch.id)
        )
        return list(rows)

    async def advance(self, watch_ids: Sequence[int], to_article_id: int) -> None:
        if not watch_ids:
            return
        await self.session.execute(
            sa_update(Watch)
            .where(Watch.id.in_(watch_ids), Watch.last_article_id < to_article_id)
            .values(last_article_id=to_article_id),
            execution_options={"synchronize_session": False},
        )

    async def move_chat(self, old_id: int, new_id: int) -> int:
        """A group became a supergroup: its watches follow (ones the new id has are dropped)."""
        taken = set(
            await self.session.scalars(select(Watch.query_key).where(Watch.chat_id == new_id))
        )
        moved = 0
        for watch in await self.for_chat(old_id):
            if watch.query_key in taken:
                await self.session.delete(watch)
            else:
                watch.chat_id = new_id
                moved += 1
        await self.session.flush()
        return moved

    async def newest_article_id(self) -> int:
        return int(await self.session.scalar(select(func.max(Article.id))) or 0)
