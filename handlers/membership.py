"""my_chat_member: the bot was blocked/unblocked, removed from or added back to a chat.

Thin: read the new status from the update and tell the chat service. Register with
``application.add_handler(membership_handler(ChatService(db)))`` (``Update.MY_CHAT_MEMBER`` must be
in ``allowed_updates``, as it is by default).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ChatMemberHandler, ContextTypes

from bot.subscriptions.chats import ChatService

logger = logging.getLogger(__name__)

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def my_chat_member_callback(service: ChatService) -> Callback:
    """The handler callback bound to ``service``."""

    async def my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        user = change.from_user
        await service.member_status_changed(
            change.chat.id,
            change.new_chat_member.status,
            chat_type=change.chat.type,
            title=change.chat.title,
            language=user.language_code if user and change.chat.type == "private" else None,
        )

    return my_chat_member


def membership_handler(service: ChatService) -> ChatMemberHandler:
    """A ChatMemberHandler for the bot's own membership (MY_CHAT_MEMBER) in any chat."""
    return ChatMemberHandler(my_chat_member_callback(service), ChatMemberHandler.MY_CHAT_MEMBER)
