"""The services the bot's handlers call, built once per process and shared by every update.

Plain objects (no Telegram types): the same bundle backs ``newsbrief run``, ``newsbrief chat`` and
the tests. :func:`warm_up` pays the one-off costs (jieba's dictionary, the section model, the first
database round trip) before the first update is answered instead of inside it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.render.callback_data import CallbackCodec
from bot.search.browse import BrowseService
from bot.search.query import QueryError
from bot.search.service import SearchService
from bot.subscriptions.settings import SubscriptionService
from bot.subscriptions.watches import WatchService
from bot.text import segmentation
from bot.text.sections import load_model
from storage.database import Database

logger = logging.getLogger(__name__)

WARM_UP_QUERY = "台风"


@dataclass
class BotServices:
    settings: Settings
    db: Database
    browse: BrowseService
    search: SearchService
    codec: CallbackCodec
    started_at: float = field(default_factory=time.monotonic)
    ready_seconds: float | None = None
    clock: Clock = field(default_factory=SystemClock)  # tests swap in a ManualClock

    @property
    def subscriptions(self) -> SubscriptionService:
        return SubscriptionService(self.db, self.clock)

    @property
    def watches(self) -> WatchService:
        return WatchService(self.db, self.clock)

    @classmethod
    def create(cls, settings: Settings, db: Database, *, callback_secret: str) -> BotServices:
        """``callback_secret`` keys the button signatures (the bot token: stable per bot)."""
        return cls(
            settings=settings,
            db=db,
            browse=BrowseService(db),
            search=SearchService(db),
            codec=CallbackCodec(callback_secret),
        )

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_at


async def warm_up(services: BotServices) -> float:
    """Load jieba, the section model and the search path now; returns the seconds it took."""
    started = time.perf_counter()
    segmentation.load()
    load_model()
    try:
        await services.search.search(WARM_UP_QUERY, limit=1)
    except QueryError:  # pragma: no cover - the warm-up query is valid; never fatal anyway
        logger.warning("warm-up search refused %r", WARM_UP_QUERY)
    took = time.perf_counter() - started
    logger.info("warmed up jieba, the section model and search in %.2f s", took)
    return took
