"""/start (welcome and deep links) and the hidden no-op /ping."""

from __future__ import annotations

from telegram import Update

from bot.render.callback_data import parse_deep_link
from bot.render.parts import MessagePart
from handlers import views
from handlers.common import reply, translator
from handlers.context import NewsContext


async def start(update: Update, context: NewsContext) -> None:
    """Welcome, or open what a deep link names (``?start=sec_econ``, ``a_12``, ``q_...``)."""
    tr, deps = translator(update), context.services
    action = parse_deep_link(context.args[0]) if context.args else None
    if action is not None:
        await reply(update, await views.open_action(deps, tr, action))
        return
    user = update.effective_user
    name = user.first_name if user else ""
    paper = tr.article_text(deps.settings.paper)
    await reply(update, [MessagePart(tr.html("start.welcome", name=name, paper=paper))])


async def ping(update: Update, context: NewsContext) -> None:
    """Answers at once without touching a service: the benchmark's zero-work baseline."""
    await reply(update, [MessagePart(translator(update).html("ping.pong"))])
