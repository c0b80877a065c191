"""A python-telegram-bot request backend over aiohttp, for the delivery sender's Bot.

Why: PTB's default backend (httpx) costs about 2 ms of CPU per request on our benchmark machine,
aiohttp about 0.4 ms; at a fan-out of 10,000 digests that is the difference between meeting the
1 ms-per-message budget and missing it five times over. PTB still maps answers to errors
(RetryAfter/Forbidden/ChatMigrated/...), so the sender's error policy is the same whichever backend
is used. :meth:`AiohttpRequest.post_json` also skips PTB's request encoding (a RequestParameter
per field, then a form body) and aiohttp's per-request machinery: the sender's JSON body, encoded
once, goes over a minimal keep-alive client (``bot/delivery/keepalive_http.py``). aiohttp is
optional: without it, :func:`delivery_request` falls back to PTB's own ``HTTPXRequest``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.delivery.keepalive_http import HttpProtocolError, KeepAliveClient

try:  # optional: see delivery_request()
    import aiohttp
    import yarl
except ImportError:  # pragma: no cover - depends on the environment
    aiohttp = None  # type: ignore[assignment]

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_WRITE_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def proxy_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the operator routes HTTPS through a proxy (common where Telegram is blocked)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in PROXY_VARIABLES)


def delivery_request(pool_size: int) -> BaseRequest:
    """The cheapest available request backend with room for ``pool_size`` sends in flight.

    The keep-alive client speaks to Telegram directly and knows no proxies, so behind a proxy the
    sender uses PTB's own httpx backend, which honours the proxy variables like the handlers do.
    """
    if aiohttp is not None and not proxy_configured():
        return AiohttpRequest(pool_size=pool_size)
    return HTTPXRequest(connection_pool_size=pool_size)


class JsonBody(RequestData):
    """A request body already encoded as JSON (``AiohttpRequest.post_json``)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body


def _value(value: ODVInput[float], default: float) -> float | None:
    return default if value is DEFAULT_NONE else value  # type: ignore[return-value]


class AiohttpRequest(BaseRequest):
    """``BaseRequest.do_request`` over one ``aiohttp.ClientSession`` with a bounded pool."""

    def __init__(self, *, pool_size: int = 16, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        if aiohttp is None:
            raise RuntimeError("aiohttp is not installed; use delivery_request() instead")
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._session: Any = None
        self._json_client = KeepAliveClient(pool_size=pool_size)
        self._urls: dict[str, Any] = {}  # str -> yarl.URL: parsed once, not per request
        self._default_timeout = aiohttp.ClientTimeout(
            sock_connect=DEFAULT_CONNECT_TIMEOUT, sock_read=read_timeout,
            connect=DEFAULT_POOL_TIMEOUT + DEFAULT_CONNECT_TIMEOUT,
        )

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size)
            )

    async def post_json(self, url: str, body: bytes) -> Any:
        """POST a JSON body as is and return the answer's ``result``, parsed once; a non-2xx
        answer raises the same TelegramError subclass as any PTB call (PTB maps it)."""
        payload = await self._request_wrapper(url=url, method="POST", request_data=JsonBody(body))
        return self.parse_json_payload(payload)["result"]

    async def shutdown(self) -> None:
        self._json_client.close()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if isinstance(request_data, JsonBody):
            return await self._post_json_body(url, request_data.body, read_timeout,
                                              connect_timeout)
        if self._session is None:
            await self.initialize()
        if (read_timeout is DEFAULT_NONE and connect_timeout is DEFAULT_NONE
                and pool_timeout is DEFAULT_NONE):
            timeout = self._default_timeout
        else:
            timeout = aiohttp.ClientTimeout(
                sock_connect=_value(connect_timeout, DEFAULT_CONNECT_TIMEOUT),
                sock_read=_value(read_timeout, self._read_timeout),
                connect=_value(pool_timeout, DEFAULT_POOL_TIMEOUT + DEFAULT_CONNECT_TIMEOUT),
            )
        data: Any = None
        if request_data is not None:
            if request_data.contains_files:
                data = aiohttp.FormData()
                for name, value in request_data.multipart_data.items():
                    if isinstance(value, tuple):
                        filename, content, mime = value[0], value[1], value[2] if len(value) > 2 \
                            else None
                        data.add_field(name, content, filename=filename, content_type=mime)
                    else:
                        data.add_field(name, value)
            else:
                data = request_data.json_parameters
        try:
            parsed = self._urls.get(url)
            if parsed is None:
                if len(self._urls) > 64:
                    self._urls.clear()
                parsed = self._urls[url] = yarl.URL(url)
            async with self._session.request(method, parsed, data=data,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    async def _post_json_body(
        self, url: str, body: bytes, read_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
    ) -> tuple[int, bytes]:
        try:
            return await self._json_client.post_json(
                url, body, timeout=_value(read_timeout, self._read_timeout) or 3600.0,
                connect_timeout=_value(connect_timeout, DEFAULT_CONNECT_TIMEOUT) or 3600.0,
            )
        except TimeoutError as exc:
            raise TimedOut from exc
        except (OSError, HttpProtocolError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
