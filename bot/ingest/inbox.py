"""The drop folder: pages put into ``NEWSBRIEF_INBOX`` are ingested without a shell.

Each file is ingested (the edition date from its name), then moved to ``done/`` or, with a
``.reason.txt`` beside it, to ``failed/``. A file still being written is left for the next scan
(it must have been unchanged for a moment), and a database outage leaves files where they are to
be retried, because the file itself is fine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.service import JSONL_SUFFIXES, PAGE_SUFFIXES, IngestReport, IngestService
from bot.ingest.source_files import UnusableInputError

logger = logging.getLogger(__name__)

DONE_DIR = "done"
FAILED_DIR = "failed"
REASON_SUFFIX = ".reason.txt"
DEFAULT_SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class InboxOutcome:
    name: str
    moved_to: Path
    report: IngestReport | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.report is not None


class Inbox:
    def __init__(
        self,
        folder: Path,
        ingest: IngestService,
        *,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.ingest = ingest
        self.settle_seconds = settle_seconds
        self.wall_clock = wall_clock

    def ensure_folders(self) -> None:
        for name in (DONE_DIR, FAILED_DIR):
            (self.folder / name).mkdir(parents=True, exist_ok=True)

    def pending(self) -> list[Path]:
        """Page and article-list files at the top of the inbox that have finished arriving."""
        if not self.folder.is_dir():
            return []
        now = self.wall_clock()
        found = []
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            if not path.name.endswith(PAGE_SUFFIXES + JSONL_SUFFIXES):
                continue
            if now - path.stat().st_mtime < self.settle_seconds:
                continue
            found.append(path)
        return found

    async def process_once(self) -> list[InboxOutcome]:
        """Ingest every settled file once; database errors propagate and leave files in place."""
        self.ensure_folders()
        outcomes = []
        for path in self.pending():
            try:
                report = await self.ingest.ingest([path])
            except UnusableInputError as exc:
                moved = self._move(path, FAILED_DIR)
                moved.with_name(moved.name + REASON_SUFFIX).write_text(
                    exc.reason + "\n", encoding="utf-8"
                )
                logger.warning("inbox: %s refused: %s", path.name, exc.reason)
                outcomes.append(InboxOutcome(path.name, moved, reason=exc.reason))
                continue
            moved = self._move(path, DONE_DIR)
            logger.info(
                "inbox: %s ingested: %d new, %d duplicate, %d new alert(s)",
                path.name, report.articles_new, report.articles_duplicate, report.alerts_new,
            )
            outcomes.append(InboxOutcome(path.name, moved, report=report))
        return outcomes

    def _move(self, path: Path, folder: str) -> Path:
        """Move without overwriting an earlier file of the same name."""
        target = self.folder / folder / path.name
        counter = 1
        while target.exists():
            target = self.folder / folder / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        return path.rename(target)
