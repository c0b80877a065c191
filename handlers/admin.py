"""/status for the operators listed in NEWSBRIEF_ADMIN_IDS."""

from __future__ import annotations

from telegram import Update

from bot.render.i18n import Html
from bot.render.parts import MessagePart
from bot.version import package_version
from handlers.common import reply, translator_for
from handlers.context import NewsContext


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


async def status(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    counts = await deps.browse.section_counts()
    edition = (await deps.browse.latest_edition()).date
    text = tr.html(
        "status.text",
        articles=sum(c.count for c in counts),
        edition=tr.date(edition) if edition else tr.text("status.no_edition"),
        startup=f"{deps.ready_seconds:.2f}" if deps.ready_seconds is not None else "?",
        uptime=_duration(deps.uptime_seconds),
    )
    version = tr.html("status.version", version=package_version())
    await reply(update, [MessagePart(Html(f"{text}\n{version}"))])


async def not_admin(update: Update, context: NewsContext) -> None:
    """An admin command from someone not in NEWSBRIEF_ADMIN_IDS: a polite no, nothing done."""
    tr = await translator_for(update, context)
    await reply(update, [MessagePart(tr.html("admin.not_admin"))])
