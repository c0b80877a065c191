"""The Telegram Application, assembled once from settings: handlers, services and what runs beside.

This is the composition root, the one place that wires the layers together: it builds the
services the handlers reach through the typed context, the delivery sender and the JobQueue jobs,
registers the command table, and hands PTB the life cycle hooks PTB calls itself —
``post_init`` (migrate, take the one-bot lock, warm up, publish menus, start the components),
``post_stop`` (stop them) and ``post_shutdown`` (give the lock and the database back). ``newsbrief
run`` is then PTB's own ``run_polling`` with PTB's signal handling, or, for a webhook, the same
life cycle around our own small server (bot/app/webhook.py says why); ``newsbrief chat`` drives
the same hooks around an in-process transport. Updates are handled chat by chat
(bot/app/updates.py) and replies paced so a 429 pauses only its chat (bot/app/replies.py).
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
from typing import Any, Protocol
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot.app.jobs import DigestJob, FeedJob, SourceJob
from bot.app.lock_watch import LockWatch
from bot.app.replies import ReplyLimits, ReplyRateLimiter
from bot.app.updates import ChatOrderedUpdates
from bot.app.webhook import WebhookServer
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.limits import DeliveryLimits
from bot.delivery.send_window import SendWindow
from bot.delivery.sender import DeliveryQueue, DeliveryService
from bot.delivery.transport import bot_api_request
from bot.ingest.inbox import Inbox
from bot.ingest.service import IngestService
from bot.services import BotServices, warm_up
from handlers.commands import publish_menus, register_handlers
from handlers.context import CONTEXT_TYPES
from storage.database import Database
from storage.instance_lock import InstanceLock, InstanceLockedError

logger = logging.getLogger("newsbrief.bot")

ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,  # @bot 台风 in any chat (once @BotFather /setinline enables it)
)
TELEGRAM_ROOT = "https://api.telegram.org"
POLL_TIMEOUT_SECONDS = 10
REPLY_POOL_SIZE = 256  # connections for replies, as PTB's default backend has (long polling: 1)
_IMPORTED_AT = time.monotonic()

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class MissingTokenError(ValueError):
    """``newsbrief run`` without TELEGRAM_BOT_TOKEN; the message says how to get one."""

    def __init__(self) -> None:
        super().__init__(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
            "(send it /newbot), then export TELEGRAM_BOT_TOKEN=<the token it gives you> "
            "and run `newsbrief run` again. To try the bot without Telegram, run `newsbrief chat`."
        )


class AppComponent(Protocol):
    """Something that runs alongside the handlers (the delivery sender, the jobs)."""

    async def start(self, application: AnyApplication) -> None: ...

    async def stop(self, application: AnyApplication) -> None: ...


@dataclass(frozen=True)
class WebhookOptions:
    url: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def url_path(self) -> str:
        """The path PTB's web server answers on: the public URL's path (a proxy forwards it)."""
        return urlsplit(self.url).path.strip("/")


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


class NewsBot:
    """The bot as ``newsbrief run`` assembles it: the Application, its services, and the
    components beside the handlers (sender first: the others wake it after they queue pushes).

    ``request`` replaces HTTP for both the handlers and the sender (``newsbrief chat``);
    ``clock`` is the services' clock (tests pass a ManualClock); ``hold_lock`` takes the
    one-bot-per-database lock at start (``newsbrief run``); ``push_request`` gives the sender its
    own transport (``newsbrief chat`` marks what it sends as pushes).
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        token: str | None = None,
        request: BaseRequest | None = None,
        clock: Clock | None = None,
        limits: DeliveryLimits | None = None,
        digest_interval: float | None = None,
        with_updater: bool = True,
        hold_lock: bool = False,
        push_request: BaseRequest | None = None,
    ) -> None:
        token = token or settings.telegram_bot_token
        if not token:
            raise MissingTokenError()
        self.settings = settings
        self.db = db
        self.hold_lock = hold_lock
        self.lock: InstanceLock | None = None
        self.lock_watch: LockWatch | None = None
        self.lost_lock_message: str | None = None  # set when another bot took the lock
        self._stop_webhook: asyncio.Event | None = None  # set: serve_webhook returns
        self.queue = DeliveryQueue(db)
        self.services = BotServices.create(
            settings, db, callback_secret=token, clock=clock, notify=self.queue.notify
        )
        root = (settings.telegram_api_base_url or TELEGRAM_ROOT).rstrip("/")
        # Telegram's messages per second are the bot's: pushes and replies share them
        self.send_window = SendWindow()
        self.delivery = DeliveryService(
            db, token, api_root=root, limits=limits or DeliveryLimits.from_settings(settings),
            queue=self.queue, request=push_request or request, window=self.send_window,
        )
        inbox = (Inbox(settings.inbox, IngestService(db, settings),
                       settle_seconds=settings.inbox_settle_seconds)
                 if settings.inbox is not None else None)
        self.inbox = inbox
        self.digest_job = (DigestJob(self.services.pushes) if digest_interval is None
                           else DigestJob(self.services.pushes, interval=digest_interval))
        self.feed_job = FeedJob(self.services.pushes, inbox=inbox,
                                interval=settings.inbox_poll_seconds)
        self.source_job = SourceJob(self.services.sources, self.services.pushes,
                                    interval=settings.sources_check_seconds)
        self.components: Sequence[AppComponent] = (
            self.delivery, self.digest_job, self.feed_job, self.source_job
        )
        self._started: list[AppComponent] = []
        self.application = self._build(token, root, request, with_updater)

    def _build(self, token: str, root: str, request: BaseRequest | None,
               with_updater: bool) -> AnyApplication:
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            .context_types(CONTEXT_TYPES)
            .defaults(Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=self.settings.timezone,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ))
            # chats answered side by side, each in order; a 429 pauses only its own chat
            .concurrent_updates(ChatOrderedUpdates())
            .rate_limiter(ReplyRateLimiter(ReplyLimits.from_settings(self.settings),
                                           window=self.send_window))
            .post_init(self.startup)
            .post_stop(self.stop)
            .post_shutdown(self.shutdown)
        )
        if request is None:  # the one transport (bot/delivery/transport.py), PTB's pools
            builder = (builder.request(bot_api_request(REPLY_POOL_SIZE))
                       .get_updates_request(bot_api_request(1)))
        else:
            builder = builder.request(request).get_updates_request(request)
        if not with_updater:
            builder = builder.updater(None)
        application: AnyApplication = builder.build()
        application.bot_data.services = self.services
        register_handlers(application, self.settings.admin_ids)
        return application

    # --- life cycle (PTB calls these; ``newsbrief chat`` calls them around its own loop) -------

    async def startup(self, application: AnyApplication) -> None:
        """Before the first update: migrate, lock, warm up, menus, start the components."""
        if self.hold_lock:
            await self.db.upgrade()
            await self.db.check_writable()  # read-only: one line now, not a crash later
            self.lock = await InstanceLock.acquire(self.db, fenced=True,
                                                   now=self.services.clock.now())
            logger.info("holding %s (generation %s)", self.lock.description,
                        self.lock.fence.generation if self.lock.fence else "-")
            self.delivery.fence = self.lock.fence
            self.lock_watch = LockWatch(
                self.db, self.lock, halt=lambda: self._halt(application),
                resume=lambda lock: self._resume(application, lock), give_up=self._give_up,
            )
            self.delivery.on_fenced = self.lock_watch.lost_now
        await warm_up(self.services)
        await publish_menus(application.bot, self.settings.admin_ids)
        await self._start_components(application)
        if self.lock_watch is not None:
            self.lock_watch.start()
        self.services.ready_seconds = process_age_seconds()
        logger.info("@%s is ready %.2f s after process start", application.bot.username,
                    self.services.ready_seconds)

    async def _start_components(self, application: AnyApplication) -> None:
        for component in self.components:
            await component.start(application)
            self._started.append(component)

    async def _halt(self, application: AnyApplication) -> None:
        """The lock was lost: no send starts from now on, then every component stops."""
        self.delivery.halt()
        await self.stop(application)

    async def _resume(self, application: AnyApplication, lock: InstanceLock) -> None:
        """The lock is ours again (a new fencing generation): start the components again."""
        # A halt cut short by a database that did not answer may have left components running:
        # finish stopping them first (the database answers again now), never start them twice.
        await self.stop(application)
        self.lock = lock
        self.delivery.fence = lock.fence
        await self._start_components(application)

    def _give_up(self, message: str) -> None:
        """Another bot holds the lock now: say so once and let the process exit."""
        logger.critical("%s", message)
        self.lost_lock_message = message
        if self._stop_webhook is not None:  # our own webhook server: PTB's run loop is not used
            self._stop_webhook.set()
        else:
            self.application.stop_running()

    async def stop(self, application: AnyApplication) -> None:
        """Stop the components in reverse order (in-flight sends finish and are recorded)."""
        while self._started:
            component = self._started.pop()
            try:
                await component.stop(application)
            except Exception:
                logger.exception("stopping %r failed", component)

    async def shutdown(self, application: AnyApplication) -> None:
        """Last: whatever still runs stops, the lock is released, the database let go."""
        if self.lock_watch is not None:
            await self.lock_watch.stop()
            self.lock = self.lock_watch.lock
            self.lock_watch = None
        await self.stop(application)
        if self.lock is not None:
            await self.lock.release()
            self.lock = None
        await self.db.dispose()

    # --- running ---------------------------------------------------------------------------------

    def run(self, webhook: WebhookOptions | None = None) -> None:
        """Serve until SIGTERM or SIGINT (PTB's run loop), then stop cleanly.

        Raises MissingTokenError, storage.instance_lock.InstanceLockedError, or telegram's
        InvalidToken / NetworkError when Telegram cannot be reached at start-up.
        """
        if webhook is None:
            logger.info("answering by long polling")
            self.application.run_polling(
                timeout=POLL_TIMEOUT_SECONDS, allowed_updates=list(ALLOWED_UPDATES)
            )
            return
        logger.info("answering by webhook %s (listening on %s:%d)", webhook.url, webhook.listen,
                    webhook.port)
        asyncio.run(self.serve_webhook(webhook))

    async def serve_webhook(self, webhook: WebhookOptions) -> None:
        """``run_webhook``'s life cycle around our own server (bot/app/webhook.py says why):
        start, listen, ``setWebhook``, serve until SIGTERM/SIGINT, then stop as PTB would."""
        application = self.application
        stop = self._stop_webhook = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        secret = secrets.token_urlsafe(32)
        server = WebhookServer(application, path=webhook.url_path, secret=secret,
                               listen=webhook.listen, port=webhook.port)
        await application.initialize()
        try:
            await self.startup(application)
            await server.start()  # listening before Telegram is told where to post
            await application.bot.set_webhook(
                webhook.url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES),
            )
            await application.start()
            await stop.wait()
            logger.info("stopping")
        finally:
            await server.stop()
            if application.running:
                await application.stop()
            await self.stop(application)
            await application.shutdown()
            await self.shutdown(application)


def run_bot(settings: Settings, db: Database, *, webhook: WebhookOptions | None = None) -> None:
    """``newsbrief run``: migrate, take the one-bot-per-database lock, serve until a signal.

    The drop folder is checked first (InboxFolderError), before Telegram is contacted."""
    bot = NewsBot(settings, db, hold_lock=True)
    if bot.inbox is not None:
        bot.inbox.ensure_folders()
    bot.run(webhook)
    if bot.lost_lock_message is not None:
        raise InstanceLockedError(bot.lost_lock_message)
