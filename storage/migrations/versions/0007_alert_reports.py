"""Every article that reports an alert event is linked to it; events know their latest report.

Revision ID: 0007
Revises: 0006_search_ranking_columns
Create Date: 2026-12-05

An event used to point only at its first article, so a report the next day (维持, the same
response restated) was lost and an event nobody reported for years still read as in force.
``alert_reports`` keeps one row per (event, article) with the instant of the report;
``alert_events`` gains the first and latest report instants and the latest report's article, so
"in force" (not ended and reported recently) is one comparison. Events stored before this revision
get one report, their own article, dated at their effective time.

``issuer`` is whom a notice names: the authority as written, or for a placeholder subject
("其他区", "各地") the nearest named place, or nobody (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0007"
down_revision = "0006_search_ranking_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("alert_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "article_id", name="uq_alert_reports_event_article"),
    )
    op.create_index("ix_alert_reports_article", "alert_reports", ["article_id"])
    with op.batch_alter_table("alert_events") as batch:
        batch.add_column(sa.Column("first_reported_at", UTCDateTime()))
        batch.add_column(sa.Column("last_reported_at", UTCDateTime()))
        batch.add_column(sa.Column("last_article_id", sa.Integer))
        batch.add_column(sa.Column("issuer", sa.Text))
    op.execute(
        "UPDATE alert_events SET first_reported_at = effective_at, "
        "last_reported_at = effective_at, last_article_id = article_id, issuer = authority"
    )
    op.execute(
        "INSERT INTO alert_reports (event_id, article_id, reported_at) "
        "SELECT id, article_id, effective_at FROM alert_events"
    )
    op.create_index("ix_alert_events_last_reported", "alert_events", ["last_reported_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_events_last_reported", table_name="alert_events")
    with op.batch_alter_table("alert_events") as batch:
        batch.drop_column("issuer")
        batch.drop_column("last_article_id")
        batch.drop_column("last_reported_at")
        batch.drop_column("first_reported_at")
    op.drop_index("ix_alert_reports_article", table_name="alert_reports")
    op.drop_table("alert_reports")
