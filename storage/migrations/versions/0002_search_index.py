"""Full-text search index (bigrams + characters + jieba words) on FTS5 or tsvector + GIN.

Revision ID: 0002_search_index
Revises: 0001_articles
Create Date: 2026-11-27

Creates the empty index only. Filling it needs the application's tokenizer (normalisation +
jieba, in ``bot``), which storage never imports, and no database with articles predates this
revision; ``newsbrief reindex`` rebuilds the index from the stored articles whenever needed.
"""

from __future__ import annotations

from alembic import op

from storage.search_index import drop_statements, schema_statements

revision = "0002_search_index"
down_revision = "0001_articles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in schema_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
