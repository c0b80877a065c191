"""Outside text → stored articles: operator files (pages, jsonl), the drop folder, admin uploads,
and the page parser that reads a newspaper page's plain text into articles."""

from __future__ import annotations

from bot.ingest.inbox import Inbox, InboxOutcome
from bot.ingest.page_parser import PageParseError, parse_page
from bot.ingest.service import IngestOptions, IngestReport, IngestService
from bot.ingest.source_files import (
    MAX_PAGE_BYTES,
    UnusableInputError,
    edition_date_from_name,
    parse_date,
    read_source_text,
)
from bot.ingest.uploads import UploadRefusedError, UploadService, UploadSummary, check_upload

__all__ = [
    "MAX_PAGE_BYTES",
    "Inbox",
    "InboxOutcome",
    "IngestOptions",
    "IngestReport",
    "IngestService",
    "PageParseError",
    "UnusableInputError",
    "UploadRefusedError",
    "UploadService",
    "UploadSummary",
    "check_upload",
    "edition_date_from_name",
    "parse_date",
    "parse_page",
    "read_source_text",
]
