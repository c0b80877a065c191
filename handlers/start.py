"""/start (welcome and deep links), /help, and the hidden no-op /ping."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render.callback_data import parse_deep_link
from bot.render.views import MessagePart, render_help
from handlers import views
from handlers.common import reply, services, translator


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome, or open what a deep link names (``?start=sec_econ``, ``a_12``, ``q_...``)."""
    tr, deps = translator(update), services(context)
    action = parse_deep_link(context.args[0]) if context.args else None
    if action is not None:
        await reply(update, await views.open_action(deps, tr, action))
        return
    user = update.effective_user
    name = user.first_name if user else ""
    paper = tr.article_text(deps.settings.paper)
    await reply(update, [MessagePart(tr.html("start.welcome", name=name, paper=paper))])


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every command this reader can use here, from the one command table."""
    from handlers.commands import menu_for  # the table imports this module

    tr = translator(update)
    chat = update.effective_chat
    user = update.effective_user
    is_admin = user is not None and user.id in services(context).settings.admin_ids
    private = chat is not None and chat.type == chat.PRIVATE
    entries = [(c.name, tr.text(c.description_key)) for c in menu_for(private, is_admin)]
    await reply(update, [render_help(tr, entries)])


async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers at once without touching a service: the benchmark's zero-work baseline."""
    await reply(update, [MessagePart(translator(update).html("ping.pong"))])
