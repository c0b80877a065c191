"""Inline mode: ``@bot 台风`` in any chat answers with articles the reader can post there.

The same search as /search, ranked the same way, 20 results an answer and ``next_offset`` for more
(Telegram takes at most 50); an empty query lists the latest edition's headlines, and a share
payload (the "share" button's query) finds exactly its article. Results depend on who asks (their
language, or their /lang choice, decides the strings and the script), so they are cached per user
(``is_personal``) and briefly (``cache_time``): the archive grows every day. A query search refuses
gets no results, never an API error.
"""

from __future__ import annotations

import logging

from telegram import InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions, Update
from telegram.constants import ParseMode

from bot.render.callback_data import DeepLinkError, OpenArticle
from bot.render.i18n import Translator
from bot.render.inline import InlineArticle, headline_description, render_inline_article
from bot.render.parts import inline_markup
from bot.search.browse import TEASER
from bot.search.query import QueryError
from bot.services import BotServices
from handlers.common import translator_for
from handlers.context import NewsContext
from handlers.views import share_links
from storage.models import Article

logger = logging.getLogger(__name__)

INLINE_PAGE_SIZE = 20  # Telegram allows 50; 20 keeps an answer small and quick
MAX_INLINE_OFFSET = 500  # paging stops here: nobody scrolls further in an inline list
INLINE_CACHE_SECONDS = 60  # new pages arrive daily; a minute spares repeated keystrokes


def parse_offset(text: str) -> int:
    """The client's ``offset`` (ours, echoed back, or anything a client makes up) → 0..max."""
    if text.isascii() and text.isdigit() and len(text) <= 4:
        return min(int(text), MAX_INLINE_OFFSET)
    return 0


async def inline_results(
    services: BotServices, tr: Translator, text: str, offset: int, bot_username: str | None
) -> tuple[list[InlineArticle], str]:
    """The results for one inline query and the next offset ("" when there are no more)."""
    found: list[tuple[Article, str]] = []
    total = 0
    shared = _shared_article(services, text)
    if shared is not None:
        article = await services.browse.article(shared) if offset == 0 else None
        if article is not None and article.kind != TEASER:
            found, total = [(article, headline_description(article, tr))], 1
    elif not text:
        articles, total = await services.browse.headlines(limit=INLINE_PAGE_SIZE, offset=offset)
        found = [(a, headline_description(a, tr)) for a in articles]
    else:
        try:
            page = await services.search.search(text, limit=INLINE_PAGE_SIZE, offset=offset)
        except QueryError as exc:
            logger.info("inline query %r refused: %s", text[:80], exc.key)
            return [], ""
        total = page.total
        snippets = {hit.id: " ".join(tr.article_text(hit.snippet).split()) for hit in page.results}
        articles = await services.browse.articles([hit.id for hit in page.results])
        found = [(a, snippets[a.id]) for a in articles if a.kind != TEASER]
    results = [
        render_inline_article(article, tr, description, share_links(services, bot_username,
                                                                    article.id))
        for article, description in found
    ]
    following = offset + INLINE_PAGE_SIZE
    next_offset = str(following) if following < total and following <= MAX_INLINE_OFFSET else ""
    return results, next_offset


def _shared_article(services: BotServices, text: str) -> int | None:
    if not text.startswith("a_"):
        return None
    try:
        action = services.codec.decode_start(text)
    except DeepLinkError:
        return None
    return action.article_id if isinstance(action, OpenArticle) else None


async def inline_query(update: Update, context: NewsContext) -> None:
    query = update.inline_query
    if query is None:
        return
    tr = await translator_for(update, context)
    results, next_offset = await inline_results(
        context.services, tr, query.query.strip(), parse_offset(query.offset),
        context.bot.username,
    )
    await query.answer(
        [
            InlineQueryResultArticle(
                id=result.id,
                title=result.title,
                description=result.description or None,
                input_message_content=InputTextMessageContent(
                    result.html, parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                reply_markup=inline_markup(result.keyboard),
            )
            for result in results
        ],
        cache_time=INLINE_CACHE_SECONDS,
        is_personal=True,
        next_offset=next_offset or None,  # PTB's ExtBot posts "" as "[]": leave it out instead
    )
