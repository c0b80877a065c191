"""HTTP for sources: polite (one request per host at a time, a pause between them, a User-Agent
naming the bot, conditional GET) and safe (http/https only, at most five redirects with loops
reported, a timeout per request, a size limit enforced while the body streams in, and no
non-public address reached through a URL the operator did not name).

Non-public addresses (loopback, private networks, link-local — e.g. a cloud's metadata service at
169.254.169.254 —, carrier-grade NAT, multicast, reserved) are reached only at the host and port
of the URL the operator gave (``sources add``, ``/source_add``: a source on an intranet server
is the operator's choice). A feed item's link, an index page's link or a redirect that leads
anywhere else to such an address is refused, so what a third party writes in a feed cannot make
the bot read an internal service and store its answer as an article. IP literals are checked
before connecting; host names when they are resolved for the connection itself (the DNS cache is
off, and no connection is kept alive), so a name that changes its answer between a check and the
connection gains nothing.

Every failure is a :class:`FetchError` subclass with a one-line reason, so a poll reports it and
moves on to the next source.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.clock import Clock

USER_AGENT = "newsbrief/0.1 (news briefing bot; polls feeds and pages of local papers)"
MAX_BODY_BYTES = 20 * 1024 * 1024  # a feed, article page or one PDF page; 20 MB is not one
MAX_REDIRECTS = 5
REQUEST_TIMEOUT_SECONDS = 20.0
HOST_DELAY_SECONDS = 1.0  # between two requests to the same host
ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024


class FetchError(Exception):
    """A request that gave nothing usable; ``str()`` is a one-line reason."""


class UnsupportedSchemeError(FetchError):
    """Only http and https URLs are fetched (never file:, ftp:, data:…)."""


class FetchTimeoutError(FetchError):
    pass


class BodyTooLargeError(FetchError):
    pass


class RedirectLoopError(FetchError):
    pass


class TooManyRedirectsError(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status


class ConnectionFailedError(FetchError):
    pass


class UnexpectedContentError(FetchError):
    """The answer is not what a source can be: an image, an archive, a JSON API…"""


class NonPublicAddressError(FetchError):
    """A URL the operator did not name leads to a loopback, private or link-local address."""


# Failures that may be gone at the next try (a page not published yet, a server down); the
# others (no page, off limits, too large, a redirect loop) will not be.
RETRYABLE_ERRORS: tuple[type[FetchError], ...] = (
    FetchTimeoutError, ConnectionFailedError, HTTPStatusError,
)


class _NonPublicResolution(OSError):
    """Raised inside aiohttp's connect by the resolver; turned into NonPublicAddressError."""


# The host and port the request in this task may reach even at a non-public address (the
# operator's own URL); read by the resolver, which runs in the requesting task.
_TRUSTED_ENDPOINT: ContextVar[str | None] = ContextVar("newsbrief_trusted_endpoint",
                                                       default=None)


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL with a host; UnsupportedSchemeError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise UnsupportedSchemeError(f"{url}: only http and https URLs are polled ({shown})")
    if not parts.hostname:
        raise UnsupportedSchemeError(f"{url}: the URL names no host")
    return url.strip()


def host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


def endpoint(url: str) -> str:
    """``host:port`` with the scheme's default port filled in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return _endpoint(parts.hostname or "", port)


def _endpoint(host: str, port: int) -> str:
    return f"{host.lower().strip('[]')}:{port}"


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, CGNAT, …)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PublicOnlyResolver(AbstractResolver):
    """Resolves as usual, then drops non-public addresses unless the request is to its trusted
    endpoint; nothing left is an error."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if _TRUSTED_ENDPOINT.get() == _endpoint(host, port):
            return found
        public = [info for info in found if is_public_address(info["host"])]
        if not public and found:
            raise _NonPublicResolution(
                f"{host} resolves to a non-public address ({found[0]['host']}); only the "
                "source's own host may be one"
            )
        return public

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Fetched:
    """A response: 200 with its body, or 304 (not modified) with none."""

    url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None
    charset: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _HostGate:
    """One request at a time per host, and at least ``delay`` seconds between two of them."""

    def __init__(self, clock: Clock, delay: float) -> None:
        self.clock = clock
        self.delay = delay
        self.locks: dict[str, asyncio.Lock] = {}
        self.last_done: dict[str, float] = {}

        self.delays: dict[str, float] = {}  # longer pauses a host asked for (Crawl-delay)

    def lock(self, host: str) -> asyncio.Lock:
        return self.locks.setdefault(host, asyncio.Lock())

    def slow_down(self, host: str, delay: float) -> None:
        """Pause at least ``delay`` seconds between two requests to ``host``."""
        self.delays[host] = max(delay, self.delays.get(host, 0.0))

    async def pause(self, host: str) -> None:
        last = self.last_done.get(host)
        if last is not None:
            delay = max(self.delay, self.delays.get(host, 0.0))
            await self.clock.wait([], delay - (self.clock.monotonic() - last))

    def done(self, host: str) -> None:
        self.last_done[host] = self.clock.monotonic()


class Fetcher:
    """An aiohttp session with the rules above; ``async with Fetcher(...) as fetcher``."""

    def __init__(
        self,
        clock: Clock,
        *,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_bytes: int = MAX_BODY_BYTES,
        host_delay: float = HOST_DELAY_SECONDS,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.clock = clock
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.gate = _HostGate(clock, host_delay)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.user_agent},
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            auto_decompress=True,
            # Every request opens its own connection and asks the resolver, which checks the
            # address: no DNS cache, and no kept-alive connection that a request to the same
            # host from a source trusted with it would hand to one that is not. (Requests to a
            # host are a second apart anyway.)
            connector=aiohttp.TCPConnector(resolver=_PublicOnlyResolver(), use_dns_cache=False,
                                           force_close=True),
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        accept: Sequence[str] = (), named: str | None = None,
    ) -> Fetched:
        """GET ``url`` following at most MAX_REDIRECTS redirects; validators make it conditional.

        ``named`` is the URL the operator gave (default: ``url`` itself); only its host and port
        may be a non-public address (see the module's docstring)."""
        token = _TRUSTED_ENDPOINT.set(endpoint(check_url(named or url)))
        try:
            return await self._get(url, etag, last_modified, accept)
        finally:
            _TRUSTED_ENDPOINT.reset(token)

    async def _get(
        self, url: str, etag: str | None, last_modified: str | None, accept: Sequence[str]
    ) -> Fetched:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = ", ".join(accept)
        current = check_url(url)
        seen = [current]
        for _ in range(MAX_REDIRECTS + 1):
            result, location = await self._request(current, headers)
            if result is not None:
                return result
            assert location is not None
            target = urljoin(current, location)
            try:
                check_url(target)
            except UnsupportedSchemeError as exc:
                raise UnsupportedSchemeError(
                    f"{current} redirects to a refused URL: {exc}"
                ) from exc
            if target in seen:
                raise RedirectLoopError(f"{url}: redirect loop ({' → '.join([*seen, target])})")
            seen.append(target)
            current = target
        raise TooManyRedirectsError(f"{url}: more than {MAX_REDIRECTS} redirects")

    async def _request(
        self, url: str, headers: dict[str, str]
    ) -> tuple[Fetched | None, str | None]:
        """One hop under the host gate: a result, or the Location of a redirect."""
        if self._session is None:
            raise RuntimeError("use the Fetcher inside `async with`")
        host = host_key(url)
        hostname = urlsplit(url).hostname or ""
        if (_ip_literal(hostname) and endpoint(url) != _TRUSTED_ENDPOINT.get()
                and not is_public_address(hostname.strip("[]"))):
            raise NonPublicAddressError(
                f"{url}: {hostname} is a non-public address; only the source's own host may be one"
            )
        async with self.gate.lock(host):
            await self.gate.pause(host)
            try:
                return await self._exchange(url, headers)
            except TimeoutError as exc:
                raise FetchTimeoutError(
                    f"{url}: no complete answer within {self.timeout:g} s"
                ) from exc
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, _NonPublicResolution):
                    raise NonPublicAddressError(f"{url}: {exc.os_error}") from exc
                raise ConnectionFailedError(f"{url}: {type(exc).__name__}: {exc}") from exc
            except aiohttp.ClientError as exc:
                raise ConnectionFailedError(f"{url}: {type(exc).__name__}: {exc}") from exc
            finally:
                self.gate.done(host)

    async def _exchange(
        self, url: str, headers: dict[str, str]
    ) -> tuple[Fetched | None, str | None]:
        assert self._session is not None
        async with self._session.get(url, headers=headers, allow_redirects=False) as response:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise HTTPStatusError(url, response.status)
                return None, location
            if response.status == 304:
                return self._fetched(url, response, b""), None
            if response.status >= 400 or response.status < 200:
                raise HTTPStatusError(url, response.status)
            declared = response.content_length
            if declared is not None and declared > self.max_bytes:
                raise BodyTooLargeError(self._too_large(url, declared))
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise BodyTooLargeError(self._too_large(url, None))
            return self._fetched(url, response, bytes(body)), None

    def _too_large(self, url: str, declared: int | None) -> str:
        size = f"{declared / 1_048_576:.1f} MB" if declared is not None else "the body"
        return f"{url}: {size} is over the {self.max_bytes / 1_048_576:g} MB limit"

    @staticmethod
    def _fetched(url: str, response: aiohttp.ClientResponse, body: bytes) -> Fetched:
        content_type = response.headers.get("Content-Type")
        return Fetched(
            url=url,
            status=response.status,
            body=body,
            content_type=content_type.split(";")[0].strip().lower() if content_type else None,
            charset=response.charset,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
