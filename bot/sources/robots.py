"""robots.txt for the pages the bot finds by itself: an index page's links, a feed item's link.

The URL the operator named (``sources add``, ``/source_add``) is fetched as a feed reader fetches
a feed someone subscribed to, whatever robots.txt says; the pages linked from it are what a
crawler would fetch, so each site's robots.txt decides (RFC 9309, through the standard library's
parser; the rules for the ``newsbrief`` product token, else ``*``). A ``Crawl-delay`` longer than
the fetcher's pause between two requests to the host lengthens that pause (at most a minute).

Per RFC 9309: a robots.txt that does not exist (any 4xx) allows everything; one that cannot be
read (5xx, timeout, connection refused) allows nothing for now and is asked again at the next
poll (not again in the same poll: an index page's hundred links cost one try). A rule set read
is kept for a day. A robots.txt the fetcher refuses for good (a non-public address, a redirect
loop, too large) sets no rules: the page's own fetch then says what is wrong.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser
from weakref import WeakKeyDictionary

from bot.clock import Clock
from bot.sources.fetch import (
    RETRYABLE_ERRORS,
    USER_AGENT,
    Fetcher,
    FetchError,
    HTTPStatusError,
    host_key,
)

ROBOTS_TTL = timedelta(days=1)
MAX_CRAWL_DELAY_SECONDS = 60.0
PRODUCT_TOKEN = USER_AGENT.split("/", 1)[0]  # "newsbrief"


class RobotsRules:
    """robots.txt of each site, read once a day and shared by every poll of a service."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._rules: dict[str, tuple[RobotFileParser | None, datetime]] = {}  # None: no file
        self._locks: dict[str, asyncio.Lock] = {}
        # Sites whose robots.txt could not be read, per pass (a pass has its own Fetcher).
        self._unreadable: WeakKeyDictionary[Fetcher, set[str]] = WeakKeyDictionary()

    async def allowed(self, url: str, fetcher: Fetcher, *, named: str) -> bool | None:
        """Whether ``url`` may be fetched; None when its site's robots.txt cannot be read now.
        ``named`` is the source's URL (see :meth:`Fetcher.get`)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._locks.setdefault(origin, asyncio.Lock()):  # one fetch per site
            entry = self._rules.get(origin)
            if entry is None or self.clock.now() - entry[1] >= ROBOTS_TTL:
                unreadable = self._unreadable.setdefault(fetcher, set())
                if origin in unreadable:
                    return None
                try:
                    rules = await self._read(origin, fetcher, named)
                except RETRYABLE_ERRORS:
                    unreadable.add(origin)
                    return None
                except FetchError:
                    rules = None
                entry = (rules, self.clock.now())
                self._rules[origin] = entry
        rules = entry[0]
        if rules is None:
            return True
        delay = rules.crawl_delay(PRODUCT_TOKEN)
        if delay:
            fetcher.gate.slow_down(host_key(url), min(float(delay), MAX_CRAWL_DELAY_SECONDS))
        return rules.can_fetch(PRODUCT_TOKEN, url)

    @staticmethod
    async def _read(origin: str, fetcher: Fetcher, named: str) -> RobotFileParser | None:
        try:
            fetched = await fetcher.get(f"{origin}/robots.txt", named=named,
                                        accept=("text/plain", "*/*;q=0.5"))
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500:
                return None  # no robots.txt (or not for us to read): no rules
            raise
        rules = RobotFileParser()
        rules.parse(fetched.body.decode("utf-8", errors="replace").splitlines())
        return rules
