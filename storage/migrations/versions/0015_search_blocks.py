"""PostgreSQL: the search index also keyed by block of article ids, so the newest matches of a
very common term are found without visiting its whole partition (issue 16).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

After 0014 a search's first step visited every candidate of the newest partition (16,384 ids):
新闻联播 at 100k cost ~28 ms when that partition was full. Each partition's GIN indexes on
``grams`` and ``chars`` become multicolumn GIN indexes led by the article's block,
``article_id / BLOCK_IDS`` (extension ``btree_gin``), so a search first asks for the newest four
blocks one by one — each one GIN entry, not a range — and visits only their candidates
(``storage.search_index._pg_newest_first``). The block is an ``integer`` expression: btree_gin's
``int4_ops`` has no cross-type ``bigint`` operators, so a ``bigint`` bound would silently stay a
filter. New partitions get these indexes from the partitioned ones when they are attached.

``btree_gin`` ships with PostgreSQL (Debian: postgresql-contrib) and is a trusted extension, so
the database owner can create it; it goes in schema ``public`` because an extension exists once
per database and must not be dropped with an application schema. Where it cannot be created
(not installed, not allowed, no ``public``), the plain GIN indexes of 0014 stay, a warning is
logged and the search skips the block steps (it asks for the block index by name).
The downgrade restores 0014's indexes and leaves the extension installed (other schemas may
use it).
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

# Frozen here; storage.search_index.PG_BLOCK_IDS must stay equal (tested).
BLOCK_IDS = 1024
EXTENSION = "btree_gin"
BLOCK_INDEXES = (
    "CREATE INDEX ix_search_documents_block_grams ON search_documents"
    f" USING gin ((article_id / {BLOCK_IDS}), grams)",
    "CREATE INDEX ix_search_documents_block_chars ON search_documents"
    f" USING gin ((article_id / {BLOCK_IDS}), chars)",
)
PLAIN_INDEXES = (
    "CREATE INDEX ix_search_documents_grams ON search_documents USING gin (grams)",
    "CREATE INDEX ix_search_documents_chars ON search_documents USING gin (chars)",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():  # a failure must not abort the migration's transaction
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION} SCHEMA public")
    except DBAPIError as error:
        logger.warning(
            "extension %s unavailable (%s): the search index keeps its plain GIN indexes; a"
            " search of a very common term will cost more (see README, PostgreSQL)",
            EXTENSION,
            str(error.orig).strip().splitlines()[0],
        )
        return
    op.execute("DROP INDEX ix_search_documents_grams")
    op.execute("DROP INDEX ix_search_documents_chars")
    for statement in (*BLOCK_INDEXES, "ANALYZE search_documents"):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_block_grams")
    op.execute("DROP INDEX IF EXISTS ix_search_documents_block_chars")
    for statement in PLAIN_INDEXES:
        op.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
    op.execute("ANALYZE search_documents")
