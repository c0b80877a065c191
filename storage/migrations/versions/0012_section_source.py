"""Where a section came from, and the model's confidence (issue 13).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05

``articles.section_source`` was ``auto`` or ``operator``; it is now ``operator`` / ``page`` /
``source`` / ``model`` (bot.text.section_choice), so ``auto`` becomes ``model``.
``articles.section_confidence`` is the model's confidence (NULL for the other sources and for
rows classified before this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("section_confidence", sa.Float(), nullable=True))
    op.execute("UPDATE articles SET section_source = 'model' WHERE section_source = 'auto'")


def downgrade() -> None:
    op.execute("UPDATE articles SET section_source = 'auto' WHERE section_source <> 'operator'")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("section_confidence")
