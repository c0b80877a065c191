"""Chinese word segmentation with jieba, loaded once and only when first needed.

jieba builds its prefix dictionary on first use (about a second) and logs to stderr while doing so;
importing this module costs nothing, and the first call pays the load quietly.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from bot.text.normalization import word_runs

_lock = threading.Lock()
_tokenizer: Any = None
_ASCII_RUN = re.compile(r"[0-9A-Za-z]+")


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


def dictionary_words(text: str) -> list[str]:
    """Words by greedy longest match against jieba's dictionary, in text order: each run of
    letters/digits is split into the longest dictionary word at each position (a single
    character when none), and a run of ASCII letters/digits is one word.

    About 10× faster than ``jieba.cut_for_search`` (no DAG, no route scoring, no HMM) and
    context-free enough that a term typed alone splits the way it does inside an article, which
    is what ranking on whole words needs; ingest segments every article, so speed matters here.
    """
    freq = _jieba().FREQ  # words with their counts, and every word prefix with count 0
    out: list[str] = []
    for run in word_runs(text):
        i, n = 0, len(run)
        while i < n:
            if run[i].isascii():
                ascii_run = _ASCII_RUN.match(run, i)
                if ascii_run is not None:
                    out.append(ascii_run.group())
                    i = ascii_run.end()
                    continue
            best = i + 1
            j = i + 2
            while j <= n:
                count = freq.get(run[i:j])
                if count is None:
                    break
                if count:
                    best = j
                j += 1
            out.append(run[i:best])
            i = best
    return out
