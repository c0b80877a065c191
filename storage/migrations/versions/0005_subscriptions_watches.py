"""Keyword watches: per chat, the query as typed, its normal form, and a durable cursor.

Revision ID: 0005_subscriptions_watches
Revises: 0004_alerts
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005_subscriptions_watches"
down_revision = "0004_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("query_key", sa.String(200), nullable=False),
        sa.Column("last_article_id", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("chat_id", "query_key", name="uq_watches_chat_query"),
    )
    op.create_index("ix_watches_cursor", "watches", ["last_article_id"])


def downgrade() -> None:
    op.drop_table("watches")
