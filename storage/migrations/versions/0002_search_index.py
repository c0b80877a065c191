"""Full-text search index (bigrams + characters + jieba words) on FTS5 or tsvector + GIN.

Revision ID: 0002_search_index
Revises: 0001_articles
Create Date: 2026-11-27

Creates the empty index only, with its DDL written out here so later changes to
``storage.search_index`` never alter what this revision did (0006 reshapes the ranking columns).
Filling it needs the application's tokenizer (normalisation + jieba, in ``bot``), which storage
never imports, and no database with articles predates this revision; ``newsbrief reindex``
rebuilds the index from the stored articles whenever needed.
"""

from __future__ import annotations

from alembic import op

revision = "0002_search_index"
down_revision = "0001_articles"
branch_labels = None
depends_on = None

SQLITE_SCHEMA = (
    "CREATE TABLE search_documents ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " edition_date DATE NOT NULL, section VARCHAR(20) NOT NULL)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section, article_id)",
    "CREATE VIRTUAL TABLE search_grams USING fts5(title, body, content='', tokenize='ascii')",
    "CREATE VIRTUAL TABLE search_chars USING fts5("
    "title, body, content='', tokenize='ascii', detail='column')",
    "CREATE VIRTUAL TABLE search_words USING fts5("
    "words, content='', tokenize='ascii', detail='none')",
)
SQLITE_DROP = (
    "DROP TABLE IF EXISTS search_words",
    "DROP TABLE IF EXISTS search_chars",
    "DROP TABLE IF EXISTS search_grams",
    "DROP TABLE IF EXISTS search_documents",
)
POSTGRES_SCHEMA = (
    "CREATE TABLE search_documents ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " edition_date DATE NOT NULL, section VARCHAR(20) NOT NULL,"
    " grams TSVECTOR NOT NULL, title_grams TSVECTOR NOT NULL,"
    " chars TSVECTOR NOT NULL, title_chars TSVECTOR NOT NULL, words TSVECTOR NOT NULL)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section, article_id)",
    "CREATE INDEX ix_search_documents_grams ON search_documents USING gin (grams)",
    "CREATE INDEX ix_search_documents_chars ON search_documents USING gin (chars)",
    "CREATE INDEX ix_search_documents_words ON search_documents USING gin (words)",
)
POSTGRES_DROP = ("DROP TABLE IF EXISTS search_documents",)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_SCHEMA if sqlite else POSTGRES_SCHEMA:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DROP if sqlite else POSTGRES_DROP:
        op.execute(statement)
