"""/sources and /source_add for admins, and the pause / resume / remove buttons of the list."""

from __future__ import annotations

from telegram import Update

from bot.render.callback_data import CallbackDataError
from bot.render.parts import MessagePart
from bot.render.sources import (
    SOURCES_PREFIX,
    parse_source_action,
    render_pressed_sources,
    render_source_messages,
)
from bot.sources.fetch import UnsupportedSchemeError
from bot.sources.service import SourceExistsError, SourceInputError
from handlers.common import edit, reply, translator_for
from handlers.context import NewsContext

SOURCES_PATTERN = rf"^{SOURCES_PREFIX}"


async def sources(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    listed = await deps.sources.sources()
    await reply(update, render_source_messages(listed, tr, deps.settings.timezone))


async def source_add(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    if len(context.args or []) != 1:
        await reply(update, [MessagePart(tr.html("source_add.usage"))])
        return
    try:
        added = await deps.sources.add(context.args[0])
    except UnsupportedSchemeError:
        await reply(update, [MessagePart(tr.html("source_add.bad_url"))])
        return
    except SourceExistsError:
        await reply(update, [MessagePart(tr.html("source_add.exists"))])
        return
    except SourceInputError:
        await reply(update, [MessagePart(tr.html("source_add.usage"))])
        return
    await reply(update, [MessagePart(tr.html(
        "source_add.done", id=added.id, url=added.url, every=f"{added.every_minutes:g}"))])


async def on_sources_button(update: Update, context: NewsContext) -> None:
    """Pause, resume or remove; the presser must be an admin (the data itself is unsigned)."""
    query, user = update.callback_query, update.effective_user
    if query is None:
        return
    tr, deps = await translator_for(update, context), context.services
    if user is None or user.id not in deps.settings.admin_ids:
        await query.answer(tr.text("admin.not_admin"))
        return
    try:
        press = parse_source_action(query.data)
    except CallbackDataError:
        await query.answer(tr.text("callback.expired"))
        return
    if press.action == "remove":
        done = await deps.sources.remove(press.source_id)
    else:
        done = await deps.sources.set_paused(press.source_id, press.action == "pause") is not None
    answers = {"remove": "sources.removed", "pause": "sources.paused", "resume": "sources.resumed"}
    await query.answer(tr.text(answers[press.action], id=press.source_id) if done
                       else tr.text("callback.expired"))
    listed = await deps.sources.sources()
    markup = getattr(query.message, "reply_markup", None)
    button_data = [button.callback_data
                   for row in (markup.inline_keyboard if markup is not None else ())
                   for button in row]
    await edit(update, render_pressed_sources(listed, button_data, press.source_id, tr,
                                              deps.settings.timezone))
