"""What every handler needs: the reader's translator, and sending parts as replies or edits.

Replies go through the Application's rate limiter (``bot.app.replies.ReplyRateLimiter``), which
paces them within Telegram's limits and retries a 429 as told (pausing only that chat), so no
handler waits or retries by itself. A reply is a handler's last step: once it is queued there, the
chat's next update may already start (``bot.app.updates.hand_over_chat``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram import Update

from bot.render.html_text import plain_text
from bot.render.i18n import Translator
from bot.render.parts import MessagePart, inline_markup
from handlers.context import NewsContext


def translator(update: Update, choice: str | None = None) -> Translator:
    """The reader's language decides the strings (and, for traditional, the article script):
    the chat's /lang ``choice`` when there is one, else the Telegram client's language."""
    user = update.effective_user
    return Translator.for_language(choice or (user.language_code if user else None))


async def translator_for(update: Update, context: NewsContext) -> Translator:
    """:func:`translator` with the chat's stored /lang choice (an inline query, which has no
    chat, uses the choice made in the reader's private chat: its id is the user's)."""
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else (user.id if user is not None else None)
    choice = await context.services.languages.choice(chat_id) if chat_id is not None else None
    return translator(update, choice)


async def reply(update: Update, parts: Sequence[MessagePart]) -> None:
    """Send the parts in order to the chat the update came from (HTML parse mode by default).

    Every part is queued in the reply pacer before any is awaited (tasks start in the order they
    are made): the chat's next update may start as soon as the first is queued, and its reply must
    not slip in between. After a failed part the later ones are not sent (the pacer withdraws
    them; cancelling here covers this coroutine's own cancellation)."""
    chat = update.effective_chat
    if chat is None:
        return
    sends = [asyncio.ensure_future(chat.send_message(
        part.html, reply_markup=inline_markup(part.keyboard),
        disable_notification=part.silent or None)) for part in parts]
    try:
        for send in sends:
            await send
    finally:
        for send in sends:
            if not send.done():
                send.cancel()
            elif not send.cancelled():
                send.exception()  # retrieved: only the first failure is raised, and reported


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
