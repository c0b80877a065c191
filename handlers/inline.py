"""Inline mode: ``@bot 台风`` in any chat answers with articles the reader can post there.

The same search as /search, ranked the same way, 20 results an answer and ``next_offset`` for more
(Telegram takes at most 50); an empty query lists the latest edition's headlines, and a share
payload (the "share" button's query) finds exactly its article. Results depend on who asks (their
language, or their /lang choice, decides the strings and the script), so they are cached per user
(``is_personal``) and briefly (``cache_time``): the archive grows every day. A query search refuses
gets no results, never an API error.
"""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions, Update
from telegram.constants import ParseMode

from bot.render.callback_data import DeepLinkError, OpenArticle
from bot.render.i18n import Translator
from bot.render.inline import InlineArticle, headline_description, render_inline_article
from bot.render.parts import inline_markup
from bot.search.inline import InlineMatch, inline_page
from bot.services import BotServices
from handlers.common import translator_for
from handlers.context import NewsContext
from handlers.views import share_links

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
    page = await inline_page(
        services.browse, services.search, text, offset,
        shared_article=_shared_article(services, text),
        page_size=INLINE_PAGE_SIZE, max_offset=MAX_INLINE_OFFSET,
    )
    results = [
        render_inline_article(match.article, tr, _description(match, tr),
                              share_links(services, bot_username, match.article.id))
        for match in page.matches
    ]
    return results, "" if page.next_offset is None else str(page.next_offset)


def _description(match: InlineMatch, tr: Translator) -> str:
    if match.snippet is None:
        return headline_description(match.article, tr)
    return " ".join(tr.article_text(match.snippet).split())


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
