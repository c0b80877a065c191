"""The last resort: log with context, tell the reader something went wrong, leak nothing."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.common import translator, translator_for
from handlers.context import NewsContext
from storage.database import DatabaseBusyError, DatabaseFullError

logger = logging.getLogger("newsbrief.errors")

# Errors the operator can act on, logged in one line, and what the reader is told about each.
_EXPLAINED: dict[type[Exception], str] = {
    DatabaseFullError: "error.disk_full",
    DatabaseBusyError: "error.busy",
}


async def on_error(update: object, context: NewsContext) -> None:
    chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat \
        else None
    update_id = update.update_id if isinstance(update, Update) else None
    explained = next(
        (key for kind, key in _EXPLAINED.items() if isinstance(context.error, kind)), None
    )
    logger.error(
        "error handling update %s in chat %s%s", update_id, chat_id,
        f": {context.error}" if explained else "",
        exc_info=None if explained else context.error,  # the operator's problem: one line
        extra={"chat_id": chat_id, "update_id": update_id},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:  # the store may be what failed: then the client's language will do
        tr = await translator_for(update, context)
    except Exception:
        tr = translator(update)
    if update.callback_query is not None:  # stop the button's spinner; it may be answered already
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await update.effective_chat.send_message(
            tr.html(explained or "error.generic")
        )
    except TelegramError as exc:  # blocked, kicked, flood-limited: nothing more to do
        logger.warning("could not tell chat %s about the error: %s", chat_id, exc)
