"""What every handler needs: the shared services, the reader's translator, and sending parts."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.render.i18n import Translator
from bot.render.views import MessagePart, plain_text
from bot.services import BotServices

SERVICES_KEY = "newsbrief.services"
FLOOD_RETRIES = 3  # a reply that hits a flood limit waits as told, this many times at most

logger = logging.getLogger(__name__)
T = TypeVar("T")


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


def translator(update: Update) -> Translator:
    """The reader's language decides the strings (and, for traditional, the article script)."""
    user = update.effective_user
    return Translator.for_language(user.language_code if user else None)


def markup(part: MessagePart) -> InlineKeyboardMarkup | None:
    if not part.keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row]
            for row in part.keyboard
        ]
    )


async def reply(update: Update, parts: Sequence[MessagePart]) -> None:
    """Send the parts in order to the chat the update came from (HTML parse mode by default)."""
    chat = update.effective_chat
    if chat is None:
        return
    for part in parts:
        await _flood_safe(lambda part=part: chat.send_message(part.html, reply_markup=markup(part)))


async def edit(update: Update, part: MessagePart) -> None:
    """Replace the pressed message with ``part`` (paging in place); skip when nothing changes,
    which Telegram would refuse (a double tap on ▶ lands on the page already shown)."""
    query = update.callback_query
    if query is None:
        return
    message = query.message
    new_markup = markup(part)
    if (
        message is not None
        and getattr(message, "text", None) == plain_text(part.html)
        and getattr(message, "reply_markup", None) == new_markup
    ):
        return
    await _flood_safe(lambda: query.edit_message_text(part.html, reply_markup=new_markup))


def retry_delay(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB 22 may give int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _flood_safe(call: Callable[[], Awaitable[T]]) -> T:
    """Replies are few and wanted now: on a flood limit wait as long as Telegram says, retry."""
    for attempt in range(FLOOD_RETRIES + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == FLOOD_RETRIES:
                raise
            delay = retry_delay(exc)
            logger.info("flood limit: retrying a reply in %.1f s", delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
