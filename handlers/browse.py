"""/today, /sections and /section NAME."""

from __future__ import annotations

from telegram import Update

from bot.render.callback_data import SECTION_SLUGS
from bot.render.i18n import echo
from bot.render.views import MessagePart, render_sections_menu, render_today
from bot.text.sections import SECTIONS, resolve_section_name
from handlers import views
from handlers.common import reply, translator_for
from handlers.context import NewsContext


async def today(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    edition = await deps.browse.latest_edition()
    await reply(update, [render_today(edition, tr, deps.codec, deps.settings.paper)])


async def sections(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    counts = await deps.browse.section_counts()
    await reply(update, [render_sections_menu(counts, tr, deps.codec)])


async def section(update: Update, context: NewsContext) -> None:
    """``/section 经济`` (or 經濟, econ ...); without a name, the sections menu."""
    tr, deps = await translator_for(update, context), context.services
    if not context.args:
        await sections(update, context)
        return
    name = " ".join(context.args)
    canonical = resolve_section_name(name)
    if canonical is None:
        choices = " ".join(f"{tr.section(s)}({SECTION_SLUGS[s]})" for s in SECTIONS)
        await reply(update, [MessagePart(tr.html("section.unknown", name=echo(name),
                                                 choices=choices))])
        return
    await reply(update, [await views.section_page(deps, tr, canonical, 0)])
