"""Pages an admin sends to the bot as a document: checked like any file, then ingested.

The edition date comes from the caption (``2023-07-31``, ``20230731``) or else the file name; a
file the ingest refuses is answered with the same reason the CLI would print.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from bot.alerts.state import StoredAlert
from bot.clock import Clock
from bot.config import Settings
from bot.ingest.pdf_pages import MAX_PDF_BYTES, is_pdf_name
from bot.ingest.service import (
    JSONL_SUFFIXES,
    PAGE_SUFFIXES,
    IngestOptions,
    IngestReport,
    IngestService,
)
from bot.ingest.source_files import MAX_PAGE_BYTES, UnusableInputError, edition_date_from_name
from storage.database import Database

# jsonl article lists may be larger than a page; Telegram's getFile serves up to 20 MB anyway.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadRefusedError(ValueError):
    """The upload cannot be ingested; ``reason`` is shown to the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UploadSummary:
    file_name: str
    articles_new: int
    articles_duplicate: int
    alerts_new: int
    new_titles: list[str] = field(default_factory=list)
    # The alert events the page reports, new ones first: the admin sees what will be pushed.
    alerts_found: list[StoredAlert] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, report: IngestReport) -> UploadSummary:
        return cls(
            name, report.articles_new, report.articles_duplicate, report.alerts_new,
            [a.title for a in report.articles if not a.duplicate],
            [*report.new_alerts, *report.reported_alerts],
        )


def check_upload(name: str | None, size: int | None) -> str:
    """Refuse what cannot be a page or article list before downloading it."""
    if not name or not name.lower().endswith(PAGE_SUFFIXES + JSONL_SUFFIXES):
        raise UploadRefusedError("send a page as a .txt or .pdf file (or articles as .jsonl)")
    limit = (MAX_PDF_BYTES if is_pdf_name(name) else MAX_PAGE_BYTES
             if name.lower().endswith(PAGE_SUFFIXES) else MAX_UPLOAD_BYTES)
    if size is not None and size > limit:
        raise UploadRefusedError(f"{name} is too large ({size / 1_048_576:.1f} MB) for a page")
    return PurePath(name).name


class UploadService:
    def __init__(self, db: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.ingest = IngestService(db, settings, clock)

    async def ingest_upload(self, name: str, data: bytes, caption: str | None) -> UploadSummary:
        options = IngestOptions(edition=edition_date_from_name(caption or ""))
        try:
            if name.lower().endswith(JSONL_SUFFIXES):
                report = await self._ingest_list(name, data, options)
            else:
                # Parsing a 5 MB page takes seconds: not on the event loop.
                prepared = await asyncio.to_thread(self.ingest.prepare_bytes, name, data, options)
                report = await self.ingest.store([prepared])
        except UnusableInputError as exc:
            raise UploadRefusedError(exc.reason) from exc
        return UploadSummary.of(name, report)

    async def _ingest_list(self, name: str, data: bytes, options: IngestOptions) -> IngestReport:
        """An article list (up to 20 MB of gzip) goes through the streaming ingest from a
        temporary file: decompression bounded by NEWSBRIEF_MAX_INPUT_MB, memory one line and
        one batch, reading off the event loop."""
        with tempfile.TemporaryDirectory(prefix="newsbrief-upload-") as folder:
            path = Path(folder) / PurePath(name).name
            await asyncio.to_thread(path.write_bytes, data)
            return await self.ingest.ingest([path], options)
