"""Sources that feed the bot by themselves: feeds, web pages and PDF pages polled on a schedule.

:mod:`fetch` talks HTTP politely and safely, :mod:`charset` turns bytes into correct Chinese,
:mod:`feeds` and :mod:`pages` read feeds and web pages into article records, and
:mod:`service` stores them through the same ingest path as files (sections, search index, alerts).
"""

from __future__ import annotations

from bot.sources.fetch import Fetched, Fetcher, FetchError, UnsupportedSchemeError
from bot.sources.service import (
    DEFAULT_EVERY_MINUTES,
    KINDS,
    PollResult,
    SourceExistsError,
    SourceInfo,
    SourceInputError,
    SourceService,
)

__all__ = [
    "DEFAULT_EVERY_MINUTES",
    "KINDS",
    "FetchError",
    "Fetched",
    "Fetcher",
    "PollResult",
    "SourceExistsError",
    "SourceInfo",
    "SourceInputError",
    "SourceService",
    "UnsupportedSchemeError",
]
