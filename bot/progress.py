"""Progress of long CLI work, drawn on stderr only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
MIN_REDRAW_SECONDS = 0.1


class TerminalProgress:
    """Callable ``(stage, done, total)`` counting articles: ``ingest: checking 12,000 articles``
    while files are read, then ``ingest: storing [███···] 5,000/19,594 articles, 1,234/s`` (a
    bar only when the total is known). Silent when piped so scripts' stderr stays clean."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.monotonic = monotonic
        self._drawn = False
        self._stage = ""
        self._stage_started = 0.0
        self._last_drawn = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.monotonic()
        if stage != self._stage:
            if self._drawn:
                self.stream.write("\n")
            self._stage, self._stage_started, self._last_drawn = stage, now, 0.0
        elif now - self._last_drawn < MIN_REDRAW_SECONDS and done != total:
            return
        self._last_drawn = now
        self.stream.write(f"\r{self.label}: {self.line(stage, done, total, now)}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def line(self, stage: str, done: int, total: int, now: float) -> str:
        """The text after the label: stage, bar (total known), count and rate in articles."""
        elapsed = now - self._stage_started
        rate = f", {done / elapsed:,.0f}/s" if elapsed > 0 and done else ""
        if total <= 0:
            return f"{stage} {done:,} articles{rate}"
        filled = BAR_WIDTH * min(done, total) // total
        bar = "█" * filled + "·" * (BAR_WIDTH - filled)
        return f"{stage} [{bar}] {done:,}/{total:,} articles{rate}"

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
