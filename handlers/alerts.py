"""/alerts: the responses and warnings in force, each as its latest notice, then those not
reported lately (never shown as in force)."""

from __future__ import annotations

from telegram import Update

from bot.render.alerts import render_active_alerts
from handlers.common import reply, translator_for
from handlers.context import NewsContext


async def alerts(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    overview = await deps.alerts.overview()
    await reply(update, render_active_alerts(
        overview.in_force, tr, deps.codec, deps.settings.timezone, stale=overview.stale
    ))
