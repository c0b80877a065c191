"""The webhook endpoint ``newsbrief run --webhook-url`` serves: a small aiohttp server.

Why not PTB's ``run_webhook``: its tornado handler parses the body with ``json.loads`` outside any
``try``, so a malformed body carrying the right secret is answered 500 (Telegram would retry it
forever, and a 500 reads as a bot fault), and nothing in PTB's public API changes that handler.
PTB documents this way out: an Application without its updater, fed by one's own web server
through ``application.update_queue``. Here:

* only ``POST <path>`` with the right ``X-Telegram-Bot-Api-Secret-Token`` (constant-time
  compare) is read; a wrong or missing secret is 403, another path 404, another method 405;
* bodies over ``MAX_BODY_BYTES`` are 413 before they are read;
* a body that is not JSON, not an object, or not an Update is 400 and reaches no handler;
* a good update is queued and answered 200 at once; an ``update_id`` seen before is dropped by
  the update processor (:class:`bot.app.updates.ChatOrderedUpdates`), so a repeat is 200 too
  (Telegram would otherwise send it again) and handled once.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # Telegram's updates are a few KB; an upload is a file_id

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class WebhookServer:
    """Serves one path on ``listen:port`` and hands updates to ``application``."""

    def __init__(self, application: AnyApplication, *, path: str, secret: str,
                 listen: str = "127.0.0.1", port: int = 8443) -> None:
        self.application = application
        self.path = "/" + path.strip("/")
        self._secret = secret.encode()
        self.listen = listen
        self.port = port
        self.rejected = 0  # bodies answered 400 (tests and diagnostics)
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self.receive)
        if self.path != "/":
            app.router.add_post(self.path + "/", self.receive)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        logger.info("webhook server listening on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def receive(self, request: web.Request) -> web.Response:
        """One POST from Telegram: check the secret, read the update, queue it."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403, text="wrong secret token")
        body = await request.read()
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError) as exc:  # JSON, UTF-8 and Update errors
            self.rejected += 1
            logger.warning("webhook: refused a body that is not an update (%s, %d bytes)",
                           type(exc).__name__, len(body))
            return web.Response(status=400, text="not a Telegram update")
        await self.application.update_queue.put(update)
        return web.Response(status=200)

