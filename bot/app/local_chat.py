"""``newsbrief chat``: the real Application in a terminal, with no Telegram at all.

:class:`LocalBotApi` is a ``telegram.request.BaseRequest`` that answers the Bot API methods the bot
uses in-process and shows what the bot sent; typed lines become ``Update`` objects fed to
``application.process_update``. Same handlers, same texts, same buttons as ``newsbrief run`` —
only the transport differs. Works with a terminal and with piped scripts (input is echoed then).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, TextIO

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app.application import NewsBot
from bot.config import Settings
from bot.render.html_text import plain_text
from bot.render.layout import utf16_len
from storage.database import Database

LOCAL_TOKEN = "1:newsbrief-local-chat"
LOCAL_BOT = {
    "id": 1,
    "is_bot": True,
    "first_name": "newsbrief",
    "username": "newsbrief_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LOCAL_USER_ID = 1001
PRESS = re.compile(r"^#\s*(\d+)$")
HINT = (
    "newsbrief chat: type what a Telegram user would type (/start, /today, /search 台风, "
    "or just a word). #N presses button N of the last message with buttons; "
    "/quit or Ctrl-D ends."
)
QUIT = frozenset({"/quit", "/exit"})


# --- showing messages -------------------------------------------------------------------------


class _TerminalText(HTMLParser):
    """Telegram HTML → terminal text: bold as ANSI bold (or 【】 when not a terminal)."""

    def __init__(self, color: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.color = color
        self.pieces: list[str] = []
        self._links: list[str | None] = []
        self._bold_starts: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("b", "strong"):
            self._bold_starts.append(len(self.pieces))
            self.pieces.append("\x1b[1m" if self.color else "【")
        elif tag in ("i", "em") and self.color:
            self.pieces.append("\x1b[3m")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            start = self._bold_starts.pop() if self._bold_starts else None
            inner = "".join(self.pieces[start + 1 :]) if start is not None else ""
            if not self.color and inner.startswith("【") and inner.endswith("】"):
                self.pieces[start] = ""  # already bracketed: don't show 【【经济】】
                return
            self.pieces.append("\x1b[22m" if self.color else "】")
        elif tag in ("i", "em") and self.color:
            self.pieces.append("\x1b[23m")
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self.pieces.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def html_to_terminal(markup: str, *, color: bool = False) -> str:
    """Telegram HTML as the terminal shows it (bold, italics, link targets)."""
    parser = _TerminalText(color)
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces).strip()


@dataclass
class LocalMessage:
    message_id: int
    chat_id: int
    text: str
    shown: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "You"},
            "from": LOCAL_BOT,
            "text": self.text,
        }
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class Transcript:
    """Where the bot's messages go: a stream, with button numbers the reader can press."""

    out: TextIO
    color: bool = False
    last_with_buttons: LocalMessage | None = None
    notices: list[str] = field(default_factory=list)

    def show(self, message: LocalMessage, *, edited: bool = False) -> None:
        label = "bot (edited)" if edited else "bot"
        lines = [f"{label} ▸ {message.shown}"]
        if message.buttons:
            self.last_with_buttons = message
            number = itertools.count(1)
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                lines.append("      " + "   ".join(f"[{next(number)}] {b['text']}" for b in row))
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def notice(self, text: str) -> None:
        self.notices.append(text)
        self.out.write(f"bot ▸ ⓘ {text}\n\n")
        self.out.flush()


# --- the Bot API, in-process ------------------------------------------------------------------


class LocalApiError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class LocalBotApi(BaseRequest):
    """Answers getMe, sendMessage, editMessageText, answerCallbackQuery and friends locally."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.messages: dict[tuple[int, int], LocalMessage] = {}
        self._message_ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def next_message_id(self) -> int:
        return next(self._message_ids)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{name}", None)
        if handler is None:
            return 200, json.dumps({"ok": True, "result": True}).encode()
        try:
            result = handler(params)
        except LocalApiError as exc:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
            return 400, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _api_getMe(self, _params: dict[str, Any]) -> Any:
        return LOCAL_BOT

    def _render(self, params: dict[str, Any]) -> tuple[str, str]:
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            shown = html_to_terminal(text, color=self.transcript.color)
            plain = plain_text(text)
        else:
            shown = plain = text.strip()
        if not plain:
            raise LocalApiError("message text is empty")
        if utf16_len(plain) > 4096:
            raise LocalApiError("message is too long")
        return shown, plain

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        shown, plain = self._render(params)
        message = LocalMessage(
            self.next_message_id(), int(params["chat_id"]), plain, shown,
            params.get("reply_markup"),
        )
        self.messages[(message.chat_id, message.message_id)] = message
        self.transcript.show(message)
        return message.to_api()

    def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise LocalApiError("message to edit not found")
        shown, plain = self._render(params)
        markup = params.get("reply_markup")
        if plain == message.text and markup == message.reply_markup:
            raise LocalApiError("message is not modified")
        message.text, message.shown, message.reply_markup = plain, shown, markup
        message.edits += 1
        self.transcript.show(message, edited=True)
        return message.to_api()

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if params.get("text"):
            self.transcript.notice(str(params["text"]))
        return True


# --- the conversation -------------------------------------------------------------------------


class LocalChat:
    """One reader talking to the Application: builds the updates a Telegram client would."""

    def __init__(self, application: Application, api: LocalBotApi, language_code: str) -> None:
        self.application = application
        self.api = api
        self.user = {"id": LOCAL_USER_ID, "is_bot": False, "first_name": "You",
                     "language_code": language_code}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    async def say(self, text: str) -> None:
        """The reader sends ``text`` (a command when it starts with /)."""
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        message = {
            "message_id": self.api.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": LOCAL_USER_ID, "type": "private", "first_name": "You"},
            "from": self.user,
            "text": text,
            "entities": entities,
        }
        await self._process({"update_id": next(self._update_ids), "message": message})

    async def press(self, number: int) -> bool:
        """Tap button ``number`` (1-based) of the last message with buttons; False if none."""
        message = self.api.transcript.last_with_buttons
        buttons = message.buttons if message else []
        if message is None or not 1 <= number <= len(buttons):
            return False
        query = {
            "id": str(next(self._callback_ids)),
            "from": self.user,
            "chat_instance": "local",
            "message": message.to_api(),
            "data": buttons[number - 1].get("callback_data"),
        }
        await self._process({"update_id": next(self._update_ids), "callback_query": query})
        return True

    async def _process(self, data: dict[str, Any]) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))


async def run_chat(
    settings: Settings,
    db: Database,
    *,
    language_code: str = "zh-hans",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> None:
    """Read lines until EOF or /quit; answer each exactly as the Telegram bot would."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    color = out.isatty() and not os.environ.get("NO_COLOR")
    transcript = Transcript(out, color=color)
    api = LocalBotApi(transcript)
    news = NewsBot(settings, db, token=LOCAL_TOKEN, request=api, with_updater=False,
                   hold_lock=True)
    application = news.application
    try:
        await application.initialize()
        await news.startup(application)
        await application.start()
        chat = LocalChat(application, api, language_code)
        out.write(HINT + "\n\n")
        out.flush()
        while True:
            line = await _read_line(stdin, interactive)
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if not interactive:
                out.write(f"you ▸ {text}\n")
            if text in QUIT:
                break
            pressed = PRESS.match(text)
            if pressed:
                if not await chat.press(int(pressed.group(1))):
                    out.write(f"(no button {pressed.group(1)} on the last message)\n\n")
                continue
            await chat.say(text)
    finally:
        if application.running:
            await application.stop()
        await news.stop(application)
        await application.shutdown()
        await news.shutdown(application)


async def _read_line(stream: TextIO, interactive: bool) -> str | None:
    if interactive and stream is sys.stdin:
        try:
            return await asyncio.to_thread(input, "you ▸ ")
        except EOFError:
            return None
    line = await asyncio.to_thread(stream.readline)
    return line if line else None
