"""The views a command, a deep link and a button can all open: one service call, one render.

Shared so `/section 经济`, `?start=sec_econ` and the 经济 button show exactly the same thing.
"""

from __future__ import annotations

from telegram.helpers import create_deep_linked_url

from bot.render.callback_data import (
    ButtonAction,
    EditionSectionRequest,
    OpenArticle,
    SearchPageRequest,
    SectionPageRequest,
    SetArticleSection,
)
from bot.render.i18n import Translator
from bot.render.views import (
    RESULTS_PER_PAGE,
    MessagePart,
    ShareLinks,
    render_article,
    render_edition_section_page,
    render_search_page,
    render_section_page,
    render_section_picker,
    render_section_set,
    render_teaser,
)
from bot.search.browse import TEASER
from bot.search.query import QueryError
from bot.services import BotServices


def share_links(services: BotServices, bot_username: str | None, article_id: int
                ) -> ShareLinks | None:
    """The article's signed deep link and share query (None when the bot has no username)."""
    if not bot_username:
        return None
    payload = services.codec.share_payload(article_id)
    return ShareLinks(create_deep_linked_url(bot_username, payload), payload)


async def article(
    services: BotServices, tr: Translator, article_id: int, bot_username: str | None = None,
    *, admin: bool = False,
) -> list[MessagePart]:
    """An article with its share link (and, for an admin, the 版块 button); a 导读 teaser opens
    the article it announces, or says what it is when that article is not in the store."""
    found = await services.browse.article(article_id)
    if found is None:
        return [MessagePart(tr.html("article.not_found"))]
    if found.kind == TEASER:
        target = await services.browse.teaser_target(found)
        if target is None:
            return [render_teaser(found, tr)]
        found = target
    return render_article(found, tr, share_links(services, bot_username, found.id),
                          services.codec if admin else None)


async def section_picker(services: BotServices, tr: Translator, article_id: int) -> MessagePart:
    found = await services.browse.article(article_id)
    if found is None:
        return MessagePart(tr.html("article.not_found"))
    return render_section_picker(found, tr, services.codec)


async def set_section(
    services: BotServices, tr: Translator, request: SetArticleSection
) -> MessagePart:
    found = await services.browse.set_section(request.article_id, request.section)
    if found is None:
        return MessagePart(tr.html("article.not_found"))
    return render_section_set(found, tr)


async def section_page(
    services: BotServices, tr: Translator, section: str, page: int
) -> MessagePart:
    result = await services.browse.section(
        section, limit=RESULTS_PER_PAGE, offset=page * RESULTS_PER_PAGE
    )
    return render_section_page(result, page, tr, services.codec)


async def edition_section_page(
    services: BotServices, tr: Translator, request: EditionSectionRequest
) -> MessagePart:
    result = await services.browse.edition_section(
        request.section, request.edition, limit=RESULTS_PER_PAGE,
        offset=request.page * RESULTS_PER_PAGE,
    )
    return render_edition_section_page(result, request.page, tr, services.codec)


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
    services: BotServices, tr: Translator, action: ButtonAction, bot_username: str | None = None
) -> list[MessagePart]:
    """The messages a deep link or button opens, as new messages."""
    if isinstance(action, OpenArticle):
        return await article(services, tr, action.article_id, bot_username)
    if isinstance(action, SectionPageRequest):
        return [await section_page(services, tr, action.section, action.page)]
    if isinstance(action, EditionSectionRequest):
        return [await edition_section_page(services, tr, action)]
    if isinstance(action, SearchPageRequest):
        return [await search_page(services, tr, action.query, action.page)]
    raise TypeError(f"unknown action {action!r}")
