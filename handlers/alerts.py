"""/alerts, and pages that admins send as documents."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.alerts.notices import render_active_alerts
from bot.alerts.state import AlertQueryService
from bot.app.jobs import JOB_NAME, AlertJobs
from bot.ingest.uploads import UploadRefusedError, UploadService, check_upload
from bot.render.i18n import Html
from bot.render.views import MessagePart
from handlers.common import reply, services, translator

logger = logging.getLogger(__name__)

UPLOAD_TITLES_SHOWN = 20


async def alerts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The responses and warnings in force, each as its latest notice."""
    tr, deps = translator(update), services(context)
    active = await AlertQueryService(deps.db, deps.settings.timezone).active()
    await reply(update, render_active_alerts(active, tr, deps.codec, deps.settings.timezone))


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in a private chat: admins' pages are ingested; anyone else is told no."""
    tr, deps = translator(update), services(context)
    message, user = update.effective_message, update.effective_user
    if message is None or message.document is None:
        return
    if user is None or user.id not in deps.settings.admin_ids:
        await reply(update, [MessagePart(tr.html("upload.not_admin"))])
        return
    document = message.document
    try:
        name = check_upload(document.file_name, document.file_size)
        telegram_file = await document.get_file()
        data = bytes(await telegram_file.download_as_bytearray())
        summary = await UploadService(deps.db, deps.settings).ingest_upload(
            name, data, message.caption
        )
    except UploadRefusedError as exc:
        await reply(update, [MessagePart(tr.html("upload.refused", reason=exc.reason))])
        return
    jobs: AlertJobs | None = context.application.bot_data.get(JOB_NAME)
    if jobs is not None:
        await jobs.after_ingest()
    lines = [tr.html("upload.done", name=summary.file_name, new=summary.articles_new,
                     duplicate=summary.articles_duplicate, alerts=summary.alerts_new)]
    titles = summary.new_titles[:UPLOAD_TITLES_SHOWN]
    lines += [tr.html("upload.title", title=tr.article_text(title)) for title in titles]
    if len(summary.new_titles) > len(titles):
        lines.append(tr.html("upload.more", count=len(summary.new_titles) - len(titles)))
    await reply(update, [MessagePart(Html("\n".join(lines)))])
