"""A reply language the chat chose with /lang (NULL: follow the reader's Telegram client).

Revision ID: 0010
Revises: 0006_search_ranking_columns
Create Date: 2026-12-05

``chats.language`` keeps what the client said (it decides pushes when nothing was chosen);
``chats.reply_language`` is the reader's own choice, a language tag the translator understands
(``en``, ``zh-hans``, ``zh-hant``), kept apart so "auto" can go back to the client's language.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chats", sa.Column("reply_language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("reply_language")
