"""/lang (alias /language): the reply language of this chat, by argument or by button."""

from __future__ import annotations

import logging

from telegram import Update

from bot.render.callback_data import CallbackDataError, parse_language_data
from bot.render.i18n import echo
from bot.render.parts import MessagePart
from bot.render.settings import language_name, render_language_menu
from bot.subscriptions.language import UnknownLanguageError, parse_language_choice
from handlers.common import edit, reply, translator, translator_for
from handlers.context import NewsContext
from handlers.subscriptions import chat_identity, may_change_settings, refuse_change

logger = logging.getLogger(__name__)

LANGUAGE_PATTERN = r"^l:"


async def lang(update: Update, context: NewsContext) -> None:
    """``/lang`` shows the choice and its buttons; ``/lang en`` (zh-hans, zh-hant, auto) sets it.
    In groups only admins may change it; anyone may look."""
    tr, deps = await translator_for(update, context), context.services
    chat = update.effective_chat
    if chat is None:
        return
    current = await deps.languages.choice(chat.id)
    if not context.args:
        await reply(update, [render_language_menu(tr, current)])
        return
    text = " ".join(context.args)
    try:
        choice = parse_language_choice(text)
    except UnknownLanguageError:
        await reply(update, [MessagePart(tr.html("lang.unknown", text=echo(text)))])
        return
    if not await may_change_settings(update, context):
        await refuse_change(update, tr)
        return
    change = await deps.languages.choose(chat_identity(update), choice)
    new_tr = translator(update, change.choice)  # the answer already speaks the new language
    await reply(update, [MessagePart(new_tr.html(
        "lang.done", language=language_name(new_tr, change.choice)))])


async def on_language_button(update: Update, context: NewsContext) -> None:
    """A ``l:<choice>`` button: set the language and redraw the menu in it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = await translator_for(update, context), context.services
    try:
        choice = parse_language_choice(parse_language_data(query.data))
    except (CallbackDataError, UnknownLanguageError):
        logger.info("refused language data %r in chat %s", query.data, chat.id)
        await query.answer(tr.text("callback.expired"))
        return
    if not await may_change_settings(update, context):
        await refuse_change(update, tr)
        return
    change = await deps.languages.choose(chat_identity(update), choice)
    new_tr = translator(update, change.choice)
    await query.answer(new_tr.text("lang.done_short",
                                   language=language_name(new_tr, change.choice)))
    await edit(update, render_language_menu(new_tr, change.choice))
