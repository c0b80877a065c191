"""Telegram update handlers, flat: each parses an update, calls one service, and replies with parts
from :mod:`bot.render`. ``handlers.commands`` holds the one command table that registers them all
(and publishes the menus), so there is nothing to export here."""
