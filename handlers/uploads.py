"""Pages that admins send the bot as documents: ingested, then pushed like any other page."""

from __future__ import annotations

from telegram import Update

from bot.ingest.uploads import UploadRefusedError, check_upload
from bot.render.parts import MessagePart
from bot.render.views import render_upload_summary
from handlers.common import reply, translator_for
from handlers.context import NewsContext


async def upload(update: Update, context: NewsContext) -> None:
    """A document in a private chat: admins' pages are ingested; anyone else is told no."""
    tr, deps = await translator_for(update, context), context.services
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
        summary = await deps.uploads.ingest_upload(name, data, message.caption)
    except UploadRefusedError as exc:
        await reply(update, [MessagePart(tr.html("upload.refused", reason=exc.reason))])
        return
    await deps.pushes.after_ingest()  # alert and watch notices now, not at the next tick
    await reply(update, [render_upload_summary(summary, tr)])
