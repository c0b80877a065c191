"""Telegram wiring only: build and serve the Application, its JobQueue jobs, ``newsbrief chat``."""
