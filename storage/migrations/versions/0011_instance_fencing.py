"""Fencing for the one-bot lock, and a send order that keeps a row's place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``instance_fences`` holds one generation number per lock name, bumped every time a bot takes the
lock; the sender claims outbox rows only while its generation is the current one and stamps each
claim with it (``deliveries.claim_token``), so a bot that lost its lock (a PostgreSQL connection
cut) can neither claim nor finish rows once another bot has taken over.

``ix_deliveries_due`` now follows the claim order priority, then enqueue order (``id``): a row
released after a crash or retried after a 429 keeps its place instead of queueing behind
everything still waiting.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_fences",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.Text()),
        sa.Column("acquired_at", UTCDateTime()),
    )
    op.add_column("deliveries", sa.Column("claim_token", sa.BigInteger(), nullable=True))
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.create_index(
        "ix_deliveries_due", "deliveries", ["status", sa.text("priority DESC"), "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["status", sa.text("priority DESC"), "next_attempt_at", "id"],
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claim_token")
    op.drop_table("instance_fences")
