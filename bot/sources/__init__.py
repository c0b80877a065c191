"""Sources that feed the bot by themselves: feeds, web pages and PDF pages polled on a schedule.

:mod:`fetch` talks HTTP politely and safely, :mod:`charset` turns bytes into correct Chinese,
:mod:`feeds` and :mod:`pages` read feeds and web pages into article records, and
:mod:`service` stores them through the same ingest path as files (sections, search index, alerts).
"""
