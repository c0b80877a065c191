"""Chats with their subscription settings, and the delivery outbox.

Revision ID: 0003_chats_outbox
Revises: 0002_search_index
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003_chats_outbox"
down_revision = "0002_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("language", sa.String(16)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("inactive_reason", sa.Text),
        sa.Column("subscribed", sa.Boolean, nullable=False),
        sa.Column("digest_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("alerts_enabled", sa.Boolean, nullable=False),
        sa.Column("other_hazards", sa.Boolean, nullable=False),
        sa.Column("digest_silent", sa.Boolean, nullable=False),
        sa.Column("last_digest_date", sa.Date),
        sa.Column("last_digest_article_id", sa.Integer),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_chats_subscribed", "chats", ["active", "subscribed"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("sent_message_ids", sa.JSON, nullable=False),
        sa.Column("plain_text", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("claim_part", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.UniqueConstraint("chat_id", "kind", "ref", name="uq_deliveries_chat_kind_ref"),
    )
    # Column order and direction match the sender's ORDER BY, so fetching the next due rows
    # reads only those rows (no sort over the whole queue during a 10,000-chat fan-out).
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["status", sa.text("priority DESC"), "next_attempt_at", "id"],
    )
    op.create_index("ix_deliveries_chat_status", "deliveries", ["chat_id", "status"])
    op.create_index("ix_deliveries_finished", "deliveries", ["finished_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("chats")
