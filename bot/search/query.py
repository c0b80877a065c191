"""The search query language, the same for the CLI and the bot.

- Terms are separated by spaces (ASCII or full-width) and all must match (AND); each term matches
  as a substring of the title or the body, after folding (``bot.text.normalization``).
- ``"…"``, ``“…”``, ``「…」`` or ``『…』`` keep a phrase with spaces as one term; an unclosed quote
  runs to the end of the query.
- ``-term`` (or ``-"a phrase"``) excludes articles containing it.
- Filters: ``section:经济`` / ``板块:经济`` / ``栏目:经济``, ``since:2023-07-01`` / ``从:…``,
  ``until:2023-07-31`` / ``到:…``, ``date:2023-07-31`` / ``日期:…`` (one day). Dates may be written
  2023-07-01, 2023/7/1, 2023.7.1, 20230701 or 2023年7月1日.

Everything else is text, never syntax: ``AND``, ``NOT``, ``*``, ``:``, parentheses, SQL and HTML
are just characters to look for (those without letters or digits are ignored). Problems raise
``QueryError`` with a message key and parameters so the bot can say them in the reader's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.text.normalization import normalize_for_matching, word_runs

MAX_QUERY_CHARS = 200
MAX_TERMS = 8

QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』", "”": "”"}
FILTER_KEYS = {
    "section": "section",
    "板块": "section",
    "栏目": "section",
    "since": "since",
    "从": "since",
    "until": "until",
    "到": "until",
    "date": "date",
    "日期": "date",
}
_DATE = re.compile(  # ASCII digits only
    r"([0-9]{4})(?:[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?|([0-9]{2})([0-9]{2}))")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

MESSAGES = {
    "empty": "the query is empty: type a word to search for",
    "too_long": "the query is too long ({length} characters; at most {max})",
    "too_many_terms": "too many terms ({count}; at most {max})",
    "no_searchable_text": "the query has no letters or digits to search for",
    "only_exclusions": "say what to look for, not only what to leave out",
    "filters_only": "add a word to search for (filters alone are not a search)",
    "bad_date": "not a date: {value!r} (use YYYY-MM-DD)",
    "bad_date_range": "the date range is empty ({since} is after {until})",
}


class QueryError(ValueError):
    """A query the reader should rephrase; ``key`` + ``params`` let the bot localise the message."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(MESSAGES[key].format(**params))


@dataclass(frozen=True)
class QueryTerm:
    """One term as typed (``text``) and in the folded form used for matching (``folded``)."""

    text: str
    folded: str


@dataclass(frozen=True)
class ParsedQuery:
    include: tuple[QueryTerm, ...]
    exclude: tuple[QueryTerm, ...] = ()
    section: str | None = None
    since: date | None = None
    until: date | None = None
    ignored: tuple[str, ...] = field(default=())  # terms with nothing searchable (emoji, "!!!")


def parse_date(value: str) -> date:
    """A date as readers write it; ``QueryError('bad_date')`` otherwise."""
    match = _DATE.fullmatch(value.strip())
    if match:
        year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3)
        day = day or match.group(5)
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise QueryError("bad_date", value=value[:40])


def _pieces(query: str) -> list[tuple[str, bool, bool]]:
    """Split into (text, excluded, quoted) pieces; never fails, whatever the input."""
    pieces: list[tuple[str, bool, bool]] = []
    index, length = 0, len(query)
    while index < length:
        if query[index].isspace():
            index += 1
            continue
        excluded = False
        if query[index] == "-" and index + 1 < length and not query[index + 1].isspace():
            excluded = True
            index += 1
        if query[index] in QUOTES:
            close = QUOTES[query[index]]
            end = query.find(close, index + 1)
            if close == "”" and end < 0:
                end = query.find('"', index + 1)
            end = length if end < 0 else end
            pieces.append((query[index + 1 : end], excluded, True))
            index = end + 1
            continue
        end = index
        while end < length and not query[end].isspace():
            end += 1
        pieces.append((query[index:end], excluded, False))
        index = end
    return pieces


def parse_query(
    raw: str,
    *,
    section: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ParsedQuery:
    """Parse what a reader typed; keyword arguments (CLI options) win over filters in the text."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError("too_long", length=len(raw), max=MAX_QUERY_CHARS)
    # NFKC makes full-width spaces, colons, quotes and minus signs the ASCII ones the syntax uses.
    query = _INVISIBLE.sub(" ", unicodedata.normalize("NFKC", raw))
    filters: dict[str, str] = {}
    include: dict[str, QueryTerm] = {}
    exclude: dict[str, QueryTerm] = {}
    ignored: list[str] = []
    for text, excluded, quoted in _pieces(query):
        if not quoted and not excluded and ":" in text:
            key, _, value = text.partition(":")
            if key.lower() in FILTER_KEYS and value:
                filters[FILTER_KEYS[key.lower()]] = value
                continue
        folded = normalize_for_matching(text).strip()
        if not word_runs(folded):
            if text.strip():
                ignored.append(text)
            continue
        target = exclude if excluded else include
        target.setdefault(folded, QueryTerm(text=text.strip(), folded=folded))
    if len(include) + len(exclude) > MAX_TERMS:
        raise QueryError("too_many_terms", count=len(include) + len(exclude), max=MAX_TERMS)

    if "date" in filters:
        day = parse_date(filters["date"])
        since = since or day
        until = until or day
    if since is None and "since" in filters:
        since = parse_date(filters["since"])
    if until is None and "until" in filters:
        until = parse_date(filters["until"])
    if section is None and "section" in filters:
        section = filters["section"]
    if section is not None:
        section = normalize_for_matching(section).strip()
    if since is not None and until is not None and since > until:
        raise QueryError("bad_date_range", since=since.isoformat(), until=until.isoformat())

    if not include:
        if exclude:
            raise QueryError("only_exclusions")
        if ignored:
            raise QueryError("no_searchable_text")
        if filters:
            raise QueryError("filters_only")
        raise QueryError("empty")
    return ParsedQuery(
        include=tuple(include.values()),
        exclude=tuple(exclude.values()),
        section=section,
        since=since,
        until=until,
        ignored=tuple(ignored),
    )
