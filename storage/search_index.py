"""The full-text search index: the only module with FTS5 / tsvector SQL.

One interface over two backends. The caller (``bot.search.tokens``) hands over already tokenised
text, so both backends index exactly the same tokens and a query means the same thing on each:

- ``grams``: bigrams plus run-final characters, with positions, for title and body separately.
  A term is a phrase of consecutive tokens. SQLite: FTS5 contentless table, ``ascii`` tokenizer (it
  only splits on the ASCII spaces we put between tokens). PostgreSQL: ``tsvector`` built from a
  literal with explicit positions (no text-search parser or locale in between) + GIN; there
  three characters of a run whose two bigrams are common are also one lexeme
  (``PG_TRIGRAM_MARK``, ``pg_trigrams``, ``PG_TRIGRAM_BIGRAMS``), so GIN decides such a
  3-character term alone and narrows a longer one to the rows with its trigrams.
- ``chars``: the distinct characters of title and body, for single-character terms.
- ``search_documents``: edition date and section per indexed article, for filters and recency,
  and two short columns for ranking only, tested row by row on the few hundred ranked matches:
  ``headline`` (the folded headline's letter/digit runs joined by single spaces, so a term's runs
  joined the same way occur in it exactly where its gram phrase matches the title) and
  ``lead_words`` (the headline's and lead's distinct jieba words, each between spaces).

Cost is bounded: only the newest ``window`` matches (by article id) are ranked and matches are
counted up to ``count_limit``, so a term found in half the archive costs about the same as one
found in a thousand articles; a search is one statement.

Schema: migrations 0002 and 0006; on PostgreSQL, 0013 (``long_text``), 0014 (partitions),
0015 (GIN indexes led by the block of ids) and 0016 (trigram lexemes).

Match strings are built only from quoted tokens produced by our own tokenizer (letters and digits),
and every value is a bound parameter.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

# Ranking: title matches first (a strict tier), then this score, then newer id.
# relevance in [1/3, 1]: each term counts 1, +2 when it is in the title, +1 when it is a whole jieba
# word in the article; recency halves the score after RECENCY_HALF_SCORE_DAYS.
TITLE_WEIGHT = 2.0
WORD_WEIGHT = 1.0
RECENCY_HALF_SCORE_DAYS = 365.0
# Only the newest DEFAULT_WINDOW matches are ranked, and matches are counted only as far as the
# window reads, on both backends: beyond it the total is reported as "more than DEFAULT_WINDOW"
# ("200+"). Each match counted is work that grows with the archive: on PostgreSQL a row visited
# and its phrase confirmed on the row's TOASTed tsvector (10-30 us; 现代化 社会主义 建立 at 100k:
# 21 -> 8.5 ms CPU); on SQLite more of the archive walked by FTS5, which seeks every other
# term's doclist for each candidate of the rarest (at 1M, 他强 中央和 部署 and 合服务 累计 find
# their 501st match about 1 ms of CPU after their 201st). An exact count of 经济 or 习近平 at 100k
# costs 2-8 ms.
DEFAULT_WINDOW = 200
COUNT_LIMIT = DEFAULT_WINDOW

# PostgreSQL tsvector limits: positions are 1..16383 and at most 255 are kept per lexeme.
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS_PER_LEXEME = 255
# PostgreSQL also indexes three characters of a run as one lexeme (migration 0016; since issue
# 16's ingest rate, only those of two common bigrams, PG_TRIGRAM_BIGRAMS): this mark, then the
# three characters, at the position of their first bigram. Such a 3-character term is then one
# lexeme GIN answers exactly, and a longer one a phrase of trigrams, whose GIN
# candidates are the few articles with all of its trigrams, not the many with all of its bigrams
# in any order (拓展现, 在国产: 1,000-1,700 candidates at 1M, each tsvector read for 17-29 us to
# confirm 24 matches). Tokens are letters and digits only, so the mark keeps a trigram from
# ever being a token or matching a token's prefix query (``'c':*``).
PG_TRIGRAM_MARK = "#"
# A tsvector's lexemes and positions are limited to 1 MB (PostgreSQL's MAXSTRPOS): with trigrams an
# article of about 110,000 characters of varied text goes past it, and its insert would fail
# (the ingest of its page, a reindex, migration 0016). Such a row keeps its bigrams only and
# the lexeme PG_TRIGRAM_MARK alone: a search then takes it as a candidate for any term with
# trigrams (``_pg_candidates``) and confirms the term on its ``long_text``, which it always has
# (a text that long is far past PG_MAX_POSITION).
PG_MAX_LEXEME_BYTES = 1_000_000
# A trigram lexeme is written, and asked for, only where both its bigrams are in this frozen list
# of common bigrams (10,089: those in at least 100 of 18,703 news articles, 0.53 %;
# tests/bench/trigram_bigrams.py made it). A phrase is slow without trigrams only when its bigrams
# are all common and the phrase is not (在国产, 拓展现: thousands of candidates in any order);
# a phrase with a rarer bigram has no more candidates than that bigram has rows. The trigrams of
# rarer bigrams were more than half of all GIN keys an ingest inserts, nearly all of them new
# keys, and cost the ingest a third of its rate (issue 16, docs/performance.md). A search and
# every write must use the same list: a changed list needs the stored trigrams rewritten. Rows
# written with every trigram (migration 0016, or before this list) hold a superset and are
# found the same.
PG_TRIGRAM_BIGRAMS = Path(__file__).with_name("data") / "pg_trigram_bigrams.txt"


@dataclass(frozen=True)
class IndexEntry:
    """Everything the index keeps for one article (tokens already folded and split)."""

    article_id: int
    edition_date: date
    section: str
    title_grams: Sequence[str]
    body_grams: Sequence[str]
    title_chars: Sequence[str]
    body_chars: Sequence[str]
    words: Sequence[str]
    headline: str = ""
    phrase_text: str = ""
    """The folded headline's runs and then the body's, each run list joined by spaces, the two
    by a newline: where a phrase is found by substring when a tsvector cannot keep its
    positions (see ``long_text``)."""


@dataclass(frozen=True)
class TermMatcher:
    """One query term as index tokens: a phrase of consecutive ``tokens`` (grams), or one
    character (``single_char``); ``prefix`` makes the last token a prefix; ``words`` (its jieba
    words) and ``headline`` (its runs joined by spaces) are used for ranking only."""

    tokens: tuple[str, ...]
    prefix: bool
    single_char: bool
    words: tuple[str, ...] = ()
    headline: str = ""


@dataclass(frozen=True)
class IndexQuery:
    """``with_text`` also returns each hit's display text (headline and body parts), so a result
    page is one statement instead of a second round trip through the ORM."""

    include: tuple[TermMatcher, ...]
    exclude: tuple[TermMatcher, ...] = ()
    section: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 10
    offset: int = 0
    window: int = DEFAULT_WINDOW
    with_text: bool = False
    count_limit: int = COUNT_LIMIT


@dataclass(frozen=True)
class RankedMatch:
    """One ranked hit; the text fields are filled only for ``IndexQuery.with_text``."""

    article_id: int
    edition_date: date
    title_terms: int
    word_terms: int
    score: float
    section: str = ""
    kicker: str | None = None
    title: str = ""
    subtitle: str | None = None
    byline: str | None = None
    paragraphs: Sequence[str] = ()
    subheads: Sequence[str] = ()


@dataclass(frozen=True)
class MatchPage:
    """``total`` is exact when ``total_exact``; otherwise there are more than ``total`` matches."""

    total: int
    matches: list[RankedMatch]
    total_exact: bool = True


# --- writing --------------------------------------------------------------------------------


def _tsvector_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """A tsvector literal with explicit positions: title tokens weight A, then body tokens, each
    with the trigram lexemes of its runs (``pg_trigrams``) at their first bigram's position.

    Body positions start one after the title's so a phrase never spans title and body. Built in
    one pass over the tokens (each position's label made once, a trigram found beside the bigram
    it starts at, PG_MAX_POSITIONS_PER_LEXEME applied when joining): an ingest builds this for
    every article, and the straightforward build took twice the CPU (docs/performance.md).
    """
    positions: dict[str, list[str]] = {}
    get = positions.get
    common = pg_trigram_bigrams()
    for tokens, start, weight in ((title, 1, "A"), (body, len(title) + 2, "")):
        if not tokens:
            continue
        labels = _position_labels(start, len(tokens), weight)
        first = tokens[0]
        for second, label in zip(tokens[1:], labels, strict=False):
            slots = get(first)
            if slots is None:
                positions[first] = [label]
            else:
                slots.append(label)
            if (
                len(first) == 2 and len(second) == 2 and first[1] == second[0]
                and first in common and second in common
            ):  # pg_trigrams
                trigram = PG_TRIGRAM_MARK + first + second[1]
                slots = get(trigram)
                if slots is None:
                    positions[trigram] = [label]
                else:
                    slots.append(label)
            first = second
        slots = get(first)
        if slots is None:
            positions[first] = [labels[-1]]
        else:
            slots.append(labels[-1])
    if (
        _LEXEME_BYTES_PER_TOKEN * (len(title) + len(body)) > PG_MAX_LEXEME_BYTES
        and _lexeme_bytes(positions) > PG_MAX_LEXEME_BYTES
    ):  # bigrams only, and the mark
        positions = {
            token: slots for token, slots in positions.items() if token[:1] != PG_TRIGRAM_MARK
        }
        positions[PG_TRIGRAM_MARK] = []
    lexemes = "".join(positions)
    quote = "'" in lexemes or "\\" in lexemes  # never, from our tokenizer: checked once a row
    cap = PG_MAX_POSITIONS_PER_LEXEME
    return " ".join([
        f"'{_pg_quote(token) if quote else token}'"
        + (f":{','.join(slots if len(slots) <= cap else slots[:cap])}" if slots else "")
        for token, slots in positions.items()
    ])


# At most what one token adds to ``_lexeme_bytes``: a lexeme of itself and one trigram, each of
# at most 13 bytes (the mark and three 4-byte characters; 14 aligned) with one position (2 + 2).
# A row of fewer tokens than PG_MAX_LEXEME_BYTES / this cannot pass the limit.
_LEXEME_BYTES_PER_TOKEN = 2 * (14 + 4)


def _position_labels(start: int, count: int, weight: str) -> list[str]:
    """The literal's position labels of ``count`` tokens from position ``start``: each capped
    at PG_MAX_POSITION (past it every token sits there) and followed by ``weight``."""
    stop = min(start + count, PG_MAX_POSITION + 1)
    if weight:
        labels = [f"{n}{weight}" for n in range(start, stop)]
    else:
        labels = list(map(str, range(start, stop)))
    if len(labels) < count:
        labels += [f"{PG_MAX_POSITION}{weight}"] * (count - len(labels))
    return labels


def _lexeme_bytes(lexemes: dict[str, list[str]]) -> int:
    """What PostgreSQL counts against a tsvector's 1 MB for these lexemes and positions (at
    most PG_MAX_POSITIONS_PER_LEXEME each): each lexeme's bytes (aligned to 2), and 2 bytes per
    position plus 2 for their count."""
    cap = PG_MAX_POSITIONS_PER_LEXEME
    return sum(
        (len(lexeme.encode()) + 1) // 2 * 2 + (2 + 2 * min(len(slots), cap) if slots else 0)
        for lexeme, slots in lexemes.items()
    )


def pg_trigrams(grams: Sequence[str]) -> list[tuple[int, str]]:
    """(index, lexeme) of the three-character pieces of a run in a gram sequence: a bigram
    followed by the bigram continuing it (``ab``, ``bc``), both common (PG_TRIGRAM_BIGRAMS), is
    also the lexeme PG_TRIGRAM_MARK + ``abc`` at the first one's position. Derived here from the
    grams the tokenizer hands over, so both backends still receive the same tokens (SQLite's
    FTS5 needs none of this)."""
    common = pg_trigram_bigrams()
    return [
        (index, PG_TRIGRAM_MARK + first + second[1])
        for index, (first, second) in enumerate(pairwise(grams))
        if len(first) == 2 and len(second) == 2 and first[1] == second[0]
        and first in common and second in common
    ]


@functools.cache
def pg_trigram_bigrams() -> frozenset[str]:
    """The bigrams whose trigrams PostgreSQL indexes (PG_TRIGRAM_BIGRAMS), read once."""
    return frozenset(PG_TRIGRAM_BIGRAMS.read_text(encoding="utf-8").split())


def positions_lost(title: Sequence[str], body: Sequence[str]) -> bool:
    """Whether a tsvector of these tokens loses positions: past PG_MAX_POSITION every token
    sits at that one position, and a lexeme keeps only its first PG_MAX_POSITIONS_PER_LEXEME.
    Such a row (a whole 新闻联播 transcript) cannot confirm a phrase from its tsvector, so it
    keeps ``long_text`` and phrases are checked there instead. Trigram lexemes change nothing
    here: each sits at its first bigram's position, at most as often as that bigram."""
    if len(title) + 1 + len(body) > PG_MAX_POSITION:
        return True
    if len(title) + len(body) <= PG_MAX_POSITIONS_PER_LEXEME:
        return False
    return max(Counter([*title, *body]).values()) > PG_MAX_POSITIONS_PER_LEXEME


def _pg_quote(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def _chars_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """Distinct characters: position 1 weight A when in the title, position 2 when in the body."""
    in_title = set(title)
    in_body = set(body)
    parts = []
    for char in dict.fromkeys([*title, *body]):
        slots = (["1A"] if char in in_title else []) + (["2"] if char in in_body else [])
        parts.append(f"'{_pg_quote(char)}':{','.join(slots)}")
    return " ".join(parts)


def _lead_words(words: Sequence[str]) -> str:
    """Words between single spaces (and at both ends), so `` word `` finds a whole word."""
    return f" {' '.join(words)} " if words else ""


def insert_statements(
    dialect: str, entries: Sequence[IndexEntry]
) -> list[tuple[TextClause, list[dict[str, Any]]]]:
    """Statements + parameters adding ``entries`` (each run as one executemany)."""
    if not entries:
        return []
    documents = [
        {
            "id": e.article_id,
            "edition_date": e.edition_date,
            "section": e.section,
            "headline": e.headline,
            "lead_words": _lead_words(e.words),
        }
        for e in entries
    ]
    if dialect == "sqlite":
        return [
            (
                text(
                    "INSERT INTO search_documents "
                    "(article_id, edition_date, section, headline, lead_words) "
                    "VALUES (:id, :edition_date, :section, :headline, :lead_words)"
                ),
                documents,
            ),
            (
                text("INSERT INTO search_grams (rowid, title, body) VALUES (:id, :title, :body)"),
                [
                    {
                        "id": e.article_id,
                        "title": " ".join(e.title_grams),
                        "body": " ".join(e.body_grams),
                    }
                    for e in entries
                ],
            ),
            (
                text("INSERT INTO search_chars (rowid, title, body) VALUES (:id, :title, :body)"),
                [
                    {
                        "id": e.article_id,
                        "title": " ".join(e.title_chars),
                        "body": " ".join(e.body_chars),
                    }
                    for e in entries
                ],
            ),
        ]
    rows = [
        {
            **doc,
            "grams": _tsvector_literal(e.title_grams, e.body_grams),
            "chars": _chars_literal(e.title_chars, e.body_chars),
            "long_text": e.phrase_text if positions_lost(e.title_grams, e.body_grams) else None,
        }
        for doc, e in zip(documents, entries, strict=True)
    ]
    return [
        (
            text(
                "INSERT INTO search_documents "
                "(article_id, edition_date, section, headline, lead_words, grams, chars,"
                " long_text) "
                "VALUES (:id, :edition_date, :section, :headline, :lead_words, "
                "CAST(:grams AS tsvector), CAST(:chars AS tsvector), :long_text)"
            ),
            rows,
        )
    ]


def partition_of(article_id: int) -> int:
    """The number of the PostgreSQL partition that holds ``article_id`` (``search_documents_<n>``
    holds ids ``n * PG_PARTITION_IDS`` up to the next partition's first)."""
    return article_id // PG_PARTITION_IDS


async def ensure_partitions(
    session: AsyncSession | AsyncConnection, article_ids: Sequence[int]
) -> list[int]:
    """Create the PostgreSQL partitions these ids need and lack, in the caller's transaction;
    returns the numbers of those created.

    Each is created as a plain table and then attached: ``CREATE TABLE … PARTITION OF`` would take
    an ACCESS EXCLUSIVE lock on ``search_documents`` until the writer commits (an ingest can be
    one long transaction), blocking every search; ``ATTACH PARTITION`` takes SHARE UPDATE
    EXCLUSIVE, which readers and other writers' inserts do not wait for. Its foreign key to
    ``articles`` takes SHARE ROW EXCLUSIVE there: until the writer commits, another transaction
    adding or changing articles waits (readers do not) — once per PG_PARTITION_IDS ids. Creating
    partitions inside the writer's transaction keeps the promise that a rolled-back ingest
    changes nothing; an advisory lock makes two writers needing the same partition take turns
    (the second then finds it)."""
    numbers = sorted({partition_of(i) for i in article_ids})
    missing = await _missing_partitions(session, numbers)
    if not missing:
        return []
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.search_documents'))")
    )
    missing = await _missing_partitions(session, missing)
    for number in missing:
        for statement in partition_statements(number):
            await session.execute(text(statement))
    return missing


async def _missing_partitions(
    session: AsyncSession | AsyncConnection, numbers: Sequence[int]
) -> list[int]:
    rows = await session.execute(
        text(
            "SELECT n FROM unnest(CAST(:numbers AS integer[])) AS n"
            " WHERE to_regclass('search_documents_' || n) IS NULL ORDER BY n"
        ),
        {"numbers": list(numbers)},
    )
    return [int(row[0]) for row in rows]


def partition_statements(number: int) -> list[str]:
    """DDL adding partition ``number`` to ``search_documents`` (see ``ensure_partitions``)."""
    name = f"search_documents_{int(number)}"
    low, high = number * PG_PARTITION_IDS, (number + 1) * PG_PARTITION_IDS
    return [
        f"CREATE TABLE {name} (LIKE search_documents INCLUDING DEFAULTS)",
        f"ALTER TABLE search_documents ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})",
    ]


def clear_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            "DELETE FROM search_documents",
            "INSERT INTO search_grams (search_grams) VALUES ('delete-all')",
            "INSERT INTO search_chars (search_chars) VALUES ('delete-all')",
        ]
    return ["DELETE FROM search_documents"]


# FTS5 keeps what each write transaction adds to the index as a segment of its own and merges
# segments four at a time as they pile up, so an archive ingested in batches stays in many of them
# (a million articles in batches of 2,000: 18), and every term of every search seeks through each
# one in turn. ``optimize`` merges them into one: after a big load, the broad query mix's
# statement at 1M took 28 % less CPU at p99 (docs/performance.md, "SQLite: counted to the
# window, one FTS5 segment"). It does so in steps of OPTIMIZE_STEP_PAGES pages of merged index
# (FTS5's 'merge' command with a negative count: every segment on one level, then merged
# incrementally), each its own transaction, so a running bot's writes wait for one step (about
# a second), never for the whole rewrite (minutes at 1M), and the write-ahead log is
# checkpointed as it goes instead of holding the whole index.
OPTIMIZE_STEP_PAGES = 500
_SQLITE_SEGMENTS = (
    "SELECT (SELECT count(DISTINCT segid) FROM search_grams_idx)"
    " + (SELECT count(DISTINCT segid) FROM search_chars_idx)"
)


async def index_segments(engine: AsyncEngine) -> int | None:
    """How many FTS5 segments the SQLite index is in (two when fully merged: one per table);
    None on PostgreSQL, which has none."""
    if engine.dialect.name != "sqlite":
        return None
    async with engine.connect() as connection:
        return int((await connection.execute(text(_SQLITE_SEGMENTS))).scalar_one())


async def optimize(engine: AsyncEngine) -> None:
    """Compact the search index after a big load. SQLite: its FTS5 segments merged into one per
    table, step by step (see above). PostgreSQL: ``VACUUM ANALYZE`` of the index (GIN's pending
    list flushed, the planner's statistics refreshed)."""
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            for table in ("search_grams", "search_chars"):
                while True:  # FTS5: a step that changed fewer than 2 rows found nothing to merge
                    before = (await connection.execute(text("SELECT total_changes()"))).scalar()
                    await connection.execute(
                        text(f"INSERT INTO {table} ({table}, rank) VALUES ('merge', :pages)"),
                        {"pages": -OPTIMIZE_STEP_PAGES},
                    )
                    after = (await connection.execute(text("SELECT total_changes()"))).scalar()
                    await connection.commit()
                    if int(after) - int(before) < 2:
                        break
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE search_documents"))


# --- match expressions ----------------------------------------------------------------------


def _fts_phrase(matcher: TermMatcher, column: str | None = None) -> str:
    """An FTS5 phrase built only from quoted tokens (quotes doubled, though tokens have none)."""
    body = " ".join(token.replace('"', '""') for token in matcher.tokens)
    phrase = f'"{body}"' + ("*" if matcher.prefix else "")
    return f"{{{column}}} : {phrase}" if column else phrase


def _pg_lexemes(matcher: TermMatcher) -> list[tuple[str, int, bool]]:
    """The lexemes that find ``matcher`` in a PostgreSQL ``grams`` tsvector, as (lexeme, offset
    from the term's first token, prefix): each pair of consecutive common bigrams of a run
    becomes its trigram (``pg_trigrams``: indexed exactly where these are asked for), a bigram
    inside such a pair is then implied by it, and every other token stays itself. ``ab bc cd``
    (abcd, all common) is ``#abc`` at 0 and ``#bcd`` at 1."""
    tokens = matcher.tokens
    if matcher.single_char:
        return [(tokens[0], 0, False)]
    last = len(tokens) - 1
    trigrams = dict(pg_trigrams(tokens))
    lexemes: list[tuple[str, int, bool]] = []
    for index, token in enumerate(tokens):
        if index in trigrams:
            lexemes.append((trigrams[index], index, False))
        elif index - 1 not in trigrams:  # not the second bigram of the trigram before it
            lexemes.append((token, index, matcher.prefix and index == last))
    return lexemes


def _ts_lexeme(lexeme: str, prefix: bool, weight: str = "") -> str:
    flags = ("*" if prefix else "") + weight
    return f"'{_pg_quote(lexeme)}'" + (f":{flags}" if flags else "")


def _ts_phrase(matcher: TermMatcher, *, title: bool = False) -> str:
    """A tsquery phrase: the term's lexemes (``_pg_lexemes``) joined by ``<->``, or ``<N>`` where
    they are N positions apart; the last one ``:*`` when it is a prefix."""
    weight = "A" if title and not matcher.single_char else ""
    parts: list[str] = []
    previous = 0
    for lexeme, offset, prefix in _pg_lexemes(matcher):
        if parts:
            parts.append("<->" if offset - previous == 1 else f"<{offset - previous}>")
        parts.append(_ts_lexeme(lexeme, prefix, weight))
        previous = offset
    return "(" + " ".join(parts) + ")"


def _pg_candidates(matcher: TermMatcher) -> str:
    """What GIN asks for a term: its lexemes ANDed (``_ts_tokens``), or, when they include
    trigrams, also every row too long for trigram lexemes (marked PG_TRIGRAM_MARK, see
    PG_MAX_LEXEME_BYTES; a handful in any archive), whose term is confirmed on its
    ``long_text``. Asking for such rows' bigrams instead read the bigrams' long posting lists
    again (在国产 at 1M: 4.7 -> 6.2 ms CPU, 能电网 重要 6.9 -> 12.2 ms)."""
    lexemes = _ts_tokens(matcher)
    if not any(lexeme[:1] == PG_TRIGRAM_MARK for lexeme, _, _ in _pg_lexemes(matcher)):
        return lexemes
    return f"({lexemes} | '{PG_TRIGRAM_MARK}')"


def _ts_tokens(matcher: TermMatcher) -> str:
    """The term's lexemes ANDed, without their order: what GIN answers without reading a row
    (a phrase then needs the row's positions; a one-lexeme term, such as any 3-character one,
    is exact as it is)."""
    lexemes = _pg_lexemes(matcher)
    if len(lexemes) == 1:
        return _ts_phrase(matcher)
    return "(" + " & ".join(_ts_lexeme(lexeme, prefix) for lexeme, _, prefix in lexemes) + ")"


# --- the store ------------------------------------------------------------------------------


class SearchIndex:
    """The search index inside one session (so it commits or rolls back with the articles), or,
    for ``search`` only, on a bare connection or an engine (a session adds nothing to a single
    SELECT but cost; with an engine, SQLite reads may skip the async stack altogether)."""

    def __init__(self, session: AsyncSession | AsyncConnection | AsyncEngine) -> None:
        self.session = session
        if isinstance(session, AsyncConnection | AsyncEngine):
            self.dialect = session.dialect.name
        else:
            self.dialect = session.bind.dialect.name

    async def add(self, entries: Sequence[IndexEntry]) -> int:
        """Index articles not indexed yet (re-adding one is a no-op); returns how many were."""
        if not entries:
            return 0
        ids = [e.article_id for e in entries]
        present: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            params = {f"i{n}": value for n, value in enumerate(chunk)}
            placeholders = ", ".join(f":i{n}" for n in range(len(chunk)))
            rows = await self.session.execute(
                text(
                    f"SELECT article_id FROM search_documents WHERE article_id IN ({placeholders})"
                ),
                params,
            )
            present.update(int(row[0]) for row in rows)
        fresh = list({e.article_id: e for e in entries if e.article_id not in present}.values())
        if self.dialect == "postgresql" and fresh:
            await ensure_partitions(self.session, [e.article_id for e in fresh])
        for statement, parameters in insert_statements(self.dialect, fresh):
            await self.session.execute(statement, parameters)
        return len(fresh)

    async def clear(self) -> None:
        for statement in clear_statements(self.dialect):
            await self.session.execute(text(statement))

    async def remove(self, entries: Sequence[IndexEntry]) -> None:
        """Drop these articles' rows (an article edited in its source is re-indexed).

        SQLite's FTS5 tables are contentless, so a row is removed by repeating the tokens it was
        added with (``entries`` built from the article as it was indexed).
        """
        if not entries:
            return
        ids = [{"id": e.article_id} for e in entries]
        await self.session.execute(text("DELETE FROM search_documents WHERE article_id = :id"), ids)
        if self.dialect != "sqlite":
            return
        for table, title, body in (
            ("search_grams", "title_grams", "body_grams"),
            ("search_chars", "title_chars", "body_chars"),
        ):
            await self.session.execute(
                text(
                    f"INSERT INTO {table} ({table}, rowid, title, body) "
                    "VALUES ('delete', :id, :title, :body)"
                ),
                [
                    {
                        "id": e.article_id,
                        "title": " ".join(getattr(e, title)),
                        "body": " ".join(getattr(e, body)),
                    }
                    for e in entries
                ],
            )

    async def count_documents(self) -> int:
        value = await self.session.scalar(text("SELECT count(*) FROM search_documents"))
        return int(value or 0)

    async def search(self, query: IndexQuery) -> MatchPage:
        """The page ``query.offset``..``+limit`` of ranked matches and the exact total.

        One statement: the newest ``window`` matches ranked, the page joined to its articles'
        text, and the count (a second, cheaper scan up to ``count_limit`` + 1 matches, run only
        when the window is full).
        """
        if not query.include:
            raise ValueError("an index query needs at least one term to include")
        build = _sqlite_search if self.dialect == "sqlite" else _postgres_search
        sql, params, count_sql = build(query)
        rows = await self._rows(sql, params)
        matches = [_ranked(row, query.with_text) for row in rows]
        if rows:
            found = int(rows[0][_TOTAL])
        elif query.offset == 0:
            found = 0
        else:  # a page past the end: count on its own
            found = int((await self._rows(count_sql, params))[0][0])
        if found > params["count_limit"]:
            return MatchPage(total=params["count_limit"], matches=matches, total_exact=False)
        return MatchPage(total=found, matches=matches)

    async def _rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        """Rows as plain tuples. On SQLite the statement goes straight to the aiosqlite
        connection (same connection and transaction as the session): execute + fetch is then one
        hop to its thread instead of four, a third of a small search's time on a busy machine.
        With an engine, a SQLite read first runs right here (see ``_read_in_place``)."""
        if isinstance(self.session, AsyncEngine):
            if self.dialect == "sqlite":
                rows = _read_in_place(self.session, sql, params)
                if rows is not None:
                    return rows
            unpinged = _has_session_settings(self.session)
            try:
                async with self.session.connect() as connection:
                    return await SearchIndex(connection)._rows(sql, params)
            except DBAPIError as exc:
                if not (unpinged and exc.connection_invalidated):
                    raise
            # The search pool's connection was dead (a server restart, a network cut):
            # SQLAlchemy has dropped it and every connection pooled before it; a search changes
            # nothing, so it runs again on a fresh one (what the main pool's ping before each use
            # does).
            async with self.session.connect() as connection:
                return await SearchIndex(connection)._rows(sql, params)
        if self.dialect == "sqlite":
            connection = (
                self.session
                if isinstance(self.session, AsyncConnection)
                else await self.session.connection()
            )
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is not None and hasattr(driver, "execute_fetchall"):
                return list(await driver.execute_fetchall(sql, params))
        elif isinstance(self.session, AsyncConnection) and _has_session_settings(self.session):
            # PG_SESSION_SEARCH_SETTINGS are in force for the connection's whole session.
            row = (await self.session.execute(_statement(_PG_PRELUDE_SET))).one()
            steps = _pg_steps(int(row[-1] or 0), blocks=bool(row[-2]), steps=params["steps"])
            return (await self.session.execute(_statement(sql), {**params, **steps})).all()
        else:
            # The planner settings of PG_SEARCH_SETTINGS are set for the search's transaction in
            # the round trip that also reads the newest article id, where the search starts.
            # A caller's own transaction gets its settings back afterwards.
            row = (await self.session.execute(_statement(_PG_PRELUDE))).one()
            previous = dict(zip(PG_SEARCH_SETTINGS, row, strict=False))
            steps = _pg_steps(int(row[-1] or 0), blocks=bool(row[-2]), steps=params["steps"])
            params = {**params, **steps}
            rows = (await self.session.execute(_statement(sql), params)).all()
            if previous != PG_SEARCH_SETTINGS and isinstance(self.session, AsyncSession):
                await self.session.execute(_statement(_PG_RESTORE), previous)
            return rows
        return (await self.session.execute(_statement(sql), params)).all()


# A search statement's text depends only on the query's shape (how many terms, of which kind,
# which filters), never on its values, which are bound parameters. Building a ``text()`` of it
# parses every parameter name anew: 0.3-0.6 ms for a one-term PostgreSQL search (timeit).
@functools.lru_cache(maxsize=512)
def _statement(sql: str) -> TextClause:
    """The ``text()`` of ``sql``, built once per statement shape."""
    return text(sql)


# --- in-place SQLite reads ------------------------------------------------------------------

# A search statement takes 0.2-2.5 ms in SQLite; through SQLAlchemy's pool and aiosqlite's thread
# the same read cost 0.5-1 ms more, and far more at p99 when the machine is busy (each hop waits
# for a thread to be scheduled). So a search first runs on a plain read-only sqlite3 connection in
# the calling thread, with a time budget enforced by SQLite's progress handler: a statement still
# running after IN_PLACE_BUDGET_S is interrupted and re-run on aiosqlite's thread, so the event
# loop is never held longer than that.
IN_PLACE_BUDGET_S = 0.015
# The reader maps the database file instead of copying pages into its own cache: doclists and
# article rows are then read straight from the OS page cache (a fifth less time per search at
# 100k articles than the default 2 MB page cache; no private memory, the pages are shared).
IN_PLACE_MMAP_BYTES = 1 << 30
_IN_PLACE_READERS_KEPT = 8
_in_place_readers: dict[tuple[str, int], tuple[sqlite3.Connection, int, list[float]]] = {}


def _read_in_place(engine: AsyncEngine, sql: str, params: dict[str, Any]) -> list[Any] | None:
    """The rows, or None when this read should go through the engine instead (an in-memory or
    unusual database, a statement over budget, any error: the engine path will raise it)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
    try:
        inode = os.stat(path).st_ino
    except OSError:
        return None
    key = (path, threading.get_ident())
    reader = _in_place_readers.get(key)
    if reader is None or reader[1] != inode:  # first use, or the file was replaced
        if reader is not None:
            reader[0].close()
        reader = _open_reader(path, inode)
        _in_place_readers.pop(key, None)
        _in_place_readers[key] = reader
        while len(_in_place_readers) > _IN_PLACE_READERS_KEPT:
            _in_place_readers.pop(next(iter(_in_place_readers)))[0].close()
    connection, _, deadline = reader
    deadline[0] = time.perf_counter() + IN_PLACE_BUDGET_S
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.Error:
        return None


def _open_reader(path: str, inode: int) -> tuple[sqlite3.Connection, int, list[float]]:
    # Autocommit: every statement is its own read transaction and sees the latest commit (WAL).
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA busy_timeout = 1000")
    connection.execute(f"PRAGMA mmap_size = {IN_PLACE_MMAP_BYTES}")
    deadline = [0.0]
    connection.set_progress_handler(lambda: time.perf_counter() > deadline[0], 10_000)
    return connection, inode, deadline


# Column positions in a search row (see the final SELECT of ``_sqlite_search``).
_ID, _DATE, _TITLE_TERMS, _WORD_TERMS, _SCORE, _TOTAL = range(6)
_SECTION, _KICKER, _TITLE, _SUBTITLE, _BYLINE, _PARAGRAPHS, _SUBHEADS = range(6, 13)


def _json_list(value: Any) -> tuple[str, ...]:
    """A JSON list column as the driver returns it (text on SQLite and asyncpg, or decoded)."""
    if value is None or value == "[]":  # most articles have no separate subheads
        return ()
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return tuple(value)


def _ranked(row: Sequence[Any], with_text: bool) -> RankedMatch:
    if not with_text:
        return RankedMatch(
            article_id=int(row[_ID]),
            edition_date=_as_date(row[_DATE]),
            title_terms=int(row[_TITLE_TERMS]),
            word_terms=int(row[_WORD_TERMS]),
            score=float(row[_SCORE]),
        )
    return RankedMatch(
        article_id=int(row[_ID]),
        edition_date=_as_date(row[_DATE]),
        title_terms=int(row[_TITLE_TERMS]),
        word_terms=int(row[_WORD_TERMS]),
        score=float(row[_SCORE]),
        section=row[_SECTION],
        kicker=row[_KICKER],
        title=row[_TITLE],
        subtitle=row[_SUBTITLE],
        byline=row[_BYLINE],
        paragraphs=tuple(row[_PARAGRAPHS].split(PARAGRAPH_SEPARATOR)) if row[_PARAGRAPHS] else (),
        subheads=_json_list(row[_SUBHEADS]),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _sqlite_search(query: IndexQuery) -> tuple[str, dict[str, Any], str]:
    params: dict[str, Any] = {}
    grams_in = [m for m in query.include if not m.single_char]
    chars_in = [m for m in query.include if m.single_char]
    main = "search_grams" if grams_in else "search_chars"
    main_terms = grams_in if grams_in else chars_in
    other_terms = chars_in if grams_in else []

    def match_of(table: str) -> tuple[list[TermMatcher], list[TermMatcher]]:
        wants_single = table == "search_chars"
        return (
            [m for m in query.include if m.single_char == wants_single],
            [m for m in query.exclude if m.single_char == wants_single],
        )

    expression = " AND ".join(f"({_fts_phrase(m)})" for m in main_terms)
    _, main_excluded = match_of(main)
    for matcher in main_excluded:
        expression = f"({expression}) NOT ({_fts_phrase(matcher)})"
    params["q"] = expression
    where = [f"{main} MATCH :q"]
    if other_terms:
        params["q_other"] = " AND ".join(f"({_fts_phrase(m)})" for m in other_terms)
        where.append(
            f"{main}.rowid IN (SELECT rowid FROM search_chars WHERE search_chars MATCH :q_other)"
        )
    other_table = "search_chars" if main == "search_grams" else "search_grams"
    _, other_excluded = match_of(other_table)
    if other_excluded:
        params["q_not"] = " OR ".join(f"({_fts_phrase(m)})" for m in other_excluded)
        where.append(
            f"{main}.rowid NOT IN (SELECT rowid FROM {other_table} "
            f"WHERE {other_table} MATCH :q_not)"
        )
    join = ""
    if query.section is not None or query.since is not None or query.until is not None:
        # CROSS JOIN keeps the index scan outermost: otherwise SQLite may walk every article of
        # a section and probe the full-text index for each (4.7 s for 台风 in 经济 at 100k).
        join = f" CROSS JOIN search_documents AS f ON f.article_id = {main}.rowid"
        if query.section is not None:
            where.append("f.section = :section")
            params["section"] = query.section
        if query.since is not None:
            where.append("f.edition_date >= :since")
            params["since"] = query.since.isoformat()
        if query.until is not None:
            where.append("f.edition_date <= :until")
            params["until"] = query.until.isoformat()
    hits_from = f"FROM {main}{join} WHERE " + " AND ".join(where)

    title_parts, word_parts = _rank_parts(query, params, "instr")
    _common_params(params, query)
    count_sql = f"SELECT count(*) FROM (SELECT 1 {hits_from} LIMIT :count_limit + 1)"
    sql = _page_sql(
        hits=f"SELECT {main}.rowid AS id {hits_from} ORDER BY {main}.rowid DESC",
        title_parts=title_parts,
        word_parts=word_parts,
        number=lambda name: f":{name}",
        age_days="julianday((SELECT max(edition_date) FROM scored)) - julianday(edition_date)",
        count_sql=count_sql,
        text_columns=_TEXT_COLUMNS if query.with_text else "",
    )
    return sql, params, count_sql


def _rank_parts(
    query: IndexQuery, params: dict[str, Any], find: str
) -> tuple[list[str], list[str]]:
    """Per included term: is it in the headline (0/1), is it all whole words (0/1); tested on the
    ranked rows' short columns with ``find`` (``instr`` / ``strpos``), never on an index."""
    title_parts: list[str] = []
    word_parts: list[str] = []
    for n, matcher in enumerate(query.include):
        params[f"t{n}"] = matcher.headline or " ".join(matcher.tokens)
        title_parts.append(f"CAST({find}(d.headline, :t{n}) > 0 AS INTEGER)")
        if matcher.words:
            tests = []
            for k, word in enumerate(matcher.words):
                params[f"w{n}_{k}"] = f" {word} "
                tests.append(f"{find}(d.lead_words, :w{n}_{k}) > 0")
            word_parts.append(f"CAST({' AND '.join(tests)} AS INTEGER)")
    return title_parts, word_parts


def count_limit(query: IndexQuery) -> int:
    """How far ``query``'s matches are counted: beyond it ``MatchPage.total`` is this number
    with ``total_exact`` false. Never below the window, at most COUNT_LIMIT (see there)."""
    window = max(1, query.window)
    return max(window, min(query.count_limit, COUNT_LIMIT))


def _common_params(params: dict[str, Any], query: IndexQuery) -> None:
    """Window, page, count cap and ranking weights, the same on both backends."""
    window = max(1, query.window)
    params.update(
        window=window,
        count_limit=count_limit(query),
        limit=query.limit,
        offset=query.offset,
        terms=float(len(query.include)),
        title_weight=TITLE_WEIGHT,
        word_weight=WORD_WEIGHT,
        half=RECENCY_HALF_SCORE_DAYS,
    )


def _page_sql(
    *,
    hits: str,
    title_parts: Sequence[str],
    word_parts: Sequence[str],
    number: Callable[[str], str],
    age_days: str,
    count_sql: str,
    text_columns: str,
    carried: bool = False,
) -> str:
    """The one search statement both backends run: the newest ``:window`` ``hits`` ranked, the
    page joined to its text, the total. Only the dialect's pieces differ: how a float parameter
    is written (``number``), the age in days of a row (``age_days``), the text columns, and
    whether the ``hits`` carry the ranking columns (``carried``: ``id``, ``edition_date``,
    ``headline``, ``lead_words``) or are ids joined to ``search_documents`` for them."""
    title_weight, word_weight = number("title_weight"), number("word_weight")
    terms = number("terms")
    documents = (
        "hits AS d" if carried else "hits AS h JOIN search_documents AS d ON d.article_id = h.id"
    )
    return f"""
WITH found AS MATERIALIZED (
  {hits} LIMIT :count_limit + 1
),
hits AS MATERIALIZED (SELECT {"*" if carried else "id"} FROM found ORDER BY id DESC LIMIT :window),
bounds AS MATERIALIZED (SELECT count(*) AS n FROM found),
scored AS MATERIALIZED (
  SELECT d.{"id" if carried else "article_id"} AS id, d.edition_date AS edition_date,
    {" + ".join(title_parts)} AS title_terms,
    {" + ".join(word_parts) or "0"} AS word_terms
  FROM {documents}
),
ranked AS MATERIALIZED (
  SELECT id, edition_date, title_terms, word_terms,
    (({title_weight} * title_terms + {word_weight} * word_terms + {terms})
       / ((1.0 + {title_weight} + {word_weight}) * {terms}))
    / (1.0 + ({age_days}) / {number("half")}) AS score
  FROM scored
  ORDER BY title_terms DESC, score DESC, id DESC
  LIMIT :limit OFFSET :offset
)
SELECT r.id, r.edition_date, r.title_terms, r.word_terms, r.score,
  (SELECT n FROM bounds) AS total
  {text_columns}
FROM ranked AS r {_TEXT_JOIN if text_columns else ""}
ORDER BY r.title_terms DESC, r.score DESC, r.id DESC"""


# Paragraphs come back as one string joined by PARAGRAPH_SEPARATOR, unpacked by the database:
# rows stored before storage.database.json_text escape every Chinese character (中 as \u4e2d),
# and decoding ten such bodies in Python was a tenth of a search (UTF-8 rows cost about the same
# either way).
PARAGRAPH_SEPARATOR = "\x1e"
_TEXT_COLUMNS = (
    ", a.section AS section, a.kicker AS kicker, a.title AS title, a.subtitle AS subtitle,"
    " a.byline AS byline, (SELECT group_concat(p.value, char(30)) FROM"
    " (SELECT value FROM json_each(a.paragraphs) ORDER BY key) AS p) AS paragraphs,"
    " a.subheads AS subheads"
)
_PG_TEXT_COLUMNS = (
    ", a.section AS section, a.kicker AS kicker, a.title AS title, a.subtitle AS subtitle,"
    " a.byline AS byline, (SELECT string_agg(p.value, chr(30) ORDER BY p.n) FROM"
    " json_array_elements_text(CAST(a.paragraphs AS json)) WITH ORDINALITY AS p(value, n))"
    " AS paragraphs, a.subheads AS subheads"
)
_TEXT_JOIN = "JOIN articles AS a ON a.id = r.id"


def _postgres_search(query: IndexQuery) -> tuple[str, dict[str, Any], str]:
    params: dict[str, Any] = {}
    where: list[str] = []
    grams_in = [m for m in query.include if not m.single_char]
    chars_in = [m for m in query.include if m.single_char]
    exact: list[str] = []  # answered by the GIN index alone: no row's tsvector is read
    checks: list[str] = []  # read each candidate's tsvector: done last, newest first, lazily
    light: list[str] = []  # read only a long row's long_text: done last too
    if grams_in:
        params["q_grams"] = " & ".join(_ts_phrase(m) for m in grams_in)
        where.append(_pg_phrases("q_grams", grams_in, params, every=True))
        params["q_tokens"] = " & ".join(_pg_candidates(m) for m in grams_in)
        exact.append("f.grams @@ CAST(:q_tokens AS tsquery)")
        if " & ".join(_ts_tokens(m) for m in grams_in) != params["q_grams"]:
            checks.append(where[-1])
        elif params["q_tokens"] != params["q_grams"]:
            # Every term is one lexeme, exact on GIN, but a row too long for trigrams was taken
            # by its mark alone: confirmed on its long_text, never reading a tsvector.
            light.append(_pg_in_long_text("q_long", grams_in, params))
    if chars_in:
        params["q_chars"] = " & ".join(_ts_phrase(m) for m in chars_in)
        where.append("f.chars @@ CAST(:q_chars AS tsquery)")
        exact.append("f.chars @@ CAST(:q_chars AS tsquery)")
    grams_out = [m for m in query.exclude if not m.single_char]
    chars_out = [m for m in query.exclude if m.single_char]
    if grams_out:
        params["n_grams"] = " | ".join(_ts_phrase(m) for m in grams_out)
        where.append(f"NOT {_pg_phrases('n_grams', grams_out, params, every=False)}")
        checks.append(where[-1])
    if chars_out:
        params["n_chars"] = " | ".join(_ts_phrase(m) for m in chars_out)
        where.append("NOT (f.chars @@ CAST(:n_chars AS tsquery))")
        checks.append(where[-1])
    if query.section is not None:
        where.append("f.section = :section")
        exact.append(where[-1])
        params["section"] = query.section
    if query.since is not None:
        where.append("f.edition_date >= :since")
        exact.append(where[-1])
        params["since"] = query.since
    if query.until is not None:
        where.append("f.edition_date <= :until")
        exact.append(where[-1])
        params["until"] = query.until
    hits_from = "FROM search_documents AS f WHERE " + " AND ".join(where)

    title_parts, word_parts = _rank_parts(query, params, "strpos")
    _common_params(params, query)
    count_sql = f"SELECT count(*) FROM (SELECT 1 {hits_from} LIMIT :count_limit + 1) AS c"
    params["steps"] = PG_BLOCKS if checks else PG_WORD_BLOCKS
    sql = _page_sql(
        hits=_pg_newest_first(exact, [*checks, *light], params["steps"], tsvectors=bool(checks)),
        title_parts=title_parts,
        word_parts=word_parts,
        number=lambda name: f"CAST(:{name} AS float8)",
        age_days="(SELECT max(edition_date) FROM scored) - edition_date",
        count_sql=count_sql,
        text_columns=_PG_TEXT_COLUMNS if query.with_text else "",
        carried=True,
    )
    return sql, params, count_sql


def _pg_phrases(
    tsquery: str, matchers: Sequence[TermMatcher], params: dict[str, Any], *, every: bool
) -> str:
    """Whether a row has every (``every``) or any of ``matchers``' phrases: from its tsvector's
    positions (the ``:tsquery`` parameter), or, on a row whose tsvector lost positions, by
    substring in its ``long_text``: a term's runs joined by spaces occur there exactly where
    its phrase of grams does (see ``bot.search.tokens``)."""
    tests = []
    for matcher in matchers:
        name = f"{tsquery}_{len(tests)}"
        params[name] = matcher.headline or " ".join(matcher.tokens)
        tests.append(f"strpos(f.long_text, :{name}) > 0")
    in_text = (" AND " if every else " OR ").join(tests)
    return (f"(CASE WHEN f.long_text IS NULL THEN f.grams @@ CAST(:{tsquery} AS tsquery)"
            f" ELSE ({in_text}) END)")


def _pg_in_long_text(name: str, matchers: Sequence[TermMatcher], params: dict[str, Any]) -> str:
    """Whether a row without ``long_text`` (GIN found every term's one lexeme there) or with it
    (found by substring there: the row may be one too long for trigrams) has every term."""
    tests = []
    for matcher in matchers:
        param = f"{name}_{len(tests)}"
        params[param] = matcher.headline or " ".join(matcher.tokens)
        tests.append(f"strpos(f.long_text, :{param}) > 0")
    return f"(f.long_text IS NULL OR ({' AND '.join(tests)}))"


# PostgreSQL keeps the index in partitions of PG_PARTITION_IDS article ids (migration 0014;
# ``search_documents_<n>`` holds ids n * PG_PARTITION_IDS up to the next partition's first), each
# with its own GIN indexes, and finds the newest matches partition by partition, newest first:
# the PG_SLICES newest partitions one by one, then spans of older ones doubling in width (4, 8,
# 16, 32 partitions), then all older than PG_SPANS_END together, until enough matches are found.
# A step visits every candidate of its partitions (they are sorted by id first), so a term whose
# newest matches run out after the first slices visits at most about twice the partitions it
# needs; with all older partitions in one step, a term in 0.1-1 % of a million articles visited
# every one of its thousands of candidates for the last of its 200 (扶贫 at 1M: 13.5 -> 4.6 ms
# CPU with the spans). A GIN bitmap is built from the whole posting list of its index, so with
# one index over the archive each step cost as much as the archive (a common term: ~2 ms at 100k
# articles, ~40 ms at 1M); a partition's posting lists hold its own ids only. Within a
# partition only the candidates are read from the table; a phrase is then checked on the row's
# tsvector, a TOASTed value of ~5 KB (10-30 us per row), lazily, newest first, until enough
# matches are found.
PG_SLICES = 4
PG_SPANS_END = 64
PG_PARTITION_IDS = 16384
# Before the partitions, the PG_BLOCKS newest blocks of PG_BLOCK_IDS ids, one by one (migration
# 0015): each partition's GIN indexes are led by the block, ``article_id / PG_BLOCK_IDS``
# (btree_gin), so a step asks GIN for one block entry and visits only that block's candidates.
# A very common term then costs four blocks' candidates, not a whole partition's (新闻联播 at
# 100k: 28 -> 7 ms). A query GIN answers alone looks at PG_WORD_BLOCKS blocks: when words were
# counted to 500, with four a word in 5-10 % of articles found too few there and went on
# to visit a whole partition (会议, 思想 at 100k: 10 ms; 5.5 ms with eight blocks, while a phrase
# got dearer with eight). Counted to the window (COUNT_LIMIT) since, four and eight measured the
# same at 100k (CPU p99 5.5 / 5.8 ms fixed mix). Where btree_gin was missing (0015
# kept the plain indexes; PG_BLOCK_INDEX does not exist) the block steps are skipped: they would
# each visit the whole partition.
PG_BLOCKS = 4
PG_WORD_BLOCKS = 8
PG_BLOCK_IDS = 1024
PG_BLOCK_INDEX = "ix_search_documents_block_grams"
_NO_CUT = 2**31 - 1  # above every id: with no block steps the partition steps cover every id
# Planner settings for the search's own transaction (``set_config(..., true)``), set in the round
# trip that reads the newest id, and given back afterwards in a caller's transaction.
# - force_generic_plan: asyncpg prepares each statement once per connection; its plan is made
#   once and reused (planning over 40 partitions cost 2-6 ms a search, as much as running it).
#   The plan cannot depend on a term's frequency (GIN is the only way in, below), and the steps
#   a search does not need are pruned when it starts, from ``:top`` ("Subplans Removed").
# - enable_seqscan and enable_indexscan off: GIN is then the only way into a partition. Testing
#   ``grams @@ …`` on a row reads its TOASTed tsvector, which the planner prices like an integer
#   comparison; on a small partition (the newest, just started) it would otherwise read every
#   row's tsvector. (There is no btree on ``article_id`` for the same reason, see 0014.)
# - no parallel workers: a search stops after its first matches; workers would scan everything.
PG_SEARCH_SETTINGS = {
    "plan_cache_mode": "force_generic_plan",
    "enable_indexscan": "off",
    "enable_seqscan": "off",
    "max_parallel_workers_per_gather": "0",
}
_PG_PRELUDE = (
    "SELECT "
    + "".join(f"current_setting('{name}'), " for name in PG_SEARCH_SETTINGS)
    + "".join(f"set_config('{n}', '{v}', true), " for n, v in PG_SEARCH_SETTINGS.items())
    + f"to_regclass('{PG_BLOCK_INDEX}') IS NOT NULL, (SELECT max(id) FROM articles)"
)
_PG_RESTORE = "SELECT " + ", ".join(
    f"set_config('{name}', :{name}, true)" for name in PG_SEARCH_SETTINGS
)
# Execution option of an engine whose connections start with PG_SESSION_SEARCH_SETTINGS in force
# for their whole session, autocommit and unpinged (``Database.search_engine``): a search there
# reads only the newest id first, and runs again once when its pooled connection turns out dead.
# Without enable_indexscan: the search statement has no index a plain index scan could use on
# ``search_documents`` (GIN has none, the hash index on article_id is for equality, which the
# statement never asks), so it changes nothing there, while the newest id, ``max(id)`` read by an
# index scan backwards, would become a scan of every article (18 ms at 100k).
PG_SESSION_SETTINGS = "newsbrief_search_settings"
PG_SESSION_SEARCH_SETTINGS = {
    name: value for name, value in PG_SEARCH_SETTINGS.items() if name != "enable_indexscan"
}
_PG_PRELUDE_SET = (
    f"SELECT to_regclass('{PG_BLOCK_INDEX}') IS NOT NULL, (SELECT max(id) FROM articles)"
)


def _has_session_settings(bind: AsyncConnection | AsyncEngine) -> bool:
    """Whether ``bind`` comes from an engine marked PG_SESSION_SETTINGS."""
    return bool(bind.sync_engine.get_execution_options().get(PG_SESSION_SETTINGS))


def _pg_steps(top: int, *, blocks: bool, steps: int) -> dict[str, int]:
    """The parameters placing the steps of ``_pg_newest_first``: ``top`` (the newest id),
    ``block`` (the block holding it) and ``cut`` (the first id of the oldest block step, below
    which the partition steps start), for a statement of ``steps`` block steps. Without block
    steps, ``block`` names blocks of negative ids, which no partition holds (pruned when the
    statement starts), and ``cut`` no id."""
    if not blocks:
        return {"top": top, "block": -1 - steps, "cut": _NO_CUT}
    block = top // PG_BLOCK_IDS
    return {"top": top, "block": block, "cut": (block - steps + 1) * PG_BLOCK_IDS}


def _pg_partition_spans() -> list[tuple[int, int | None]]:
    """The partition steps as (first, last) partitions counted back from the newest (0): the
    PG_SLICES newest one by one, then spans doubling in width up to PG_SPANS_END, then every
    older partition (``last`` None)."""
    spans: list[tuple[int, int | None]] = [(k, k) for k in range(PG_SLICES)]
    first = PG_SLICES
    while first < PG_SPANS_END:
        last = min(2 * first, PG_SPANS_END) - 1
        spans.append((first, last))
        first = last + 1
    spans.append((first, None))
    return spans


def _pg_newest_first(
    exact: Sequence[str], checks: Sequence[str], steps: int, *, tsvectors: bool = True
) -> str:
    """The matches newest first, block after block, then partition after partition, each row
    carrying the columns the ranking reads (``id``, ``edition_date``, ``headline``,
    ``lead_words``).

    In each step the ``exact`` conditions (GIN without phrases, filters) give candidates, sorted
    newest first without reading any tsvector; the ``checks`` (phrases, exclusions: they read
    the row's TOASTed tsvector) then run candidate by candidate and stop with the caller's
    LIMIT. In a single GIN scan PostgreSQL rechecks every candidate before any other filter.

    The steps are branches of one UNION ALL, run in order and only until the caller's LIMIT is
    met: the block holding ``:top`` (the newest article id) and the ``steps`` - 1 before it,
    each through its one GIN block entry (``= :block - k``, an ``integer`` as the index's
    expression is); then, below ``:cut``, the partition holding ``:top`` and older ones in the
    spans of ``_pg_partition_spans``, the last of them every older id. Their bounds are
    computed from parameters alone, so PostgreSQL prunes the partitions a step does not
    overlap when the statement starts, in a generic plan too (EXPLAIN ANALYZE: "Subplans
    Removed: 36" and one Bitmap Heap Scan on ``search_documents_<n>`` per step): a step reads
    only its own partitions' GIN indexes. The bounds cover every id up to ``:top`` once,
    whatever partitions and blocks exist."""
    width, size = PG_PARTITION_IDS, PG_BLOCK_IDS
    newest = f"CAST(:top AS bigint) / {width}"  # the partition holding the newest id
    block, cut = "CAST(:block AS integer)", "CAST(:cut AS bigint)"
    found = " AND ".join(exact)
    later = ("WHERE " + " AND ".join(checks)) if checks else ""
    columns = "f.article_id AS id, f.edition_date, f.headline, f.lead_words"
    if checks:  # the checks read these after the sort; otherwise the sort does not carry them
        columns += ", f.grams, f.chars, f.long_text" if tsvectors else ", f.long_text"

    def branch(bounds: str) -> str:
        return f"""SELECT f.id, f.edition_date, f.headline, f.lead_words FROM (
    SELECT {columns}
      FROM search_documents AS f WHERE {found} AND {bounds}
    ORDER BY f.article_id DESC OFFSET 0
  ) AS f {later}"""

    branches = [
        branch(
            f"f.article_id / {size} = {block} - {k}"
            f" AND f.article_id >= ({block} - {k}) * {size}"
            f" AND f.article_id < ({block} - {k - 1}) * {size}"
        )
        for k in range(steps)
    ]
    for first, last in _pg_partition_spans():  # partitions ``first``..``last`` before the newest
        below = f"f.article_id < least(({newest} - {first - 1}) * {width}, {cut})"
        if last is None:
            branches.append(branch(below))
        else:
            branches.append(branch(f"f.article_id >= ({newest} - {last}) * {width} AND {below}"))
    return "\n  UNION ALL\n  ".join(f"({b})" for b in branches)
