"""``newsbrief chat``: the real Application in a terminal, with no Telegram at all.

:class:`LocalBotApi` is a ``telegram.request.BaseRequest`` that answers the Bot API methods the bot
uses in-process and shows what the bot sent; typed lines become ``Update`` objects fed to
``application.process_update``. Same handlers, same texts, same buttons as ``newsbrief run`` —
only the transport differs. The delivery sender, the digest and watch scheduler and the
alert/inbox pass run too (the same :class:`NewsBot` as ``newsbrief run``), so pushes appear in the
terminal, marked as pushes. Works with a terminal (line editing and history through readline;
Ctrl-C ends cleanly) and with piped scripts (input is echoed then).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app.application import NewsBot
from bot.config import Settings
from bot.render.html_text import html_to_terminal, plain_text
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
    "supports_inline_queries": True,
}
LOCAL_USER_ID = 1001
PRESS = re.compile(r"^#\s*([0-9]{1,4})$")
INLINE = re.compile(rf"^@{LOCAL_BOT['username']}(?:\s+(.*))?$", re.IGNORECASE)
HINT = (
    "newsbrief chat: type what a Telegram user would type (/start, /today, /search 台风, "
    "or just a word; @newsbrief_bot 台风 is an inline query). #N presses button N of the last "
    "message with buttons; pushes (digests, watches, alerts) show up as they are sent; "
    "/quit, Ctrl-D or Ctrl-C ends."
)
QUIT = frozenset({"/quit", "/exit"})
PROMPT = "you ▸ "
HISTORY_LENGTH = 1000


def local_user_name() -> str:
    """The terminal user's name ($USER, else the login name), as a Telegram first name."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        with contextlib.suppress(Exception):  # no passwd entry in some containers
            name = getpass.getuser()
    return name or "You"


# --- showing messages -------------------------------------------------------------------------


@dataclass
class LocalMessage:
    message_id: int
    chat_id: int
    text: str
    shown: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    push: bool = False  # sent by the delivery sender (a digest, watch or alert), not a reply
    chat_name: str = "You"

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.chat_name},
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
        label = "bot (edited)" if edited else "bot (push)" if message.push else "bot"
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

    def inline_results(self, query: str, results: list[dict[str, Any]]) -> None:
        """What Telegram would show above the reader's keyboard for ``@bot query``."""
        lines = [f"inline ▸ @{LOCAL_BOT['username']} {query}".rstrip()
                 + f" — {len(results)} result(s)"]
        for number, result in enumerate(results, start=1):
            description = result.get("description") or ""
            lines.append(f"      {number}. {result.get('title', '')}"
                         + (f" — {description}" if description else ""))
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()


# --- the Bot API, in-process ------------------------------------------------------------------


class LocalApiError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class LocalBotApi(BaseRequest):
    """Answers getMe, sendMessage, editMessageText, answerCallbackQuery and friends locally."""

    def __init__(self, transcript: Transcript, *, user_name: str = "You",
                 pushes: bool = False, shared: LocalBotApi | None = None) -> None:
        self.transcript = transcript
        self.user_name = user_name
        self.pushes = pushes
        # the push view shares the reader's chat (messages, ids) with the reply view
        self.messages: dict[tuple[int, int], LocalMessage] = (
            shared.messages if shared is not None else {}
        )
        self._message_ids = shared._message_ids if shared is not None else itertools.count(1)
        self.inline_query_text = ""  # the query the next answerInlineQuery answers

    def for_pushes(self) -> LocalBotApi:
        """The same chat, for the delivery sender: what it sends is shown as a push."""
        return LocalBotApi(self.transcript, user_name=self.user_name, pushes=True, shared=self)

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

    def _api_getChat(self, params: dict[str, Any]) -> Any:
        """Only the reader's own chat exists here: a channel (``@name``) is not found, which the
        channel commands answer with a clear refusal."""
        if str(params.get("chat_id")) != str(LOCAL_USER_ID):
            raise LocalApiError("chat not found")
        return {"id": LOCAL_USER_ID, "type": "private", "first_name": self.user_name}

    def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        if str(params.get("chat_id")) != str(LOCAL_USER_ID):
            raise LocalApiError("chat not found")
        return {"status": "member", "user": {"id": int(params["user_id"]), "is_bot": False,
                                             "first_name": self.user_name}}

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if isinstance(results, str):
            results = json.loads(results)
        if len(results) > 50:
            raise LocalApiError("RESULTS_TOO_MUCH")
        self.transcript.inline_results(self.inline_query_text, list(results))
        return True

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        shown, plain = self._render(params)
        message = LocalMessage(
            self.next_message_id(), int(params["chat_id"]), plain, shown,
            params.get("reply_markup"), push=self.pushes, chat_name=self.user_name,
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
        self.user = {"id": LOCAL_USER_ID, "is_bot": False, "first_name": api.user_name,
                     "language_code": language_code}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._inline_ids = itertools.count(1)

    async def inline(self, query: str) -> None:
        """The reader types ``@newsbrief_bot query`` (in any chat): the bot's results are shown."""
        self.api.inline_query_text = query
        inline_query = {"id": str(next(self._inline_ids)), "from": self.user, "query": query,
                        "offset": "", "chat_type": "sender"}
        await self._process({"update_id": next(self._update_ids), "inline_query": inline_query})

    async def say(self, text: str) -> None:
        """The reader sends ``text`` (a command when it starts with /)."""
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        message = {
            "message_id": self.api.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": LOCAL_USER_ID, "type": "private", "first_name": self.api.user_name},
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
        button = buttons[number - 1]
        if "switch_inline_query" in button:  # "share": the reader's inline query, any chat
            await self.inline(str(button["switch_inline_query"]))
            return True
        if "url" in button:  # a link to this bot opens it with its start payload
            payload = _start_payload(str(button["url"]))
            if payload is None:
                self.api.transcript.notice(f"opens {button['url']}")
            else:
                await self.say(f"/start {payload}")
            return True
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


def _start_payload(url: str) -> str | None:
    """``https://t.me/newsbrief_bot?start=X`` → X (None for any other link)."""
    parts = urlsplit(url)
    if parts.netloc != "t.me" or parts.path.strip("/") != LOCAL_BOT["username"]:
        return None
    return (parse_qs(parts.query).get("start") or [None])[0]


class LineReader:
    """Lines from the reader, read on a daemon thread one at a time when asked for.

    Reading in a thread keeps the bot's pushes flowing while the reader types, and a daemon
    thread (not asyncio's executor) means Ctrl-C never waits for Enter. A terminal gets readline:
    arrow keys, line editing, and history kept between sessions.
    """

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive and stream is sys.stdin
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsbrief-chat-input",
                                        daemon=True)
        self._readline: Any = None
        self._terminal: Any = None
        if self.interactive:
            self._setup_terminal()
        self._thread.start()

    async def next(self) -> str | None:
        """The next line, or None at the end of input."""
        self._wanted.set()
        return await self._lines.get()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                if self.interactive:
                    line: str | None = input(PROMPT)
                else:
                    line = self.stream.readline() or None
            except (EOFError, OSError, ValueError):
                line = None
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if line is None:
                return

    def _setup_terminal(self) -> None:
        with contextlib.suppress(ImportError, OSError):
            import termios

            self._terminal = (termios, termios.tcgetattr(sys.stdin.fileno()))
        try:
            import readline
        except ImportError:  # not every Python has it (Windows): plain input() still works
            return
        self._readline = readline
        readline.set_history_length(HISTORY_LENGTH)
        with contextlib.suppress(OSError):
            readline.read_history_file(history_path())

    def close(self) -> None:
        """Keep the history and give the terminal back as it was (a Ctrl-C can land while
        readline holds it in its own mode)."""
        if self._readline is not None:
            with contextlib.suppress(OSError):
                path = history_path()
                path.parent.mkdir(parents=True, exist_ok=True)
                self._readline.write_history_file(path)
        if self._terminal is not None:
            termios, attributes = self._terminal
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, attributes)


def history_path() -> Path:
    """Where the chat's input history lives ($NEWSBRIEF_CHAT_HISTORY, else the XDG state dir)."""
    explicit = os.environ.get("NEWSBRIEF_CHAT_HISTORY")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "newsbrief" / "chat_history"


async def run_chat(
    settings: Settings,
    db: Database,
    *,
    language_code: str = "zh-hans",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    user_name: str | None = None,
) -> None:
    """Read lines until EOF, /quit or Ctrl-C; answer each exactly as the Telegram bot would, and
    show pushes as the sender sends them."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    color = out.isatty() and not os.environ.get("NO_COLOR")
    transcript = Transcript(out, color=color)
    api = LocalBotApi(transcript, user_name=user_name or local_user_name())
    news = NewsBot(settings, db, token=LOCAL_TOKEN, request=api, with_updater=False,
                   hold_lock=True, push_request=api.for_pushes())
    application = news.application
    reader: LineReader | None = None
    try:
        await application.initialize()
        await news.startup(application)
        await application.start()
        chat = LocalChat(application, api, language_code)
        out.write(HINT + "\n\n")
        out.flush()
        reader = LineReader(stdin, interactive)
        await _converse(chat, reader, out, interactive)
    except asyncio.CancelledError:  # Ctrl-C: asyncio cancels this task; end as /quit would
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        out.write("\n")
        out.flush()
    finally:
        if reader is not None:
            reader.close()
        if application.running:
            await application.stop()
        await news.stop(application)
        await application.shutdown()
        await news.shutdown(application)


async def _converse(chat: LocalChat, reader: LineReader, out: TextIO, interactive: bool) -> None:
    while True:
        line = await reader.next()
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
        inline = INLINE.match(text)
        if inline:
            await chat.inline((inline.group(1) or "").strip())
            continue
        await chat.say(text)
