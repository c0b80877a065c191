"""Pushes out of the outbox into Telegram: paced at Telegram's limits, with one error policy."""
