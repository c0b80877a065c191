"""PostgreSQL: phrases in very long articles are checked on their text (issue 16).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

A tsvector keeps positions only up to 16,383 and 255 per lexeme, so a phrase deep in a whole
新闻联播 transcript could not be confirmed and the search missed it (recall 0.93 on one query of
the broad benchmark mix). Rows whose tsvector loses positions now also keep ``long_text``, their
folded runs, and phrases are found there by substring (``storage.search_index._pg_phrases``).
SQLite's FTS5 has no such limit and is unchanged. Long articles indexed before this revision keep
the old behaviour until ``newsbrief reindex``.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ADD COLUMN long_text TEXT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents DROP COLUMN long_text")
