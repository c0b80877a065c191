"""Search ranking reads plain columns of ``search_documents`` instead of extra indexes.

Revision ID: 0006_search_ranking_columns
Revises: 0005_subscriptions_watches
Create Date: 2026-11-27

Ranking only looks at the newest few hundred matches, so whether a term is in the headline, or
is a whole jieba word of the headline and lead, is cheaper to test row by row on two short text
columns (``headline``: the folded headline's letter/digit runs joined by spaces; ``lead_words``:
its words between spaces) than through an index over the whole archive. The replaced structures
(SQLite ``search_words``; PostgreSQL ``title_grams``, ``title_chars``, ``words``) are dropped.
Rows indexed before this revision get empty columns: ``newsbrief reindex`` fills them.
"""

from __future__ import annotations

from alembic import op

revision = "0006_search_ranking_columns"
down_revision = "0005_subscriptions_watches"
branch_labels = None
depends_on = None

ADD_COLUMNS = (
    "ALTER TABLE search_documents ADD COLUMN headline TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE search_documents ADD COLUMN lead_words TEXT NOT NULL DEFAULT ''",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in ADD_COLUMNS:
        op.execute(statement)
    if sqlite:
        op.execute("DROP TABLE IF EXISTS search_words")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_words")
        for column in ("title_grams", "title_chars", "words"):
            op.execute(f"ALTER TABLE search_documents DROP COLUMN {column}")


def downgrade() -> None:
    """Back to 0005's shape (the restored ranking structures are empty: reindex after)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(
            "CREATE VIRTUAL TABLE search_words USING fts5("
            "words, content='', tokenize='ascii', detail='none')"
        )
    else:
        for column in ("title_grams", "title_chars", "words"):
            op.execute(
                f"ALTER TABLE search_documents ADD COLUMN {column} TSVECTOR NOT NULL DEFAULT ''"
            )
        op.execute("CREATE INDEX ix_search_documents_words ON search_documents USING gin (words)")
    for column in ("lead_words", "headline"):
        op.execute(f"ALTER TABLE search_documents DROP COLUMN {column}")
