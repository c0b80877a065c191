"""PostgreSQL: the search index partitioned by article id, so a search's index work stays bounded
as the archive grows (issue 16).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

A search looks for the newest matches first. With one GIN index over the whole archive, the
bitmap of a common term is built from its whole posting list whatever id range is asked for
(~2 ms at 100k articles, ~40 ms at 1M). ``search_documents`` becomes a table partitioned by
RANGE (article_id) in partitions of PARTITION_IDS ids (``search_documents_<n>`` holds ids
``n * PARTITION_IDS`` up to the next), each with its own GIN indexes, so a search reads the
posting lists of the newest partitions only (``storage.search_index._pg_newest_first``).

There is no btree on ``article_id`` any more (so no primary key): with one, the planner may walk
an id range and test every row's TOASTed tsvector instead of using GIN; a hash index serves the
lookups by id, and ``SearchIndex.add`` checks for an id before adding it. Partitions for new ids
are created by the write path (``storage.search_index.ensure_partitions``). SQLite's FTS5 index
is unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Frozen here; storage.search_index.PG_PARTITION_IDS must stay equal (tested).
PARTITION_IDS = 16384

COLUMNS = "article_id, edition_date, section, grams, chars, headline, lead_words, long_text"
COLUMN_TYPES = (
    "article_id INTEGER NOT NULL, edition_date DATE NOT NULL, section VARCHAR(20) NOT NULL,"
    " grams TSVECTOR NOT NULL, chars TSVECTOR NOT NULL, headline TEXT NOT NULL DEFAULT '',"
    " lead_words TEXT NOT NULL DEFAULT '', long_text TEXT"
)
FOREIGN_KEY = (
    "ALTER TABLE search_documents ADD CONSTRAINT search_documents_article_id_fkey"
    " FOREIGN KEY (article_id) REFERENCES articles(id) ON DELETE CASCADE"
)
PARTITIONED_INDEXES = (
    "CREATE INDEX ix_search_documents_id ON search_documents USING hash (article_id)",
    "CREATE INDEX ix_search_documents_grams ON search_documents USING gin (grams)",
    "CREATE INDEX ix_search_documents_chars ON search_documents USING gin (chars)",
)
PLAIN_INDEXES = (
    "ALTER TABLE search_documents ADD PRIMARY KEY (article_id)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section, article_id)",
    "CREATE INDEX ix_search_documents_grams ON search_documents USING gin (grams)",
    "CREATE INDEX ix_search_documents_chars ON search_documents USING gin (chars)",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    newest = bind.exec_driver_sql("SELECT max(article_id) FROM search_documents").scalar()
    op.execute(
        f"CREATE TABLE search_documents_new ({COLUMN_TYPES}) PARTITION BY RANGE (article_id)"
    )
    for number in range(0 if newest is None else newest // PARTITION_IDS + 1):
        op.execute(
            f"CREATE TABLE search_documents_{number} PARTITION OF search_documents_new"
            f" FOR VALUES FROM ({number * PARTITION_IDS}) TO ({(number + 1) * PARTITION_IDS})"
        )
    # Rows first, indexes after: one build per index instead of one insert per row into each.
    op.execute(
        f"INSERT INTO search_documents_new ({COLUMNS})"
        f" SELECT {COLUMNS} FROM search_documents ORDER BY article_id"
    )
    op.execute("DROP TABLE search_documents")
    op.execute("ALTER TABLE search_documents_new RENAME TO search_documents")
    for statement in (*PARTITIONED_INDEXES, FOREIGN_KEY, "ANALYZE search_documents"):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f"CREATE TABLE search_documents_plain ({COLUMN_TYPES})")
    op.execute(
        f"INSERT INTO search_documents_plain ({COLUMNS})"
        f" SELECT {COLUMNS} FROM search_documents ORDER BY article_id"
    )
    op.execute("DROP TABLE search_documents")  # and every partition with it
    op.execute("ALTER TABLE search_documents_plain RENAME TO search_documents")
    for statement in (*PLAIN_INDEXES, FOREIGN_KEY, "ANALYZE search_documents"):
        op.execute(statement)
