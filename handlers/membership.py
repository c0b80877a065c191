"""my_chat_member: the bot was blocked/unblocked, removed from or added back to a chat.

Thin: read the new status from the update and tell the chat service (``Update.MY_CHAT_MEMBER``
must be in ``allowed_updates``, as it is by default).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ChatMemberHandler

from handlers.context import NewsContext


async def my_chat_member(update: Update, context: NewsContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    user = change.from_user
    await context.services.chats.member_status_changed(
        change.chat.id,
        change.new_chat_member.status,
        chat_type=change.chat.type,
        title=change.chat.title,
        language=user.language_code if user and change.chat.type == "private" else None,
    )


def membership_handler() -> ChatMemberHandler:
    """A ChatMemberHandler for the bot's own membership (MY_CHAT_MEMBER) in any chat."""
    return ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
