"""Sources the bot polls and the items they gave: the only SQL for ``bot.sources``.

Callers own the transaction. A poll's bookkeeping (the item → article map, validators, health)
is written in the same transaction as the articles the ingest path stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import NewArticle
from storage.models import Article, Source, SourceItem


class DuplicateSourceError(ValueError):
    """A source with this URL is already polled."""


@dataclass(frozen=True)
class KnownItem:
    """An item already stored: the article it became and the content it had then."""

    key: str
    article_id: int
    content_hash: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SourceRepository:
    """Sources and their items in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, source: Source) -> Source:
        existing = await self.session.scalar(select(Source.id).where(Source.url == source.url))
        if existing is not None:
            raise DuplicateSourceError(f"{source.url} is already source {existing}")
        self.session.add(source)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # added by another process since the check
            raise DuplicateSourceError(f"{source.url} is already a source") from exc
        return source

    async def get(self, source_id: int) -> Source | None:
        return await self.session.get(Source, source_id)

    async def all(self) -> list[Source]:
        return list(await self.session.scalars(select(Source).order_by(Source.id)))

    async def due(self, now: datetime, *, limit: int = 100) -> list[Source]:
        """Unpaused sources whose next poll time has come, the most overdue first."""
        rows = await self.session.scalars(
            select(Source)
            .where(Source.paused.is_(False), Source.next_poll_at <= now)
            .order_by(Source.next_poll_at, Source.id)
            .limit(limit)
        )
        return list(rows)

    async def next_due_at(self) -> datetime | None:
        return await self.session.scalar(
            select(Source.next_poll_at)
            .where(Source.paused.is_(False))
            .order_by(Source.next_poll_at)
            .limit(1)
        )

    async def remove(self, source_id: int) -> bool:
        await self.session.execute(delete(SourceItem).where(SourceItem.source_id == source_id))
        result = await self.session.execute(delete(Source).where(Source.id == source_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def known_items(self, source_id: int, keys: Sequence[str]) -> dict[str, KnownItem]:
        """The items among ``keys`` this source gave before, by key."""
        by_hash = {key_hash(key): key for key in keys}
        found: dict[str, KnownItem] = {}
        hashes = list(by_hash)
        for start in range(0, len(hashes), 500):
            rows = await self.session.execute(
                select(SourceItem.key_hash, SourceItem.article_id, SourceItem.content_hash).where(
                    SourceItem.source_id == source_id,
                    SourceItem.key_hash.in_(hashes[start : start + 500]),
                )
            )
            for digest, article_id, content in rows:
                key = by_hash[digest]
                found[key] = KnownItem(key, article_id, content)
        return found

    async def record_item(
        self, source_id: int, key: str, article_id: int, content_hash: str, now: datetime
    ) -> None:
        """Map an item to its article (insert, or update the mapping of an edited item)."""
        digest = key_hash(key)
        item = await self.session.scalar(
            select(SourceItem).where(
                SourceItem.source_id == source_id, SourceItem.key_hash == digest
            )
        )
        if item is None:
            self.session.add(
                SourceItem(
                    source_id=source_id, key_hash=digest, item_key=key, article_id=article_id,
                    content_hash=content_hash, seen_at=now,
                )
            )
        else:
            item.article_id = article_id
            item.content_hash = content_hash
            item.seen_at = now
        await self.session.flush()


async def replace_article_content(session: AsyncSession, article: Article, new: NewArticle) -> None:
    """An item edited in its source: the article takes the new text (same id, same links)."""
    article.title = new.title
    article.paragraphs = list(new.paragraphs)
    article.content_hash = new.content_hash
    article.url = new.url or article.url
    if article.section_source != "operator":  # a correction outlives edits of the item
        article.section = new.section
        article.section_source = new.section_source
        article.section_confidence = new.section_confidence
    await session.flush()
