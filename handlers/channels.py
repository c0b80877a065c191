"""Who may manage a channel through the bot, asked of Telegram on every change.

Admins come and go and button data can be forged, so the check runs at ``/subscribe @channel``
and again on every settings press for that channel: the channel must exist, the bot must be an
admin allowed to post there, and the reader one of its admins.
"""

from __future__ import annotations

from typing import Any, Protocol

from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.subscriptions.settings import (
    BotNotChannelAdminError,
    ChannelNotFoundError,
    ChannelRef,
    NotChannelAdminError,
)


class TelegramChats(Protocol):
    """The two Bot API reads the channel check needs (a ``telegram.Bot`` has them)."""

    @property
    def id(self) -> int: ...

    async def get_chat(self, chat_id: int | str) -> Any: ...

    async def get_chat_member(self, chat_id: int | str, user_id: int) -> Any: ...


ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


async def check_channel_admin(
    telegram: TelegramChats, channel: int | str, user_id: int
) -> ChannelRef:
    """Asked on every change, not only at /subscribe: admins come and go, and button data can be
    forged. ``channel`` is an ``@username`` or a chat id. Raises a :class:`ChannelAccessError`."""
    name = str(channel)
    try:
        target = await telegram.get_chat(channel)
    except (BadRequest, Forbidden) as exc:
        raise ChannelNotFoundError(name) from exc
    if target.type != ChatType.CHANNEL:
        raise ChannelNotFoundError(name)
    ref = ChannelRef(target.id, target.title, target.username)
    name = name if isinstance(channel, str) else ref.handle
    try:
        me = await telegram.get_chat_member(target.id, telegram.id)
    except (BadRequest, Forbidden) as exc:  # the member list is closed to non-admin bots
        raise BotNotChannelAdminError(name) from exc
    if not (me.status == ChatMemberStatus.OWNER or (
        me.status == ChatMemberStatus.ADMINISTRATOR and getattr(me, "can_post_messages", False)
    )):
        raise BotNotChannelAdminError(name)
    try:
        member = await telegram.get_chat_member(target.id, user_id)
    except (BadRequest, Forbidden) as exc:
        raise NotChannelAdminError(name) from exc
    if member.status not in ADMIN_STATUSES:
        raise NotChannelAdminError(name)
    return ref
