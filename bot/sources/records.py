"""What a source yields: article records, before the ingest path turns them into articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

_DATE_IN_URL = re.compile(r"(?<!\d)(20\d{2})[-/_]?(\d{2})[-/_]?(\d{2})(?!\d)")


@dataclass(frozen=True)
class SourceRecord:
    """One article as a source gave it.

    ``key`` is its identity in the source (feed item id, else its link; a page's URL), so an
    item edited later is recognised as the same one.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...]
    url: str | None = None
    published: datetime | None = None
    edition: date | None = None
    page_text: str | None = None  # a whole page (a PDF page) for the page parser to split


def date_from_url(url: str) -> date | None:
    """``/2023-07/31/``, ``/20230731/``, ``2023_07_31`` in a URL: the page's date."""
    for match in _DATE_IN_URL.finditer(url):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None
