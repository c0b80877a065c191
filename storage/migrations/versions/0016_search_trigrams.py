"""PostgreSQL: every three characters of a run indexed as one lexeme beside the bigrams, so a
3-4-character phrase is decided by the GIN index (issue 16).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

A phrase of common bigrams that is itself rare (在国产, 拓展现) had as candidates every article
holding its bigrams in any order: at 1M articles 1,000-1,700 of them, each tsvector read to
confirm two dozen matches, in every partition (21-38 ms). Each row's ``grams`` now also holds the
lexeme MARK + ``abc`` wherever bigrams ``ab`` and ``bc`` follow each other, at ``ab``'s position
and weight (``storage.search_index.pg_trigrams``; the search asks for them in
``_pg_lexemes``). The rows are rewritten in batches of article ids, the GIN indexes on ``grams``
dropped first and built again after (one build instead of an index update per row):

- a row with ``long_text`` (its tsvector lost positions, 0013) gets its trigrams from those runs,
  as a fresh insert would;
- any other row from its own positions: each is one token there, so this is exact too (a long
  row indexed before 0013, without ``long_text``, gets the trigrams its positions still show:
  the phrases its old index could confirm).

A row too long for its trigrams (past MAX_LEXEME_BYTES: about 110,000 characters of varied text)
keeps its bigrams and gets the lexeme MARK alone, as the write path does. SQLite's FTS5 index is
unchanged. The downgrade removes the trigram lexemes and the mark.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import pairwise

from alembic import op
from sqlalchemy import text

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Frozen here; storage.search_index must stay equal (tested: a migrated row holds a fresh one's
# lexemes, and also the trigrams of bigrams outside storage.search_index.PG_TRIGRAM_BIGRAMS,
# which the write path stopped storing after this migration and no search asks for).
MARK = "#"
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 255
# A row whose lexemes would pass this many bytes with its trigrams keeps its bigrams and gets
# the lexeme MARK alone (storage.search_index.PG_MAX_LEXEME_BYTES: a tsvector's limit is 1 MB).
MAX_LEXEME_BYTES = 1_000_000
BATCH_IDS = 4096
GRAMS_INDEXES = {
    "ix_search_documents_block_grams": "CREATE INDEX ix_search_documents_block_grams ON"
    " search_documents USING gin ((article_id / 1024), grams)",
    "ix_search_documents_grams": "CREATE INDEX ix_search_documents_grams ON search_documents"
    " USING gin (grams)",
}
UPDATE = text(
    "UPDATE search_documents SET grams = CAST(:grams AS tsvector) WHERE article_id = :id"
)
_LEXEME = re.compile(r"'((?:[^']|'')*)':([0-9A-D,]+)")


def _run_grams(runs: list[str]) -> list[str]:
    """bot.search.tokens' grams of runs: each run's bigrams, then its last character."""
    tokens: list[str] = []
    for run in runs:
        tokens.extend(a + b for a, b in pairwise(run))
        tokens.append(run[-1])
    return tokens


def _trigrams_of_positions(grams: str) -> dict[str, list[str]]:
    """Trigram lexeme -> its positions (with weight), from a ``grams`` tsvector's text."""
    at: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for quoted, slots in _LEXEME.findall(grams):
        lexeme = _unquote(quoted)
        if len(lexeme) != 2:
            continue
        for slot in slots.split(","):
            position = int(slot.rstrip("ABCD"))
            at[position].append((lexeme, slot[len(str(position)) :]))
    found: dict[str, list[str]] = {}
    for position in sorted(at):
        for first, weight in at[position]:
            for second, _ in at.get(position + 1, ()):
                if first[1] == second[0]:
                    slots = found.setdefault(MARK + first + second[1], [])
                    if len(slots) < MAX_POSITIONS_PER_LEXEME:
                        slots.append(f"{position}{weight}")
    return found


def _trigrams_of_text(long_text: str) -> dict[str, list[str]]:
    """Trigram lexeme -> its positions, from a row's ``long_text`` (title runs, a newline, body
    runs), placed as ``storage.search_index._tsvector_literal`` places them."""
    title_text, _, body_text = long_text.partition("\n")
    title = _run_grams(title_text.split())
    body = _run_grams(body_text.split())
    found: dict[str, list[str]] = {}
    for tokens, start, weight in ((title, 1, "A"), (body, len(title) + 2, "")):
        for index, (first, second) in enumerate(pairwise(tokens)):
            if len(first) == 2 and len(second) == 2 and first[1] == second[0]:
                slots = found.setdefault(MARK + first + second[1], [])
                if len(slots) < MAX_POSITIONS_PER_LEXEME:
                    slots.append(f"{min(start + index, MAX_POSITION)}{weight}")
    return found


def _size(lexemes: dict[str, list[str]]) -> int:
    """Bytes PostgreSQL counts against a tsvector's 1 MB: each lexeme aligned to 2, and 2 per
    position plus 2 for their count (storage.search_index._lexeme_bytes)."""
    return sum((len(x.encode()) + 1) // 2 * 2 + 2 + 2 * len(slots) for x, slots in lexemes.items())


def _unquote(quoted: str) -> str:
    return quoted.replace("''", "'").replace("\\\\", "\\")


def _quote(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


def with_trigrams(grams: str, long_text: str | None) -> str:
    """A ``grams`` tsvector's text with its trigram lexemes added."""
    found = _trigrams_of_text(long_text) if long_text is not None else _trigrams_of_positions(grams)
    present = {_unquote(quoted): slots.split(",") for quoted, slots in _LEXEME.findall(grams)}
    if _size(present) + _size(found) > MAX_LEXEME_BYTES:
        return f"{grams} '{MARK}'"
    added = " ".join(
        f"'{_quote(lexeme)}':{','.join(slots)}" for lexeme, slots in found.items()
    )
    return f"{grams} {added}" if added else grams


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    present = [
        name
        for name in GRAMS_INDEXES
        if bind.exec_driver_sql(f"SELECT to_regclass('{name}')").scalar() is not None
    ]
    for name in present:
        op.execute(f"DROP INDEX {name}")
    newest = bind.exec_driver_sql("SELECT max(article_id) FROM search_documents").scalar()
    for low in range(0, (newest or -1) + 1, BATCH_IDS):
        rows = bind.exec_driver_sql(
            "SELECT article_id, CAST(grams AS text), long_text FROM search_documents"
            f" WHERE article_id >= {low} AND article_id < {low + BATCH_IDS}"
        ).all()
        updates = [
            {"id": row[0], "grams": new}
            for row in rows
            if (new := with_trigrams(row[1], row[2])) != row[1]
        ]
        if updates:
            bind.execute(UPDATE, updates)
    for name in present:
        op.execute(GRAMS_INDEXES[name])
    op.execute("ANALYZE search_documents")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "UPDATE search_documents SET grams = ts_delete(grams, ARRAY(SELECT u.lexeme"
        f" FROM unnest(grams) AS u WHERE left(u.lexeme, 1) = '{MARK}'))"
    )
    op.execute("ANALYZE search_documents")
