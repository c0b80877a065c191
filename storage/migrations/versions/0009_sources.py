"""Sources the bot polls by itself (feeds, web pages, PDF pages) and the items each one gave.

Revision ID: 0009
Revises: 0006_search_ranking_columns
Create Date: 2026-12-05

``sources`` holds what to fetch, how often, the HTTP validators for a conditional GET and the
health of the last polls (consecutive failures, failing since, next poll time with backoff).
``source_items`` maps an item's identity in its source (feed id / link / page URL) to the article
it became, so an item edited later updates that article instead of adding a second one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("every_seconds", sa.Integer, nullable=False),
        sa.Column("paper", sa.String(100)),
        sa.Column("section", sa.String(20)),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_status", sa.String(20)),
        sa.Column("last_error", sa.Text),
        sa.Column("last_polled_at", UTCDateTime()),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("failing_since", UTCDateTime()),
        sa.Column("next_poll_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_index("ix_sources_due", "sources", ["paused", "next_poll_at"])
    op.create_table(
        "source_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("item_key", sa.Text, nullable=False),
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("source_id", "key_hash", name="uq_source_items_key"),
    )


def downgrade() -> None:
    op.drop_table("source_items")
    op.drop_index("ix_sources_due", table_name="sources")
    op.drop_table("sources")
