"""The chat repository: chats the bot has seen, whether they can be reached, their settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat
from storage.outbox import Outbox
from storage.watches import WatchRepository

# Settings a reader chose; they follow a group to its new supergroup id.
SETTING_FIELDS = (
    "language",
    "subscribed",
    "digest_time",
    "timezone",
    "sections",
    "alerts_enabled",
    "other_hazards",
    "digest_silent",
    "last_digest_date",
    "last_digest_article_id",
    "reply_language",
)
DEFAULTS: dict[str, Any] = {
    "active": True,
    "subscribed": False,
    "digest_time": "08:00",
    "timezone": "Asia/Shanghai",
    "alerts_enabled": True,
    "other_hazards": False,
    "digest_silent": True,
}


class ChatRepository:
    """Chats in one session; callers own the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_id: int) -> Chat | None:
        return await self.session.get(Chat, chat_id)

    async def upsert_seen(
        self,
        chat_id: int,
        *,
        now: datetime,
        type: str = "private",
        title: str | None = None,
        language: str | None = None,
    ) -> Chat:
        """Record that the chat talked to us: create it, or refresh its type/title and reactivate.

        A chat we just heard from can receive messages again, whatever it said before.
        """
        chat = await self.get(chat_id)
        if chat is None:
            chat = Chat(
                id=chat_id, type=type, title=title, language=language, sections=[],
                created_at=now, updated_at=now, **DEFAULTS,
            )
            self.session.add(chat)
            await self.session.flush()
            return chat
        chat.type = type
        if title is not None:
            chat.title = title
        if language is not None and chat.language is None:
            chat.language = language
        chat.active, chat.inactive_reason = True, None
        chat.updated_at = now
        await self.session.flush()
        return chat

    async def update_settings(self, chat_id: int, *, now: datetime, **values: Any) -> Chat | None:
        """Change a reader's settings (names from SETTING_FIELDS); None if the chat is unknown."""
        unknown = set(values) - set(SETTING_FIELDS)
        if unknown:
            raise ValueError(f"not chat settings: {sorted(unknown)}")
        chat = await self.get(chat_id)
        if chat is None:
            return None
        for name, value in values.items():
            setattr(chat, name, value)
        chat.updated_at = now
        await self.session.flush()
        return chat

    async def set_inactive(self, chat_id: int, reason: str, *, now: datetime) -> bool:
        """Mark a chat unreachable (blocked, kicked, gone); creates the row if we never saw it."""
        result = await self.session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(active=False, inactive_reason=reason, updated_at=now),
            execution_options={"synchronize_session": "fetch"},
        )
        if result.rowcount:
            return True
        self.session.add(
            Chat(id=chat_id, type="group" if chat_id < 0 else "private", sections=[],
                 created_at=now, updated_at=now,
                 **{**DEFAULTS, "active": False}, inactive_reason=reason)
        )
        await self.session.flush()
        return False

    async def migrate(self, old_id: int, new_id: int, *, now: datetime) -> Chat:
        """A group became a supergroup: carry its settings and open deliveries to the new id.

        The old row stays, inactive, saying where the chat went; the new row takes the reader's
        settings (they were made on the old id) and is active.
        """
        old = await self.get(old_id)
        new = await self.get(new_id)
        if new is None:
            new = Chat(
                id=new_id, type="supergroup", title=old.title if old else None, sections=[],
                created_at=now, updated_at=now, **DEFAULTS,
            )
            self.session.add(new)
        if old is not None:
            for name in SETTING_FIELDS:
                setattr(new, name, getattr(old, name))
            old.active, old.inactive_reason = False, f"migrated to {new_id}"
            old.subscribed = False
            old.updated_at = now
        new.type = "supergroup"
        new.active, new.inactive_reason = True, None
        new.updated_at = now
        await self.session.flush()
        await Outbox(self.session).move_chat(old_id, new_id, now=now)
        await WatchRepository(self.session).move_chat(old_id, new_id)
        return new

    async def active_subscribers(self) -> list[Chat]:
        """Chats that want the digest and can receive it, by id."""
        rows = await self.session.scalars(
            select(Chat).where(Chat.active.is_(True), Chat.subscribed.is_(True)).order_by(Chat.id)
        )
        return list(rows)

    async def count_inactive(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Chat).where(Chat.active.is_(False))
        )
        return int(count or 0)
