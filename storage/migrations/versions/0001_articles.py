"""Articles and the files they came from.

Revision ID: 0001_articles
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001_articles"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=False),
        sa.Column("paper", sa.String(100)),
        sa.Column("edition_date", sa.Date),
        sa.Column("page", sa.Integer),
        sa.Column("articles_new", sa.Integer, nullable=False),
        sa.Column("articles_duplicate", sa.Integer, nullable=False),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper", sa.String(100), nullable=False),
        sa.Column("edition_date", sa.Date, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("section", sa.String(20), nullable=False),
        sa.Column("section_source", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("kicker", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("subtitle", sa.Text),
        sa.Column("byline", sa.Text),
        sa.Column("reporters", sa.JSON, nullable=False),
        sa.Column("paragraphs", sa.JSON, nullable=False),
        sa.Column("subheads", sa.JSON, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.Column(
            "source_file_id",
            sa.Integer,
            sa.ForeignKey("source_files.id", ondelete="SET NULL"),
        ),
    )
    op.create_index("ix_articles_edition", "articles", ["edition_date", "id"])
    op.create_index("ix_articles_section_edition", "articles", ["section", "edition_date", "id"])


def downgrade() -> None:
    op.drop_table("articles")
    op.drop_table("source_files")
