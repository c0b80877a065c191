"""End-to-end tests: the bot as a process against a strict fake Bot API server on loopback."""
