"""/status for the operators listed in NEWSBRIEF_ADMIN_IDS."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render.views import MessagePart
from handlers.common import reply, services, translator


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    counts = await deps.browse.section_counts()
    edition = (await deps.browse.latest_edition()).date
    text = tr.html(
        "status.text",
        articles=sum(c.count for c in counts),
        edition=tr.date(edition) if edition else tr.text("status.no_edition"),
        startup=f"{deps.ready_seconds:.2f}" if deps.ready_seconds is not None else "?",
        uptime=_duration(deps.uptime_seconds),
    )
    await reply(update, [MessagePart(text)])


async def not_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin command from someone not in NEWSBRIEF_ADMIN_IDS: a polite no, nothing done."""
    await reply(update, [MessagePart(translator(update).html("admin.not_admin"))])
