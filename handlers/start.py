"""/start (welcome and deep links), the hidden no-op /ping, and commands nobody registered."""

from __future__ import annotations

import logging

from telegram import Update

from bot.render.callback_data import DeepLinkError
from bot.render.parts import MessagePart
from handlers import views
from handlers.common import reply, translator_for
from handlers.context import NewsContext

logger = logging.getLogger(__name__)


async def start(update: Update, context: NewsContext) -> None:
    """Welcome, or open what a deep link names (``?start=sec_econ``, ``a_12_<tag>``, ``q_...``);
    a payload we did not make (forged, cut short, overflowing) gets a polite answer."""
    tr, deps = await translator_for(update, context), context.services
    if context.args:
        try:
            action = deps.codec.decode_start(context.args[0])
        except DeepLinkError as exc:
            logger.info("refused /start payload %r: %s", context.args[0][:80], exc)
            await reply(update, [MessagePart(tr.html("start.bad_link"))])
            return
        await reply(update, await views.open_action(deps, tr, action, context.bot.username))
        return
    user = update.effective_user
    name = user.first_name if user else ""
    paper = tr.article_text(deps.settings.paper)
    await reply(update, [MessagePart(tr.html("start.welcome", name=name, paper=paper))])


async def ping(update: Update, context: NewsContext) -> None:
    """Answers at once without touching a service: the benchmark's zero-work baseline."""
    await reply(update, [MessagePart((await translator_for(update, context)).html("ping.pong"))])
