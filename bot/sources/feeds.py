"""RSS 0.9x–2.0 and Atom through feedparser; JSON Feed (which feedparser 6.0 does not read) here.

A feed that is not well-formed (truncated XML, a JSON Feed that is not JSON) is refused whole,
rather than stored as whatever part of it happened to parse.
"""

from __future__ import annotations

import calendar
import json
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"
FEED_CONTENT_TYPES = (
    "application/rss+xml", "application/atom+xml", "application/feed+json",
    "application/json", "application/xml", "text/xml", "application/rdf+xml",
)


class FeedError(ValueError):
    """The body is not a feed that can be read; the message says why in one line."""


@dataclass(frozen=True)
class FeedItem:
    key: str
    title: str
    link: str | None
    content_html: str | None  # the full text, when the item carries it
    summary_html: str | None
    published: datetime | None


def looks_like_feed(content_type: str | None, text: str) -> bool:
    """For ``kind=auto``: a feed's media type, or a body opening like one."""
    head = text.lstrip()[:512].lower()
    if head.startswith("{"):
        return JSON_FEED_VERSION_PREFIX in text[:2048]
    if any(tag in head for tag in ("<rss", "<feed", "<rdf:rdf")):
        return True
    if head.startswith("<?xml") and "<html" not in head:
        return True
    return content_type in FEED_CONTENT_TYPES and content_type != "application/json"


def parse_feed(text: str) -> list[FeedItem]:
    """The items of an RSS, Atom or JSON feed, in feed order."""
    if text.lstrip().startswith("{"):
        return _json_feed(text)
    parsed = feedparser.parse(text)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        raise FeedError(
            f"the feed is not well-formed XML (line {problem.getLineNumber()}: "
            f"{problem.getMessage()})"
        )
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("this is not an RSS, Atom or JSON feed")
    return [item for entry in parsed.entries if (item := _xml_item(entry)) is not None]


def _xml_item(entry: Any) -> FeedItem | None:
    link = entry.get("link")
    title = (entry.get("title") or "").strip()
    key = entry.get("id") or link or title
    if not key:
        return None
    contents = entry.get("content") or []
    content_html = "\n".join(c.get("value", "") for c in contents) or None
    published_struct = entry.get("published_parsed") or entry.get("updated_parsed")
    published = (
        datetime.fromtimestamp(calendar.timegm(published_struct), UTC)
        if published_struct else None
    )
    return FeedItem(
        key=str(key), title=title, link=link, content_html=content_html,
        summary_html=entry.get("summary") or None, published=published,
    )


def _json_feed(text: str) -> list[FeedItem]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"the JSON feed is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        JSON_FEED_VERSION_PREFIX
    ):
        raise FeedError("this JSON is not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("the JSON feed has no \"items\" list")
    found = []
    for raw in items:
        if not isinstance(raw, dict):
            continue
        link = raw.get("url") if isinstance(raw.get("url"), str) else None
        title = str(raw.get("title") or "").strip()
        key = str(raw.get("id") or link or title)
        if not key:
            continue
        html = raw.get("content_html")
        plain = raw.get("content_text")
        content = html if isinstance(html, str) and html.strip() else None
        if content is None and isinstance(plain, str) and plain.strip():
            content = "".join(f"<p>{_escape(line)}</p>" for line in plain.splitlines())
        summary = raw.get("summary")
        found.append(FeedItem(
            key=key, title=title, link=link, content_html=content,
            summary_html=_escape(summary) if isinstance(summary, str) else None,
            published=_iso_instant(raw.get("date_published") or raw.get("date_modified")),
        ))
    return found


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
