"""What every handler needs: the reader's translator, and sending parts as replies or edits.

Replies go through the Application's rate limiter (PTB's ``AIORateLimiter``), which paces them
within Telegram's limits and retries a 429 as told, so no handler waits or retries by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update

from bot.render.html_text import plain_text
from bot.render.i18n import Translator
from bot.render.parts import MessagePart, inline_markup


def translator(update: Update) -> Translator:
    """The reader's language decides the strings (and, for traditional, the article script)."""
    user = update.effective_user
    return Translator.for_language(user.language_code if user else None)


async def reply(update: Update, parts: Sequence[MessagePart]) -> None:
    """Send the parts in order to the chat the update came from (HTML parse mode by default)."""
    chat = update.effective_chat
    if chat is None:
        return
    for part in parts:
        await chat.send_message(part.html, reply_markup=inline_markup(part.keyboard),
                                disable_notification=part.silent or None)


async def edit(update: Update, part: MessagePart) -> None:
    """Replace the pressed message with ``part`` (paging in place); skip when nothing changes,
    which Telegram would refuse (a double tap on ▶ lands on the page already shown)."""
    query = update.callback_query
    if query is None:
        return
    message = query.message
    new_markup = inline_markup(part.keyboard)
    if (
        message is not None
        and getattr(message, "text", None) == plain_text(part.html)
        and getattr(message, "reply_markup", None) == new_markup
    ):
        return
    await query.edit_message_text(part.html, reply_markup=new_markup)
