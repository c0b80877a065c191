"""The /settings panel: a chat's (or a channel's) digest settings as text and a keyboard.

``g:...`` buttons change the chat they are pressed in; ``c:<id>:...`` buttons a channel managed
from a private chat. The data is short ASCII (≤ 28 bytes), built by :mod:`bot.render.callback_data`.
"""

from __future__ import annotations

from bot.render.callback_data import SECTION_SLUGS, language_data, settings_data
from bot.render.i18n import Html, Translator
from bot.render.parts import Button, MessagePart
from bot.subscriptions.language import AUTO, LANGUAGE_CHOICES
from bot.subscriptions.settings import QUICK_ZONES, ChannelRef, ChatSettings
from bot.text.sections import SECTIONS

SECTIONS_PER_ROW = 3


def _state(tr: Translator, on: bool) -> str:
    return tr.text("settings.on" if on else "settings.off")


def render_settings(
    s: ChatSettings, tr: Translator, channel: ChannelRef | None = None
) -> MessagePart:
    """The settings text and its keyboard: ``g:...`` buttons change the chat they are in,
    ``c:<id>:...`` buttons (``channel`` given) that channel (ASCII, at most 28 bytes)."""
    def data(kind: str, value: str = "") -> str:
        return settings_data(kind, value, channel_id=channel.chat_id if channel else None)

    sections = (
        tr.text("settings.section_separator").join(tr.section(name) for name in s.sections)
        if s.sections else tr.text("settings.all_sections")
    )
    if channel is None:
        title, hint = tr.html("settings.title"), tr.html("settings.hint")
    else:
        title = tr.html("channel.settings_title", channel=channel.handle)
        hint = tr.html("channel.settings_hint", channel=channel.handle)
    text = tr.html(
        "settings.text", title=title, hint=hint,
        subscribed=tr.text("settings.subscribed" if s.subscribed else "settings.not_subscribed"),
        time=s.digest_time, timezone=s.timezone, sections=sections,
        alerts=_state(tr, s.alerts_enabled), silent=_state(tr, s.digest_silent),
    )
    if channel is None:  # a channel's posts follow its admins' clients; /lang is per chat
        text = Html(text + "\n" + tr.html("settings.language",
                                           language=language_name(tr, s.reply_language)))
    rows: list[tuple[Button, ...]] = [
        (Button(tr.text("settings.button_unsubscribe" if s.subscribed
                        else "settings.button_subscribe"), data("sub")),),
        (Button(tr.text("settings.button_earlier"), data("h", "-1")),
         Button(tr.text("settings.button_later"), data("h", "1"))),
    ]
    section_buttons = [
        Button(tr.text("settings.button_section_on" if s.shows(name)
                       else "settings.button_section_off", section=tr.section(name)),
               data("s", SECTION_SLUGS[name]))
        for name in SECTIONS
    ]
    rows += [tuple(section_buttons[i : i + SECTIONS_PER_ROW])
             for i in range(0, len(section_buttons), SECTIONS_PER_ROW)]
    rows.append((Button(tr.text("settings.button_alerts", state=_state(tr, s.alerts_enabled)),
                        data("a")),
                 Button(tr.text("settings.button_silent", state=_state(tr, s.digest_silent)),
                        data("q"))))
    rows.append((Button(tr.text("settings.button_other_hazards",
                                state=_state(tr, s.other_hazards)), data("o")),))
    rows.append(tuple(Button(zone, data("z", str(i))) for i, zone in enumerate(QUICK_ZONES)))
    return MessagePart(text, tuple(rows))


# --- the reply language (/lang) ---------------------------------------------------------------

LANGUAGE_NAMES = {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}


def language_name(tr: Translator, choice: str | None) -> str:
    """A language by its own name; no choice is "automatic" in the reader's language."""
    if choice is None:
        return tr.text("lang.auto_name")
    return LANGUAGE_NAMES.get(choice, choice)


def render_language_menu(tr: Translator, current: str | None) -> MessagePart:
    """The chat's reply language and a button per choice (✓ on the current one)."""
    def label(choice: str | None) -> str:
        name = language_name(tr, choice)
        return f"✓ {name}" if choice == current else name

    rows = (
        tuple(Button(label(choice), language_data(choice)) for choice in LANGUAGE_CHOICES),
        (Button(label(None), language_data(AUTO)),),
    )
    return MessagePart(tr.html("lang.current", language=language_name(tr, current)), rows)
