"""The one shape of an outgoing message: HTML text, inline buttons, loud or silent.

Renderers return :class:`MessagePart`; handlers send it as a reply, the outbox stores it as Bot API
JSON (:meth:`MessagePart.to_outbox`) and the sender posts that JSON as it is. Keyboards become
Bot API JSON here and only here — once as plain JSON for the outbox, once as PTB's
``InlineKeyboardMarkup`` for replies — so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render.i18n import Html

PARSE_MODE_HTML = "HTML"


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the signed data its press sends (≤ 64 bytes); or, when
    ``url`` or ``switch_inline_query`` is set, a link (a share link) or "share in another chat"
    (the reader picks a chat and the bot's inline results appear there)."""

    text: str
    callback_data: str = ""
    url: str | None = None
    switch_inline_query: str | None = None

    def to_json(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        if self.switch_inline_query is not None:
            return {"text": self.text, "switch_inline_query": self.switch_inline_query}
        return {"text": self.text, "callback_data": self.callback_data}

    def to_telegram(self) -> InlineKeyboardButton:
        if self.url is not None:
            return InlineKeyboardButton(self.text, url=self.url)
        if self.switch_inline_query is not None:
            return InlineKeyboardButton(self.text, switch_inline_query=self.switch_inline_query)
        return InlineKeyboardButton(self.text, callback_data=self.callback_data)


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class MessagePart:
    """One message to send: HTML text (≤ 4096 UTF-16 units once parsed) and its buttons."""

    html: Html
    keyboard: Keyboard = ()
    silent: bool = False  # sent with disable_notification (a quiet digest)

    def to_outbox(self) -> dict[str, Any]:
        """The stored form the sender posts: ``sendMessage`` parameters as Bot API JSON."""
        return {
            "text": str(self.html),
            "parse_mode": PARSE_MODE_HTML,
            "reply_markup": keyboard_json(self.keyboard),
            "disable_notification": self.silent,
        }

    @classmethod
    def from_outbox(cls, data: dict[str, Any]) -> MessagePart:
        """A stored part read back (``digest --preview`` shows what is already queued)."""
        rows = (data.get("reply_markup") or {}).get("inline_keyboard", [])
        keyboard = tuple(
            tuple(Button(b["text"], b.get("callback_data", ""), url=b.get("url"),
                         switch_inline_query=b.get("switch_inline_query")) for b in row)
            for row in rows
        )
        return cls(Html(data["text"]), keyboard, bool(data.get("disable_notification")))


def keyboard_json(keyboard: Keyboard) -> dict[str, Any] | None:
    """Bot API ``reply_markup`` JSON for an inline keyboard (None when there are no buttons)."""
    if not keyboard:
        return None
    return {
        "inline_keyboard": [
            [b.to_json() for b in row] for row in keyboard
        ]
    }


def inline_markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """The same keyboard as PTB's object, for replies sent through ``telegram.Bot``."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[b.to_telegram() for b in row] for row in keyboard]
    )
