"""What each chat asked for: subscription settings, digest schedules, the digest's contents,
keyword watches, and whether a chat can be reached at all."""

from __future__ import annotations

from bot.subscriptions.chats import ChatService, deactivate_chat
from bot.subscriptions.digest import (
    DIGEST_KIND,
    Digest,
    DigestAlert,
    DigestPreferences,
    DigestSource,
    compose_digest,
)
from bot.subscriptions.schedule import (
    DEFAULT_GRACE,
    ChatSchedule,
    InvalidDigestTimeError,
    UnknownTimezoneError,
    due_digests,
    parse_timezone,
    stored_timezone,
)
from bot.subscriptions.settings import (
    QUICK_ZONES,
    BotNotChannelAdminError,
    ChannelAccessError,
    ChannelNotFoundError,
    ChannelRef,
    ChatIdentity,
    ChatSettings,
    NotChannelAdminError,
    SubscriptionService,
    UnknownSettingError,
)
from bot.subscriptions.watches import (
    MAX_ITEMS_PER_WATCH,
    MAX_WATCHES_PER_CHAT,
    WatchHit,
    WatchLimitError,
    WatchService,
    WatchView,
    article_match_texts,
    parse_watch_query,
)

__all__ = [
    "DEFAULT_GRACE",
    "DIGEST_KIND",
    "MAX_ITEMS_PER_WATCH",
    "MAX_WATCHES_PER_CHAT",
    "QUICK_ZONES",
    "BotNotChannelAdminError",
    "ChannelAccessError",
    "ChannelNotFoundError",
    "ChannelRef",
    "ChatIdentity",
    "ChatSchedule",
    "ChatService",
    "ChatSettings",
    "Digest",
    "DigestAlert",
    "DigestPreferences",
    "DigestSource",
    "InvalidDigestTimeError",
    "NotChannelAdminError",
    "SubscriptionService",
    "UnknownSettingError",
    "UnknownTimezoneError",
    "WatchHit",
    "WatchLimitError",
    "WatchService",
    "WatchView",
    "article_match_texts",
    "compose_digest",
    "deactivate_chat",
    "due_digests",
    "parse_timezone",
    "parse_watch_query",
    "stored_timezone",
]
