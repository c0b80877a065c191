"""What ingest would make of a parsed article, without storing it: the `parse --json` dry run.

An operator checks a page before loading it; the section it would be filed under and the alert
events the detector finds there are shown now, so a wrong alert is caught before it is pushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.detector import detect_alerts
from bot.ingest.page_parser import ParsedArticle
from bot.text.relative_time import PAPER_TZ
from bot.text.section_choice import choose_section


def preview_article(
    article: ParsedArticle,
    edition: date,
    *,
    home_region: str | None,
    tz: ZoneInfo = PAPER_TZ,
    page_ear: str | None = None,
    page: int | None = None,
    page_map: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """``section`` (with ``section_source`` and ``section_confidence``) and ``alerts`` (the
    `alerts --json` event shape minus ids and report data).

    ``home_region`` is what 我区/区防指 stand for: the home region for the home paper's pages,
    None for another paper's. Teasers are skipped by alert detection, as at ingest.
    """
    paragraphs = tuple(article.paragraphs)
    title = article.title or ""
    alerts = [] if article.kind == "teaser" else [
        event.to_dict()
        for event in detect_alerts(title, paragraphs, edition, home_region=home_region, tz=tz)
    ]
    choice = choose_section(title, paragraphs, page_ear=page_ear, page=page, page_map=page_map)
    return {
        "section": choice.section,
        "section_source": choice.source,
        "section_confidence": choice.confidence,
        "alerts": alerts,
    }
