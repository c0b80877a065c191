"""Full-text search index (bigrams + characters + jieba words) on FTS5 or tsvector + GIN.

Revision ID: 0002_search_index
Revises: 0001_articles
Create Date: 2026-11-27

Articles already stored are indexed here, in the migration's transaction. That needs the
application's tokenizer (``bot.search_tokens``: normalisation + jieba), imported lazily so that
migrations which do not index anything never load it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from storage.search_index import drop_statements, insert_statements, schema_statements

revision = "0002_search_index"
down_revision = "0001_articles"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in schema_statements(dialect):
        op.execute(statement)
    if not bind.execute(sa.text("SELECT 1 FROM articles LIMIT 1")).first():
        return
    from bot.search_tokens import index_entries
    from storage.models import Article

    session = Session(bind=bind)
    last_id = 0
    while True:
        articles = list(
            session.scalars(
                sa.select(Article).where(Article.id > last_id).order_by(Article.id).limit(BATCH)
            )
        )
        if not articles:
            break
        for statement, parameters in insert_statements(dialect, index_entries(articles)):
            bind.execute(statement, parameters)
        last_id = articles[-1].id
        session.expunge_all()


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
