"""Chat reachability: who can receive messages, as Telegram tells us (my_chat_member, send errors).

Plain values in, plain values out; the membership handler and the delivery sender both call here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SystemClock
from storage.chats import ChatRepository
from storage.database import Database, WriteSession
from storage.outbox import Outbox

logger = logging.getLogger("newsbrief.chats")

# ChatMember statuses (Bot API) in which the bot can post; "restricted" still leaves it a member.
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
GONE_STATUSES = frozenset({"left", "kicked", "banned"})


@dataclass(frozen=True)
class MembershipChange:
    """What a my_chat_member update did to the chat, for logging and replies."""

    chat_id: int
    active: bool
    cancelled: int = 0


async def deactivate_chat(session: AsyncSession, chat_id: int, reason: str, *, now: datetime
                          ) -> int:
    """Mark the chat inactive and cancel its open pushes (one transaction); returns how many."""
    await ChatRepository(session).set_inactive(chat_id, reason, now=now)
    return await Outbox(session).cancel_chat(chat_id, reason, now=now)


class ChatService:
    """Chats becoming reachable or not; the sender and the membership handler share it."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def member_status_changed(
        self,
        chat_id: int,
        new_status: str,
        *,
        chat_type: str = "private",
        title: str | None = None,
        language: str | None = None,
    ) -> MembershipChange:
        """The bot's own membership changed: unblocked or re-added → active again; blocked,
        kicked or removed → inactive, with its pending pushes cancelled."""
        now = self.clock.now()
        if new_status in PRESENT_STATUSES:

            async def seen(session: WriteSession) -> None:
                await ChatRepository(session).upsert_seen(
                    chat_id, now=now, type=chat_type, title=title, language=language
                )

            await self.db.write(seen)  # retried if an ingest holds SQLite's write lock
            logger.info("chat %s: bot is %s again: active", chat_id, new_status)
            return MembershipChange(chat_id, active=True)
        if new_status not in GONE_STATUSES:
            raise ValueError(f"unknown chat member status {new_status!r}")

        async def gone(session: WriteSession) -> int:
            return await deactivate_chat(session, chat_id, f"bot {new_status}", now=now)

        cancelled = await self.db.write(gone)
        logger.info("chat %s: bot %s: inactive, %d pending push(es) cancelled",
                    chat_id, new_status, cancelled)
        return MembershipChange(chat_id, active=False, cancelled=cancelled)
