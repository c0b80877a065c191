"""/alerts: the responses and warnings in force, each as its latest notice."""

from __future__ import annotations

from telegram import Update

from bot.render.alerts import render_active_alerts
from handlers.common import reply, translator_for
from handlers.context import NewsContext


async def alerts(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    active = await deps.alerts.active()
    await reply(update, render_active_alerts(active, tr, deps.codec, deps.settings.timezone))
