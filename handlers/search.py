"""/search WORDS, and in private chats any plain text."""

from __future__ import annotations

from telegram import Update

from bot.render.parts import MessagePart
from handlers import views
from handlers.common import reply, translator_for
from handlers.context import NewsContext


async def search_command(update: Update, context: NewsContext) -> None:
    tr = await translator_for(update, context)
    query = " ".join(context.args or ())
    if not query.strip():
        await reply(update, [MessagePart(tr.html("search.usage"))])
        return
    await reply(update, [await views.search_page(context.services, tr, query, 0)])


async def search_text(update: Update, context: NewsContext) -> None:
    """A private chat's plain message is a search (groups never get here: see the table)."""
    message = update.effective_message
    query = (message.text or "").strip() if message else ""
    if query:
        tr = await translator_for(update, context)
        await reply(update, [await views.search_page(context.services, tr, query, 0)])
