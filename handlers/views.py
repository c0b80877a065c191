"""The views a command, a deep link and a button can all open: one service call, one render.

Shared so `/section 经济`, `?start=sec_econ` and the 经济 button show exactly the same thing.
"""

from __future__ import annotations

from bot.render.callback_data import (
    ButtonAction,
    OpenArticle,
    SearchPageRequest,
    SectionPageRequest,
)
from bot.render.i18n import Translator
from bot.render.views import (
    RESULTS_PER_PAGE,
    MessagePart,
    render_article,
    render_search_page,
    render_section_page,
)
from bot.search.query import QueryError
from bot.services import BotServices


async def article(services: BotServices, tr: Translator, article_id: int) -> list[MessagePart]:
    found = await services.browse.article(article_id)
    if found is None:
        return [MessagePart(tr.html("article.not_found"))]
    return render_article(found, tr)


async def section_page(
    services: BotServices, tr: Translator, section: str, page: int
) -> MessagePart:
    result = await services.browse.section(
        section, limit=RESULTS_PER_PAGE, offset=page * RESULTS_PER_PAGE
    )
    return render_section_page(result, page, tr, services.codec)


async def search_page(services: BotServices, tr: Translator, query: str, page: int) -> MessagePart:
    try:
        result = await services.search.search(
            query, limit=RESULTS_PER_PAGE, offset=page * RESULTS_PER_PAGE
        )
    except QueryError as exc:
        return MessagePart(tr.html("search.error", reason=query_error_text(tr, exc)))
    return render_search_page(result, page, tr, services.codec)


def query_error_text(tr: Translator, exc: QueryError) -> str:
    """The localised reason a query was refused (the exception carries a key and its params)."""
    return tr.text(f"query.{exc.key}", **exc.params)


async def open_action(
    services: BotServices, tr: Translator, action: ButtonAction
) -> list[MessagePart]:
    """The messages a deep link or button opens, as new messages."""
    if isinstance(action, OpenArticle):
        return await article(services, tr, action.article_id)
    if isinstance(action, SectionPageRequest):
        return [await section_page(services, tr, action.section, action.page)]
    if isinstance(action, SearchPageRequest):
        return [await search_page(services, tr, action.query, action.page)]
    raise TypeError(f"unknown action {action!r}")
