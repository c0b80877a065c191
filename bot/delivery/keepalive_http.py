"""A minimal keep-alive HTTP/1.1 client for one job: POST a JSON body, get status and body back.

Why: the delivery sender posts thousands of small ``sendMessage`` bodies to one host. aiohttp's
per-request machinery (request and response objects, header multidicts, payload writers, timers)
cost about 1 ms of CPU per request on our loaded benchmark machine — more than the whole
per-message budget. This client writes one pre-built byte string per request on a reused connection
and parses the answer with a few ``bytes`` operations.

Scope, deliberately small: ``http``/``https`` only, no proxies, no redirects, no cookies, no
compression; bodies by ``Content-Length``, ``chunked`` or until close. Everything else PTB sends
goes through aiohttp (``bot/delivery/telegram_aiohttp.py``). Errors are plain exceptions:
``OSError`` (connect, reset), ``TimeoutError``, ``HttpProtocolError``; the caller maps them to
PTB's.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass

MAX_HEAD = 64 * 1024  # bytes of status line and headers we accept
MAX_BODY = 16 * 1024 * 1024
# Answers overdue are failed by one watchdog ticking this often, not by a timer per request (a
# timer per request, cancelled on answer, cost a heap push and pop each): timeouts fire up to this
# many seconds late.
WATCHDOG_EVERY = 0.5


class HttpProtocolError(Exception):
    """The server's answer is not HTTP/1.x as we understand it; the connection is dropped."""


@dataclass(frozen=True)
class Target:
    """Where a URL's requests go and the request head up to ``Content-Length: `` (built once)."""

    scheme: str
    host: str
    port: int
    prefix: bytes

    @classmethod
    def parse(cls, url: str, user_agent: str) -> Target:
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        authority, slash, path = rest.partition("/")
        host, colon, port_text = authority.rpartition(":")
        if not colon or "]" in port_text:
            host, port = authority, 443 if scheme == "https" else 80
        else:
            port = int(port_text)
        default_port = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
        host_header = host if default_port else f"{host}:{port}"
        prefix = (
            f"POST {slash}{path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {user_agent}\r\n"
            "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: "
        ).encode("ascii")
        return cls(scheme, host.strip("[]"), port, prefix)


class _Connection(asyncio.Protocol):
    """One connection; one request at a time. The answer is parsed as bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self.deadline = 0.0  # loop time by which the answer must be complete
        self._length: int | None = None
        self._chunked = False
        self._head_done = False
        self._chunks: list[bytes] = []

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None:
            return  # bytes nobody asked for: the connection is not reused (see usable)
        try:
            self._parse()
        except (HttpProtocolError, ValueError) as exc:
            self._fail(HttpProtocolError(str(exc)))
            self.close()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._head_done and self._length is None and not self._chunked:
            self._finish(bytes(self._buffer))  # a body delimited by the close
            return
        reason = f": {exc}" if exc else ""
        waiter.set_exception(ConnectionResetError(f"connection closed before the answer{reason}"))

    # use

    @property
    def usable(self) -> bool:
        return (not self.closed and self.keep_alive and self.transport is not None
                and not self.transport.is_closing() and not self._buffer)

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._head_done, self._chunked, self._length, self._chunks = False, False, None, []
        self.transport.write(data)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def expire(self, now: float) -> bool:
        """Fail the request in flight if its deadline passed; True if it did."""
        if self._waiter is None or now < self.deadline:
            return False
        self._fail(TimeoutError("no answer in time"))
        return True

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self._waiter = None

    def _finish(self, body: bytes) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))

    def _parse(self) -> None:
        buffer = self._buffer
        while not self._head_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    raise HttpProtocolError("answer head too long")
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            self._parse_head(head)  # an interim answer (1xx) leaves _head_done False
        if self._chunked:
            self._parse_chunks()
        elif self._length is not None:
            if len(buffer) >= self._length:
                body = bytes(buffer[: self._length])
                del buffer[: self._length]
                self._finish(body)
        elif len(buffer) > MAX_BODY:
            raise HttpProtocolError("answer body too long")

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(parts[1])
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            return
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        self._status = status
        connection = headers.get(b"connection", b"").lower()
        self.keep_alive = connection != b"close" and (
            parts[0] == b"HTTP/1.1" or connection == b"keep-alive"
        )
        self._chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if not self._chunked and b"content-length" in headers:
            self._length = int(headers[b"content-length"])
            if self._length > MAX_BODY:
                raise HttpProtocolError("answer body too long")
        elif not self._chunked:
            self.keep_alive = False  # the body ends when the server closes
        self._head_done = True

    def _parse_chunks(self) -> None:
        buffer = self._buffer
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(buffer[:line_end]).split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:  # the last chunk; optional trailers end with an empty line
                end = buffer.find(b"\r\n\r\n", line_end)
                if end < 0:
                    return
                del buffer[: end + 4]
                self._finish(b"".join(self._chunks))
                return
            start = line_end + 2
            if len(buffer) < start + size + 2:
                return
            self._chunks.append(bytes(buffer[start : start + size]))
            del buffer[: start + size + 2]
            if sum(len(c) for c in self._chunks) > MAX_BODY:
                raise HttpProtocolError("answer body too long")


class KeepAliveClient:
    """POST JSON bodies over reused connections, at most ``pool_size`` kept open per host."""

    def __init__(self, *, pool_size: int = 16, user_agent: str = "newsbrief",
                 ssl_context: Callable[[], ssl.SSLContext] = ssl.create_default_context) -> None:
        self._pool_size = pool_size
        self._user_agent = user_agent
        self._ssl_factory = ssl_context
        self._ssl: ssl.SSLContext | None = None
        self._targets: dict[str, Target] = {}
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._watchdog: asyncio.TimerHandle | None = None
        self._recent = False  # a request started since the watchdog's last tick

    def target(self, url: str) -> Target:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) > 64:
                self._targets.clear()
            target = self._targets[url] = Target.parse(url, self._user_agent)
        return target

    async def post_json(
        self, url: str, body: bytes, *, timeout: float, connect_timeout: float
    ) -> tuple[int, bytes]:
        """Send ``body`` and return (status, answer body). Raises OSError, TimeoutError or
        HttpProtocolError; a connection that failed is closed, never reused."""
        target = self.target(url)
        key = (target.scheme, target.host, target.port)
        connection = self._take_idle(key) or await self._open(target, connect_timeout)
        data = b"".join((target.prefix, str(len(body)).encode("ascii"), b"\r\n\r\n", body))
        loop = asyncio.get_running_loop()
        connection.deadline = loop.time() + timeout
        waiter = connection.request(data)
        self._busy.add(connection)
        self._recent = True
        if self._watchdog is None:
            self._watchdog = loop.call_later(WATCHDOG_EVERY, self._watch)
        try:
            status, answer = await waiter
        except BaseException:
            connection.close()
            raise
        finally:
            self._busy.discard(connection)
        if connection.usable:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._pool_size:
                idle.append(connection)
                return status, answer
        connection.close()
        return status, answer

    def _watch(self) -> None:
        """Fail overdue requests; keep ticking while requests come (not one timer each)."""
        self._watchdog = None
        if not self._busy and not self._recent:
            return
        self._recent = False
        loop = asyncio.get_running_loop()
        now = loop.time()
        for connection in list(self._busy):
            if connection.expire(now):
                self._busy.discard(connection)
        self._watchdog = loop.call_later(WATCHDOG_EVERY, self._watch)

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.usable:
                return connection
            connection.close()
        return None

    async def _open(self, target: Target, timeout: float) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if target.scheme == "https":
            if self._ssl is None:
                self._ssl = self._ssl_factory()
            context = self._ssl
        async with asyncio.timeout(timeout):
            _, protocol = await loop.create_connection(
                _Connection, target.host, target.port, ssl=context,
                server_hostname=target.host if context else None,
            )
        return protocol

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

