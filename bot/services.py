"""The services the bot's handlers call, built once per process and shared by every update.

Plain objects (no Telegram types): the same bundle backs ``newsbrief run``, ``newsbrief chat`` and
the tests, and handlers reach it as ``context.services`` (``handlers/context.py``).
:func:`warm_up` pays the one-off costs (jieba's dictionary, the section model, the first database
round trip) before the first update is answered instead of inside it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.alerts.state import AlertQueryService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.ingest.uploads import UploadService
from bot.pushes.digests import DigestOptions
from bot.pushes.service import PushService
from bot.render.callback_data import CallbackCodec
from bot.search.browse import BrowseService
from bot.search.query import QueryError
from bot.search.service import SearchService
from bot.sources.service import SourceService
from bot.subscriptions.chats import ChatService
from bot.subscriptions.language import LanguageService
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
    clock: Clock
    codec: CallbackCodec
    browse: BrowseService
    search: SearchService
    alerts: AlertQueryService
    subscriptions: SubscriptionService
    watches: WatchService
    chats: ChatService
    uploads: UploadService
    pushes: PushService
    languages: LanguageService
    sources: SourceService
    started_at: float = field(default_factory=time.monotonic)
    ready_seconds: float | None = None

    @classmethod
    def create(
        cls,
        settings: Settings,
        db: Database,
        *,
        callback_secret: str,
        clock: Clock | None = None,
        notify: Callable[[], None] | None = None,
        digest_options: DigestOptions | None = None,
    ) -> BotServices:
        """``callback_secret`` keys the button signatures (the bot token: stable per bot);
        ``notify`` wakes the delivery sender after a push is queued; tests pass a ManualClock."""
        clock = clock or SystemClock()
        codec = CallbackCodec(callback_secret)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            codec=codec,
            browse=BrowseService(db),
            search=SearchService(db),
            alerts=AlertQueryService(db, settings.timezone, clock=clock,
                                     stale_after=settings.alert_stale_after),
            subscriptions=SubscriptionService(db, clock),
            watches=WatchService(db, clock),
            chats=ChatService(db, clock),
            uploads=UploadService(db, settings, clock),
            pushes=PushService(db, codec, clock, settings, notify=notify,
                               digest_options=digest_options),
            languages=LanguageService(db, clock),
            sources=SourceService(db, settings, clock),
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
