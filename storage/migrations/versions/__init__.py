"""One Alembic revision per module, chained by ``down_revision``."""
