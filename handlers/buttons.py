"""Inline buttons: open an article, or page a list in place. Bad data gets a polite answer."""

from __future__ import annotations

import logging

from telegram import Update

from bot.render.callback_data import (
    CallbackDataError,
    EditionSectionRequest,
    OpenArticle,
    SearchPageRequest,
    SectionPageRequest,
    SectionPicker,
    SetArticleSection,
)
from handlers import views
from handlers.common import edit, reply, translator_for
from handlers.context import NewsContext

logger = logging.getLogger(__name__)


async def on_button(update: Update, context: NewsContext) -> None:
    query = update.callback_query
    if query is None:
        return
    tr, deps = await translator_for(update, context), context.services
    try:
        action = deps.codec.decode(query.data)
    except CallbackDataError as exc:
        logger.info("refused button data %r in chat %s: %s", query.data,
                    update.effective_chat.id if update.effective_chat else None, exc)
        await query.answer(tr.text("callback.expired"))
        return
    user = update.effective_user
    admin = user is not None and user.id in deps.settings.admin_ids
    if isinstance(action, SectionPicker | SetArticleSection) and not admin:
        await query.answer(tr.text("section.admin_only"))  # signed, but not this reader's button
        return
    await query.answer()
    if isinstance(action, OpenArticle):
        await reply(update, await views.article(deps, tr, action.article_id, context.bot.username,
                                                admin=admin))
    elif isinstance(action, SectionPicker):
        await reply(update, [await views.section_picker(deps, tr, action.article_id)])
    elif isinstance(action, SetArticleSection):
        await edit(update, await views.set_section(deps, tr, action))
    elif isinstance(action, SectionPageRequest):
        part = await views.section_page(deps, tr, action.section, action.page)
        await (reply(update, [part]) if action.new_message else edit(update, part))
    elif isinstance(action, EditionSectionRequest):
        part = await views.edition_section_page(deps, tr, action)
        await (reply(update, [part]) if action.new_message else edit(update, part))
    elif isinstance(action, SearchPageRequest):
        await edit(update, await views.search_page(deps, tr, action.query, action.page))
