"""Alembic migrations of the store (``env.py``; run through ``storage.database``)."""
