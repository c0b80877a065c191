"""Service results → what a chat is sent: HTML message parts and keyboards within Telegram's
limits, the three locale catalogues, and the signed data behind inline buttons."""

from __future__ import annotations

from bot.render.alerts import render_active_alerts, render_alert_notice
from bot.render.callback_data import (
    SECTION_SLUGS,
    SLUG_SECTIONS,
    ButtonAction,
    CallbackCodec,
    CallbackDataError,
    OpenArticle,
    SearchPageRequest,
    SectionPageRequest,
    SettingsPress,
    parse_deep_link,
    parse_settings_data,
    parse_watch_remove,
)
from bot.render.digest import render_digest, render_nothing_new
from bot.render.html_text import html_to_terminal, plain_text
from bot.render.i18n import ECHO_CHARS, EN, ZH_HANS, Translator, echo
from bot.render.layout import utf16_len
from bot.render.parts import MessagePart, inline_markup
from bot.render.settings import render_settings
from bot.render.views import (
    RESULTS_PER_PAGE,
    render_article,
    render_help,
    render_search_page,
    render_section_page,
    render_sections_menu,
    render_today,
    render_upload_summary,
)
from bot.render.watches import render_watch_notice, render_watches

__all__ = [
    "ECHO_CHARS",
    "EN",
    "RESULTS_PER_PAGE",
    "SECTION_SLUGS",
    "SLUG_SECTIONS",
    "ZH_HANS",
    "ButtonAction",
    "CallbackCodec",
    "CallbackDataError",
    "MessagePart",
    "OpenArticle",
    "SearchPageRequest",
    "SectionPageRequest",
    "SettingsPress",
    "Translator",
    "echo",
    "html_to_terminal",
    "inline_markup",
    "parse_deep_link",
    "parse_settings_data",
    "parse_watch_remove",
    "plain_text",
    "render_active_alerts",
    "render_alert_notice",
    "render_article",
    "render_digest",
    "render_help",
    "render_nothing_new",
    "render_search_page",
    "render_section_page",
    "render_sections_menu",
    "render_settings",
    "render_today",
    "render_upload_summary",
    "render_watch_notice",
    "render_watches",
    "utf16_len",
]
