"""The drop folder: pages put into ``NEWSBRIEF_INBOX`` are ingested without a shell.

Each file is ingested (the edition date from its name), then moved to ``done/`` or, with a
``.reason.txt`` beside it, to ``failed/``. Only regular files are read: symlinks (a link out of the
folder, to ``/proc/kmsg``), FIFOs and devices are skipped and reported once. A file is read only
once it has *settled*: its size and modification time are the same as at an earlier scan and
unchanged for ``settle_seconds``; after reading it is checked again, and a file that changed
while read is left for a later scan, never half-stored. A modification time in the future (a
clock set wrong) cannot be trusted, so such a file is read once this scanner has seen it unchanged
for ``settle_seconds`` by its own clock, with a warning. Reading and parsing run in a worker
thread, so the bot keeps answering while a large file is read. A database outage or a full disk
leaves files where they are, to be retried, because the file itself is fine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.ingest.pdf_pages import MAX_PDF_BYTES, is_pdf_name
from bot.ingest.service import (
    JSONL_SUFFIXES,
    PAGE_SUFFIXES,
    IngestOptions,
    IngestReport,
    IngestService,
    PreparedFile,
)
from bot.ingest.source_files import (
    MAX_PAGE_BYTES,
    FileIdentity,
    UnusableInputError,
    read_regular_file,
    shown_name,
)

logger = logging.getLogger(__name__)

DONE_DIR = "done"
FAILED_DIR = "failed"
REASON_SUFFIX = ".reason.txt"
DEFAULT_SETTLE_SECONDS = 10.0


class InboxFolderError(RuntimeError):
    """The drop folder (or its ``done/`` / ``failed/``) is not a usable folder; the message says
    which path and what to do. ``newsbrief run`` stops with it as one line."""


class FileChangedError(Exception):
    """The file changed while it was read: it is left in place for a later scan."""


@dataclass(frozen=True)
class InboxOutcome:
    name: str
    moved_to: Path
    report: IngestReport | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.report is not None


@dataclass
class _Sighting:
    identity: FileIdentity
    since: float  # monotonic time this identity was first seen


def _same_regular_file(path: Path, identity: FileIdentity) -> bool:
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and FileIdentity.of(status) == identity


class Inbox:
    def __init__(
        self,
        folder: Path,
        ingest: IngestService,
        *,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        clock: Clock | None = None,
        read_file: Callable[[Path, int], tuple[bytes, FileIdentity]] | None = None,
    ) -> None:
        self.folder = folder
        self.ingest = ingest
        self.settle_seconds = settle_seconds
        self.clock = clock or SystemClock()
        self.read_file = read_file or (lambda path, limit: read_regular_file(path, max_bytes=limit))
        self._seen: dict[str, _Sighting] = {}
        self._reported: set[str] = set()  # skipped names already logged once

    def ensure_folders(self) -> None:
        """Create ``done/`` and ``failed/``; InboxFolderError if a path is not a folder."""
        for path in (self.folder, self.folder / DONE_DIR, self.folder / FAILED_DIR):
            if path.exists() and not path.is_dir():
                raise InboxFolderError(
                    f"the drop folder {shown_name(str(path))} is a file, not a folder: "
                    "set NEWSBRIEF_INBOX to a folder (or move the file away)"
                )
        for name in (DONE_DIR, FAILED_DIR):
            try:
                (self.folder / name).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InboxFolderError(
                    f"cannot create {shown_name(str(self.folder / name))}: {exc.strerror}"
                ) from exc

    def pending(self) -> list[tuple[Path, FileIdentity]]:
        """Regular page and article-list files at the top of the inbox that have settled."""
        if not self.folder.is_dir():
            return []
        now, wall = self.clock.monotonic(), self.clock.now().timestamp()
        found = []
        present: set[str] = set()
        for path in sorted(self.folder.iterdir()):
            name = path.name
            if name.startswith(".") or not name.endswith(PAGE_SUFFIXES + JSONL_SUFFIXES):
                continue
            try:
                status = path.lstat()
            except OSError:
                continue  # gone since the listing
            if not stat.S_ISREG(status.st_mode):
                self._report_once(name, "skipped: not a regular file (a symlink, FIFO, device "
                                  "or folder); put the file itself into the folder")
                continue
            present.add(name)
            identity = FileIdentity.of(status)
            if self._settled(name, identity, now, wall):
                found.append((path, identity))
        self._seen = {name: seen for name, seen in self._seen.items() if name in present}
        return found

    def _settled(self, name: str, identity: FileIdentity, now: float, wall: float) -> bool:
        seen = self._seen.get(name)
        if seen is None or seen.identity != identity:
            self._seen[name] = _Sighting(identity, now)
            return self.settle_seconds <= 0
        if self.settle_seconds <= 0:
            return True
        mtime = identity.mtime_ns / 1e9
        if mtime > wall + 1:  # in the future: trust only this scanner's own observation
            if now - seen.since < self.settle_seconds:
                return False
            self._report_once(name, f"has a modification time in the future ({mtime - wall:.0f}"
                              " s ahead; is a clock wrong?); read after it stayed unchanged "
                              f"for {self.settle_seconds:g} s")
            return True
        return wall - mtime >= self.settle_seconds

    def _report_once(self, name: str, message: str) -> None:
        if name not in self._reported:
            self._reported.add(name)
            logger.warning("inbox: %s %s", shown_name(name), message)

    async def process_once(self) -> list[InboxOutcome]:
        """Ingest every settled file once; database errors propagate and leave files in place."""
        self.ensure_folders()
        outcomes = []
        for path, identity in self.pending():
            try:
                if path.name.endswith(JSONL_SUFFIXES):
                    report = await self._ingest_list(path, identity)
                else:
                    prepared = await asyncio.to_thread(self._read_and_prepare, path, identity)
                    report = await self.ingest.store([prepared])
            except FileChangedError:
                self._seen.pop(path.name, None)
                logger.info("inbox: %s changed while read; trying again later",
                            shown_name(path.name))
                continue
            except UnusableInputError as exc:
                outcomes.append(self._refuse(path, exc.reason))
                continue
            moved = self._move(path, DONE_DIR)
            logger.info(
                "inbox: %s ingested: %d new, %d duplicate, %d new alert(s)",
                shown_name(path.name), report.articles_new, report.articles_duplicate,
                report.alerts_new,
            )
            outcomes.append(InboxOutcome(path.name, moved, report=report))
        return outcomes

    async def _ingest_list(self, path: Path, identity: FileIdentity) -> IngestReport:
        """An article list goes through the streaming ingest (checked, then stored in batches,
        both reads off the event loop and bounded by NEWSBRIEF_MAX_INPUT_MB); it notices a file
        changed between its two reads itself. Checked here: still the same regular file."""
        if not _same_regular_file(path, identity):
            raise FileChangedError(path.name)
        return await self.ingest.ingest([path])

    def _read_and_prepare(self, path: Path, identity: FileIdentity) -> PreparedFile:
        """In a worker thread: read the file, check it did not change, parse it."""
        limit = MAX_PDF_BYTES if is_pdf_name(path.name) else MAX_PAGE_BYTES
        data, read_as = self.read_file(path, limit)
        try:
            after = FileIdentity.of(os.lstat(path))
        except OSError as exc:
            raise FileChangedError(path.name) from exc
        if not (identity == read_as == after) or len(data) != identity.size:
            raise FileChangedError(path.name)
        return self.ingest.prepare_bytes(path.name, data, IngestOptions())

    def _refuse(self, path: Path, reason: str) -> InboxOutcome:
        moved = self._move(path, FAILED_DIR)
        moved.with_name(moved.name + REASON_SUFFIX).write_text(reason + "\n", encoding="utf-8")
        logger.warning("inbox: %s refused: %s", shown_name(path.name),
                       reason.encode("unicode_escape").decode("ascii")
                       if not reason.isprintable() else reason)
        return InboxOutcome(path.name, moved, reason=reason)

    def _move(self, path: Path, folder: str) -> Path:
        """Move without overwriting an earlier file of the same name."""
        target = self.folder / folder / path.name
        counter = 1
        while target.exists():
            target = self.folder / folder / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        return path.rename(target)
