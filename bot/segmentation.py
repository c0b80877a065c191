"""Chinese word segmentation with jieba, loaded once and only when first needed.

jieba builds its prefix dictionary on first use (about a second) and logs to stderr while doing so;
importing this module costs nothing, and the first call pays the load quietly.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """The process-wide jieba tokenizer, initialised on first use with its logging silenced."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.dt.initialize()
                _tokenizer = jieba.dt
    return _tokenizer


def load() -> None:
    """Load the dictionary now (e.g. at start-up) instead of on the first search or ingest."""
    _jieba()


def words_for_search(text: str) -> list[str]:
    """jieba's search-mode words (long words plus their shorter dictionary parts), in text order."""
    return [word for word in _jieba().cut_for_search(text) if not word.isspace()]


def words(text: str) -> list[str]:
    """jieba's precise-mode words, in text order."""
    return [word for word in _jieba().cut(text) if not word.isspace()]


def dictionary_words(text: str) -> list[str]:
    """jieba's precise mode without the HMM for unknown words: dictionary words and single
    characters only, about 1.5× faster than search mode, and the same split for a term typed alone
    as inside an article (what ranking on whole words needs)."""
    return [word for word in _jieba().cut(text, HMM=False) if not word.isspace()]
