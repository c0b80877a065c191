"""Chinese text tools with no knowledge of Telegram or storage: one normal form for matching,
jieba segmentation, relative dates, extractive summaries and the section classifier."""

from __future__ import annotations

from bot.text.normalization import (
    fold_sources,
    normalize_for_matching,
    normalize_with_offsets,
    unfolding_pattern,
    word_runs,
)
from bot.text.relative_time import PAPER_TZ, ResolvedTime, find_time_phrases
from bot.text.sections import SECTIONS, classify_section, load_model, resolve_section_name
from bot.text.summaries import summarize

__all__ = [
    "PAPER_TZ",
    "SECTIONS",
    "ResolvedTime",
    "classify_section",
    "find_time_phrases",
    "fold_sources",
    "load_model",
    "normalize_for_matching",
    "normalize_with_offsets",
    "resolve_section_name",
    "summarize",
    "unfolding_pattern",
    "word_runs",
]
