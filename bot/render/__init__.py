"""Service results → what a chat is sent: HTML message parts and keyboards within Telegram's
limits, the three locale catalogues, and the signed data behind inline buttons."""
