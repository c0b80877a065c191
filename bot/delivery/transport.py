"""The one transport for the Bot API: a python-telegram-bot request backend over aiohttp.

Every Bot this process builds talks HTTP through :func:`bot_api_request`: the Application's
(replies, menus, long polling), the delivery sender's and the doctor's. Why aiohttp and not PTB's
default (httpx): httpx costs about 2.7 ms of CPU per message on our benchmark machine, aiohttp
about 0.3 ms; at a fan-out of 10,000 digests, or 1,000 messages a second with
``allow_paid_broadcast``, that is the difference between one core keeping up and not (figures:
docs/performance.md, "Transport").
Only PTB's public ``BaseRequest`` API is used, so PTB still maps every answer to its error type
(RetryAfter/Forbidden/ChatMigrated/...) and the error policy is the same whichever backend runs.
:meth:`AiohttpRequest.post_json` skips PTB's request encoding (a RequestParameter per field, then
a form body): the sender encodes its JSON once. Behind a proxy :func:`bot_api_request` returns
PTB's own ``HTTPXRequest`` instead, which honours the proxy variables (aiohttp here does not).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import aiohttp
import yarl
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
JSON_HEADERS = {"Content-Type": "application/json"}

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def proxy_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the operator routes HTTPS through a proxy (common where Telegram is blocked)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in PROXY_VARIABLES)


def bot_api_request(pool_size: int, *, timeout: float | None = None) -> BaseRequest:
    """The request backend for a Bot with room for ``pool_size`` requests in flight; ``timeout``
    replaces the default connect and read timeouts (the long poll adds its own wait to the read).

    Behind a proxy: PTB's own httpx backend, which honours the proxy variables.
    """
    connect = DEFAULT_CONNECT_TIMEOUT if timeout is None else timeout
    read = DEFAULT_READ_TIMEOUT if timeout is None else timeout
    if proxy_configured():
        return HTTPXRequest(connection_pool_size=pool_size, connect_timeout=connect,
                            read_timeout=read)
    return AiohttpRequest(pool_size=pool_size, read_timeout=read, connect_timeout=connect)


class JsonBody(RequestData):
    """A request body already encoded as JSON (``AiohttpRequest.post_json``)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body


def _seconds(value: object, default: float) -> float | None:
    """A timeout argument: PTB's "not given" marker means our default; None means no limit."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return None if value is None else float(value)  # type: ignore[arg-type]


class AiohttpRequest(BaseRequest):
    """``BaseRequest.do_request`` over one ``aiohttp.ClientSession`` with a bounded pool."""

    def __init__(
        self,
        *,
        pool_size: int = 16,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, yarl.URL] = {}  # parsed once, not per request
        self._default_timeout = self._timeout(read_timeout, connect_timeout, DEFAULT_POOL_TIMEOUT)

    @staticmethod
    def _timeout(read: float | None, connect: float | None,
                 pool: float | None) -> aiohttp.ClientTimeout:
        total_connect = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=total_connect)

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size)
            )

    async def post_json(self, url: str, body: bytes) -> Any:
        """POST a JSON body as is and return the answer's ``result``; a non-2xx answer raises the
        same TelegramError subclass as any PTB call (``BaseRequest.post`` maps it)."""
        return await self.post(url, JsonBody(body))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        given = (read_timeout, connect_timeout, pool_timeout)
        if all(value is BaseRequest.DEFAULT_NONE for value in given):
            timeout = self._default_timeout
        else:
            timeout = self._timeout(_seconds(read_timeout, self._read_timeout),
                                    _seconds(connect_timeout, self._connect_timeout),
                                    _seconds(pool_timeout, DEFAULT_POOL_TIMEOUT))
        headers: Mapping[str, str] | None = None
        data: Any = None
        if isinstance(request_data, JsonBody):
            data, headers = request_data.body, JSON_HEADERS
        elif request_data is not None:
            data = (_form(request_data) if request_data.contains_files
                    else request_data.json_parameters)
        try:
            async with self._session.request(method, self._url(url), data=data,
                                             headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _url(self, url: str) -> yarl.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) > 64:
                self._urls.clear()
            parsed = self._urls[url] = yarl.URL(url)
        return parsed


def _form(request_data: RequestData) -> aiohttp.FormData:
    """A multipart body for requests that upload files."""
    form = aiohttp.FormData()
    for name, value in request_data.multipart_data.items():
        if isinstance(value, tuple):
            filename, content = value[0], value[1]
            mime = value[2] if len(value) > 2 else None
            form.add_field(name, content, filename=filename, content_type=mime)
        else:
            form.add_field(name, value)
    return form
