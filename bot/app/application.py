"""The Telegram Application: assembled once from settings, run by polling, webhook or locally.

This is the composition root (the one place in ``bot/`` that imports ``handlers``): it builds the
services, registers the command table and runs the life cycle. Other parts of the program that must
live as long as the bot (the delivery sender, schedulers) plug in as :class:`AppService` objects:

    build_application(settings, db, services=[DeliveryService(...)])

Each one's ``start(application)`` runs after the warm-up and menus, before the first update is
answered; ``stop(application)`` runs in reverse order when the bot stops (SIGTERM, SIGINT).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.config import Settings
from bot.services import BotServices, warm_up
from handlers.commands import publish_menus, register_handlers
from handlers.common import SERVICES_KEY
from storage.database import Database

logger = logging.getLogger("newsbrief.bot")

LIFECYCLE_KEY = "newsbrief.lifecycle"
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)
TELEGRAM_ROOT = "https://api.telegram.org"
POLL_TIMEOUT_SECONDS = 10
_IMPORTED_AT = time.monotonic()


class MissingTokenError(ValueError):
    """``newsbrief run`` without TELEGRAM_BOT_TOKEN; the message says how to get one."""

    def __init__(self) -> None:
        super().__init__(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
            "(send it /newbot), then export TELEGRAM_BOT_TOKEN=<the token it gives you> "
            "and run `newsbrief run` again. To try the bot without Telegram, run `newsbrief chat`."
        )


class AppService(Protocol):
    """Something that runs alongside the bot (delivery sender, scheduler jobs, ...)."""

    async def start(self, application: Application) -> None: ...

    async def stop(self, application: Application) -> None: ...


@dataclass(frozen=True)
class WebhookOptions:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def url_path(self) -> str:
        """The path PTB's web server answers on: the public URL's path (a proxy forwards it)."""
        return urlsplit(self.url).path.strip("/")


def bot_services(application: Application) -> BotServices:
    return application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


def process_age_seconds() -> float:
    """Seconds since this process started (Linux /proc), else since this module was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rpartition(")")[2].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT


def build_application(
    settings: Settings,
    db: Database,
    *,
    services: Sequence[AppService] = (),
    request: BaseRequest | None = None,
    token: str | None = None,
    with_updater: bool = True,
) -> Application:
    """The bot with every handler registered. ``request`` replaces HTTP (``newsbrief chat``)."""
    token = token or settings.telegram_bot_token
    if not token:
        raise MissingTokenError()
    root = (settings.telegram_api_base_url or TELEGRAM_ROOT).rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.timezone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(on_startup)
        .post_stop(on_stop)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = BotServices.create(settings, db, callback_secret=token)
    application.bot_data[LIFECYCLE_KEY] = list(services)
    register_handlers(application, settings.admin_ids)
    return application


async def on_startup(application: Application) -> None:
    """Warm up, publish the menus, start the attached services — all before the first update."""
    deps = bot_services(application)
    await warm_up(deps)
    await publish_menus(application.bot, deps.settings.admin_ids)
    for service in application.bot_data[LIFECYCLE_KEY]:
        await service.start(application)
    deps.ready_seconds = process_age_seconds()


async def on_stop(application: Application) -> None:
    for service in reversed(application.bot_data[LIFECYCLE_KEY]):
        try:
            await service.stop(application)
        except Exception:
            logger.exception("stopping %r failed", service)


async def serve(application: Application, *, webhook: WebhookOptions | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly: updater, handlers, services, connections."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = (signal.SIGTERM, signal.SIGINT)
    for signum in handled:
        loop.add_signal_handler(signum, stop.set)
    updater = application.updater
    assert updater is not None, "serve() needs an Application built with an updater"
    try:
        await application.initialize()
        try:
            await on_startup(application)
            if webhook is None:
                await updater.start_polling(
                    timeout=POLL_TIMEOUT_SECONDS, allowed_updates=list(ALLOWED_UPDATES)
                )
                mode = "long polling"
            else:
                await updater.start_webhook(
                    listen=webhook.listen,
                    port=webhook.port,
                    url_path=webhook.url_path,
                    webhook_url=webhook.url,
                    secret_token=secrets.token_urlsafe(32),
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                mode = f"webhook {webhook.url} (listening on {webhook.listen}:{webhook.port})"
            await application.start()
            deps = bot_services(application)
            logger.info(
                "@%s is answering by %s; ready %.2f s after process start",
                application.bot.username, mode, deps.ready_seconds or 0.0,
            )
            await stop.wait()
            logger.info("stopping (signal received)")
        finally:
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            await on_stop(application)
            await application.shutdown()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)


def standard_services(settings: Settings, db: Database) -> list[AppService]:
    """What runs beside the handlers in ``newsbrief run``, in start order: the sender first (the
    others wake it after they queue pushes), then digests and watches, then inbox and alerts."""
    from bot.app.jobs import AlertJobs
    from bot.delivery.sender import DeliveryService
    from bot.subscriptions.digest_jobs import DigestJobs, DigestOptions

    if not settings.telegram_bot_token:
        raise MissingTokenError()
    delivery = DeliveryService(
        db, settings.telegram_bot_token,
        api_root=(settings.telegram_api_base_url or TELEGRAM_ROOT),
    )
    notify = delivery.queue.notify
    return [
        delivery,
        DigestJobs(DigestOptions.from_settings(settings), notify=notify),
        AlertJobs(notify=notify),
    ]


async def run_bot(
    settings: Settings,
    db: Database,
    *,
    webhook: WebhookOptions | None = None,
    services: Sequence[AppService] = (),
) -> None:
    """``newsbrief run``: migrate, take the one-bot-per-database lock, serve until a signal.

    Raises MissingTokenError, storage.instance_lock.InstanceLockedError, or telegram's
    InvalidToken / NetworkError when Telegram cannot be reached at start-up.
    """
    from storage.instance_lock import InstanceLock

    if not settings.telegram_bot_token:
        raise MissingTokenError()
    try:
        await db.upgrade()
        lock = await InstanceLock.acquire(db)
        try:
            logger.info("holding %s", lock.description)
            application = build_application(settings, db, services=services)
            await serve(application, webhook=webhook)
        finally:
            await lock.release()
    finally:
        await db.dispose()
