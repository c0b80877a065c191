"""Alert events and the current state of each response or warning.

Revision ID: 0004_alerts
Revises: 0003_chats_outbox
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004_alerts"
down_revision = "0003_chats_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hazard", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("authority_key", sa.Text, nullable=False),
        sa.Column("storm_year", sa.Integer),
        sa.Column("storm_number", sa.Integer),
        sa.Column("storm_name", sa.String(50)),
        sa.Column("level", sa.String(10)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("last_effective_at", UTCDateTime(), nullable=False),
        sa.Column("last_event_id", sa.Integer),
    )
    op.create_index("ix_alert_states_lookup", "alert_states", ["hazard", "kind", "authority_key"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("hazard", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("level", sa.String(10)),
        sa.Column("previous_level", sa.String(10)),
        sa.Column("direction", sa.String(5)),
        sa.Column("storm_year", sa.Integer),
        sa.Column("storm_number", sa.Integer),
        sa.Column("storm_name", sa.String(50)),
        sa.Column("authority", sa.Text, nullable=False),
        sa.Column("authority_key", sa.Text, nullable=False),
        sa.Column("region", sa.Text),
        sa.Column("effective_at", UTCDateTime(), nullable=False),
        sa.Column("time_stated", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("impact", sa.Text),
        sa.Column("dedupe_key", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "state_id", sa.Integer, sa.ForeignKey("alert_states.id", ondelete="SET NULL")
        ),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("notified_at", UTCDateTime()),
    )
    op.create_index("ix_alert_events_effective", "alert_events", ["effective_at", "id"])


def downgrade() -> None:
    op.drop_table("alert_events")
    op.drop_table("alert_states")
