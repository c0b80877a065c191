"""A strict fake Telegram Bot API server on loopback, for end-to-end tests and benchmarks.

The bot under test talks plain HTTP to it exactly as to ``https://api.telegram.org``:
``<root>/bot<token>/<method>`` (JSON, form or multipart bodies) and
``<root>/file/bot<token>/<path>``. It answers with Telegram's envelopes and error texts, parses
HTML like Telegram's server (TDLib's ``parse_html``: same tag set, entity decoding, error reasons
with UTF-8 byte offsets, entity offsets in UTF-16 code units, trimming), enforces text/keyboard
limits, flood limits (429 + retry_after), blocked / deactivated / kicked chats, group → supergroup
migration, privacy mode, long polling conflicts and webhook delivery. Tests drive the user side
through Python methods on :class:`FakeBotApi`.

Deliberate strictness beyond Telegram (switchable with ``strict_ampersand=False``): a bare ``&``
that does not start a valid entity is refused. Telegram passes it through, but its docs require
``&amp;``, and an unescaped ``&`` usually means a missing ``html.escape`` that a ``<`` in the next
article will turn into a failure.

Run standalone (benchmarks): ``python -m tests.e2e.fake_bot_api --port 8081``. It only ever binds
loopback addresses and only ever delivers webhooks to loopback URLs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import itertools
import json
import logging
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

log = logging.getLogger("fake_bot_api")

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units, after entity parsing
TELEGRAM_CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_TEXT_LIMIT = 200
INLINE_KEYBOARD_MAX_BUTTONS = 100
INLINE_KEYBOARD_MAX_ROW = 8
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_TOKEN = "7000000001:AAFakeTokenForEndToEndTests_0123456789"
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "my_chat_member",
        "inline_query",
        "chosen_inline_result",
    }
)  # Telegram's default leaves out chat_member and the reaction updates

CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """An error answer exactly as Telegram shapes it (status code = error_code)."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str, parameters: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}", parameters)


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


# --------------------------------------------------------------------------------------------------
# Text: UTF-16 lengths, TDLib-style cleaning, the HTML parser
# --------------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Telegram measures text and entity offsets in UTF-16 code units, not code points."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring covered by an entity (offset/length in UTF-16 units)."""
    out: list[str] = []
    pos = 0
    end = offset + length
    for ch in text:
        if pos >= end:
            break
        if pos >= offset:
            out.append(ch)
        pos += 2 if ord(ch) > 0xFFFF else 1
    return "".join(out)


class EntityParseError(ValueError):
    """The reason part of "Bad Request: can't parse entities: <reason>"."""


_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SPACES = " \t\r\n\f\v"
# TDLib's sort order: containers first at equal offset and length.
_TYPE_PRIORITY = {
    "mention": 50, "hashtag": 50, "bot_command": 50, "url": 50, "email": 50, "cashtag": 50,
    "phone_number": 50, "bold": 90, "italic": 91, "underline": 92, "strikethrough": 93,
    "spoiler": 94, "custom_emoji": 99, "code": 20, "pre": 11, "text_link": 49,
    "text_mention": 49, "blockquote": 0, "expandable_blockquote": 0,
}  # fmt: skip
_HIDDEN_DATA_ENTITIES = frozenset({"text_link", "text_mention", "custom_emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_html_entity(text: str, pos: int) -> tuple[int, int]:
    """(code point, next index) for an entity at text[pos] == '&', or (0, pos) as TDLib does."""
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(text[start:end], 16) if end > start else 0
        else:
            start = end
            while end < n and text[end].isascii() and text[end].isdigit():
                end += 1
            code = int(text[start:end]) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return 0, pos
        code = ord(_NAMED_ENTITIES[name])
    if end < n and text[end] == ";":
        end += 1
    return code, end


class _TextBuilder:
    """Accumulates output text the way TDLib cleans it: control chars → space, no CR, no bidi."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.u16 = 0

    def add(self, ch: str) -> None:
        cp = ord(ch)
        if cp == 0x0D or 0x2028 <= cp <= 0x202E or cp in (0x0333, 0x033F, 0x030A):
            return
        if cp < 0x20 and ch != "\n":
            ch = " "
        self.parts.append(ch)
        self.u16 += 2 if cp > 0xFFFF else 1

    def text(self) -> str:
        return "".join(self.parts)


def _checked_link(url: str) -> str | None:
    """Telegram drops text links it can't make sense of; scheme-less hosts become http://."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() in {"http", "https", "tg", "ton", "ftp"}:
            return url if parts.scheme.lower() == "tg" or parts.netloc else None
        return None
    host = url.split("/", 1)[0]
    if "." in host and " " not in host:
        return f"http://{url}"
    return None


def parse_html(
    text: str,
    *,
    strict_ampersand: bool = True,
    resolve_user: Callable[[int], dict[str, Any] | None] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-HTML into (plain text, entities) like the Bot API server, or raise.

    A port of TDLib's ``parse_html``: the same tag set, case-insensitive tag names, the same
    attribute rules, ``&lt; &gt; &amp; &quot; &#NNN; &#xHH;`` (";" optional, as in TDLib) and the
    same error reasons with UTF-8 byte offsets into the original text.
    """
    out = _TextBuilder()
    entities: list[dict[str, Any]] = []
    # Each open tag: [tag_name, argument, utf16 start, index into out.parts, expandable]
    stack: list[list[Any]] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            code, nxt = _decode_html_entity(text, i)
            if code:
                if 0xD800 <= code <= 0xDFFF:
                    raise EntityParseError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                out.add(chr(code))
                i = nxt
                continue
            if strict_ampersand:
                offset = _byte_offset(text, i)
                raise EntityParseError(
                    f'Character "&" must be escaped as "&amp;" at byte offset {offset}'
                )
        if c != "<":
            out.add(c)
            i += 1
            continue

        begin = i
        begin_bytes = _byte_offset(text, begin)
        i += 1
        if i < n and text[i] == "/":
            # end tag
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin_bytes}")
            i += 1
            while i < n and text[i] not in _SPACES and text[i] != ">":
                i += 1
            end_name = text[begin + 2 : i].lower()
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {begin_bytes}")
            i += 1
            tag_name, argument, start_u16, _start_part, expandable = stack.pop()
            if end_name and end_name != tag_name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin_bytes}, expected "</{tag_name}>", '
                    f'found "</{end_name}>"'
                )
            length = out.u16 - start_u16
            if length > 0:
                inner = "".join(out.parts[_start_part:])
                _close_entity(
                    entities, tag_name, argument, start_u16, length, expandable, inner, resolve_user
                )
            continue

        # start tag
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
        tag_name = text[begin + 1 : i].lower()
        if tag_name not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag_name}" at byte offset {begin_bytes}'
            )
        argument = ""
        expandable = False
        while True:
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            if text[i] == ">":
                i += 1
                break
            attr_begin = i
            while i < n and text[i] not in _SPACES and text[i] not in "=>":
                i += 1
            attr_name = text[attr_begin:i]
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset {begin_bytes}'
                )
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != "=":
                if tag_name == "blockquote" and attr_name == "expandable":
                    expandable = True
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {begin_bytes}'
                )
            i += 1
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise EntityParseError(
                    f'Unclosed start tag "{tag_name}" at byte offset {begin_bytes}'
                )
            if text[i] not in "'\"":
                token_begin = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[token_begin:i].lower()
                if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset "
                        f"{_byte_offset(text, token_begin)}"
                    )
            else:
                quote = text[i]
                i += 1
                chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        code, nxt = _decode_html_entity(text, i)
                        if code:
                            chars.append(chr(code))
                            i = nxt
                            continue
                    chars.append(text[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(chars)
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            if tag_name == "a" and attr_name == "href":
                argument = value
            elif tag_name == "code" and attr_name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag_name == "span" and attr_name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag_name == "tg-emoji" and attr_name == "emoji-id":
                argument = value
        if tag_name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}'
            )
        stack.append([tag_name, argument, out.u16, len(out.parts), expandable])

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return out.text(), sort_entities(entities)


def _close_entity(
    entities: list[dict[str, Any]],
    tag: str,
    argument: str,
    offset: int,
    length: int,
    expandable: bool,
    inner: str,
    resolve_user: Callable[[int], dict[str, Any] | None] | None,
) -> None:
    simple = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
    }  # fmt: skip
    if tag in simple:
        entities.append({"type": simple[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = argument or inner
        m = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
        if m:
            user = resolve_user(int(m.group(1))) if resolve_user else None
            if user is not None:
                entities.append(
                    {"type": "text_mention", "offset": offset, "length": length, "user": user}
                )
            return
        checked = _checked_link(url)
        if checked:
            entities.append(
                {"type": "text_link", "offset": offset, "length": length, "url": checked}
            )
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and argument
        ):
            last["language"] = argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument  # kept only if a <pre> closes around it
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TDLib's order: by offset, longer first, then containers before their contents."""
    return sorted(
        entities,
        key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50)),
    )


def clean_plain_text(text: str) -> str:
    builder = _TextBuilder()
    for ch in text:
        builder.add(ch)
    return builder.text()


def finish_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """TDLib's fix_formatted_text, simplified: entities skip leading whitespace, whitespace-only
    entities vanish, trailing spaces/newlines are cut, leading ones up to the first entity."""
    ws = " \n"
    kept: list[dict[str, Any]] = []
    for entity in entities:
        e = dict(entity)
        if e["type"] not in _HIDDEN_DATA_ENTITIES:
            covered = utf16_slice(text, e["offset"], e["length"])
            stripped = covered.lstrip(ws)
            lead = utf16_len(covered) - utf16_len(stripped)
            e["offset"] += lead
            e["length"] -= lead
            if not stripped.strip(ws):
                continue
        kept.append(e)
    stripped_right = text.rstrip(ws)
    total = utf16_len(stripped_right)
    result: list[dict[str, Any]] = []
    for e in kept:
        if e["offset"] >= total:
            continue
        e["length"] = min(e["length"], total - e["offset"])
        result.append(e)
    first = min((e["offset"] for e in result), default=total)
    lead_chars = 0
    while lead_chars < len(stripped_right) and stripped_right[lead_chars] in ws:
        if lead_chars >= first:
            break
        lead_chars += 1
    for e in result:
        e["offset"] -= lead_chars
    return stripped_right[lead_chars:], sort_entities(result)


_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?!\w)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")
_URL_RE = re.compile(r"(?<![\w/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]}'`]")


def find_auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram detects in what users type: commands, mentions, hashtags, URLs."""
    found: list[dict[str, Any]] = []
    for kind, pattern in (
        ("bot_command", _COMMAND_RE),
        ("mention", _MENTION_RE),
        ("hashtag", _HASHTAG_RE),
        ("url", _URL_RE),
    ):
        for m in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: m.start()]),
                    "length": utf16_len(m.group(0)),
                }
            )
    return sort_entities(found)


# --------------------------------------------------------------------------------------------------
# The world: users, chats, messages, files
# --------------------------------------------------------------------------------------------------

PRIVATE, GROUP, SUPERGROUP, CHANNEL = "private", "group", "supergroup", "channel"
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
RECHECK_SECONDS = 0.1  # how often wait_for looks at conditions outside the fake


@dataclass
class User:
    """A Telegram user as the fake knows it; ``blocked`` means this user blocked the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked: bool = False
    deactivated: bool = False
    started: bool = True

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class Member:
    """A user's standing in a group or channel; rights only matter for administrators."""

    status: str = "member"
    can_post_messages: bool = False
    can_delete_messages: bool = False
    until_date: int = 0


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: User | None = None  # the other side of a private chat
    members: dict[int, Member] = field(default_factory=dict)
    bot: Member = field(default_factory=Member)
    migrated_to: int | None = None
    migrated_from: int | None = None
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.type in (GROUP, SUPERGROUP)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == PRIVATE and self.user is not None:
            data.update(
                {k: v for k, v in self.user.to_api().items() if k in ("first_name", "last_name")}
            )
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or ""
            if self.username:
                data["username"] = self.username
        return data


@dataclass
class StoredMessage:
    """One message in a chat: its current Bot API form, plus what happened to it."""

    chat_id: int
    message_id: int
    data: dict[str, Any]
    from_bot: bool
    sent_at: float  # time.monotonic()
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first

    @property
    def text(self) -> str | None:
        return self.data.get("text", self.data.get("caption"))

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.data.get("entities", self.data.get("caption_entities", []))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.data.get("reply_markup")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


@dataclass
class SendRecord:
    """An accepted send (counts toward flood limits)."""

    at: float  # time.monotonic()
    wall: float  # time.time()
    method: str
    chat_id: int
    message_id: int


@dataclass
class ThrottleRecord:
    """A 429 answer: ``reason`` is "per_chat", "group", "global", "storm" or "forced"."""

    at: float
    wall: float
    method: str
    chat_id: int
    reason: str
    retry_after: int


@dataclass
class ApiCall:
    at: float
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    at: float


@dataclass
class InlineAnswer:
    """What the bot answered to an inline query, after the fake's validation."""

    inline_query_id: str
    results: list[dict[str, Any]]
    next_offset: str
    cache_time: int
    is_personal: bool
    button: dict[str, Any] | None
    at: float

    def message_texts(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Each result's posted message as (text, entities), parsed as Telegram would."""
        return [r["_parsed"] for r in self.results if "_parsed" in r]


INLINE_RESULTS_LIMIT = 50
INLINE_RESULT_ID_LIMIT = 64  # bytes
INLINE_NEXT_OFFSET_LIMIT = 64  # bytes
INLINE_QUERY_LIMIT = 256  # characters a user can type after @bot
INLINE_RESULT_TYPES = frozenset({
    "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document", "location",
    "venue", "contact", "game", "sticker",
})


@dataclass
class WebhookDelivery:
    update_id: int
    url: str
    secret_token: str | None
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class RateLimits:
    """Flood limits; numbers follow Telegram's FAQ (about 1/s per chat, 20/min per group, 30/s)."""

    enabled: bool = True
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    global_per_second: int = 30


class _Limiter:
    """Token bucket per chat, sliding windows per group and overall; a 429 consumes nothing."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, last refill)
        self.group_sends: dict[int, deque[float]] = {}
        self.global_sends: deque[float] = deque()

    def check(self, chat: Chat, now: float) -> tuple[str, float] | None:
        lim = self.limits
        if not lim.enabled:
            return None
        tokens, last = self.buckets.get(chat.id, (float(lim.per_chat_burst), now))
        tokens = min(float(lim.per_chat_burst), tokens + (now - last) * lim.per_chat_per_second)
        self.buckets[chat.id] = (tokens, now)
        if tokens < 1.0:
            return "per_chat", (1.0 - tokens) / max(lim.per_chat_per_second, 1e-9)
        if chat.type != PRIVATE:
            window = self.group_sends.setdefault(chat.id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= lim.per_group_per_minute:
                return "group", window[0] + 60.0 - now
        while self.global_sends and self.global_sends[0] <= now - 1.0:
            self.global_sends.popleft()
        if len(self.global_sends) >= lim.global_per_second:
            return "global", self.global_sends[0] + 1.0 - now
        return None

    def consume(self, chat: Chat, now: float) -> None:
        tokens, last = self.buckets.get(chat.id, (float(self.limits.per_chat_burst), now))
        self.buckets[chat.id] = (tokens - 1.0, last)
        if chat.type != PRIVATE:
            self.group_sends.setdefault(chat.id, deque()).append(now)
        self.global_sends.append(now)


@dataclass
class _Storm:
    fraction: float
    retry_after: int
    until: float | None
    rng: random.Random


def _is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _scope_key(scope: dict[str, Any] | None) -> str:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_SCOPE_TYPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


# --------------------------------------------------------------------------------------------------
# Request parameters: PTB posts form fields with JSON-encoded values, or multipart with files
# --------------------------------------------------------------------------------------------------


@dataclass
class Upload:
    filename: str | None
    data: bytes
    content_type: str | None


@dataclass
class _Described:
    """A successful result that Telegram accompanies with a description ("Webhook was set")."""

    result: Any
    description: str


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON encoded request parameters") from exc
        if not isinstance(body, dict):
            raise bad_request("JSON object expected as request parameters")
        params.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        post = await request.post()
        for key, value in post.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = value
    return params, files


def _get_str(p: dict[str, Any], name: str) -> str | None:
    value = p.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _get_int(p: dict[str, Any], name: str, missing: str | None = None) -> int | None:
    value = p.get(name)
    if value is None or value == "":
        if missing:
            raise bad_request(missing)
        return None
    if isinstance(value, bool):
        raise bad_request(f'field "{name}" must be a valid Number')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f'field "{name}" must be a valid Number') from None


def _get_float(p: dict[str, Any], name: str, default: float) -> float:
    value = p.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f'field "{name}" must be a valid Number') from None


def _get_bool(p: dict[str, Any], name: str) -> bool:
    value = p.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _get_json(p: dict[str, Any], name: str, what: str | None = None) -> Any:
    value = p.get(name)
    if isinstance(value, str):
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None
    return value


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class FakeBotApi:
    """The fake Telegram: a Bot API server for the bot, and a user-side API for the tests.

    All state lives in one event loop; user-side methods are plain calls except the ``wait_*``
    ones, which are event-driven (no polling) and raise ``TimeoutError`` with what was awaited.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "newsbrief_test_bot",
        bot_first_name: str = "Newsbrief",
        privacy_mode: bool = True,
        rate_limits: RateLimits | None = None,
        strict_ampersand: bool = True,
        callback_answer_timeout: float = 15.0,
        webhook_retry_delay: float = 0.05,
        webhook_retry_max_delay: float = 2.0,
        seed: int = 0,
        inline_mode: bool = False,
    ) -> None:
        self.token = token
        self.inline_mode = inline_mode  # @BotFather /setinline: users can send inline queries
        self._inline_queries: dict[str, list[Any]] = {}  # id -> [sent at, answered]
        self._inline_seq = itertools.count(1)
        self.inline_answers: list[InlineAnswer] = []
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = User(self.bot_id, bot_first_name, username=bot_username, is_bot=True)
        self.privacy_mode = privacy_mode
        self.rate_limits = rate_limits or RateLimits()
        self.strict_ampersand = strict_ampersand
        self.callback_answer_timeout = callback_answer_timeout
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_retry_max_delay = webhook_retry_max_delay
        self._rng = random.Random(seed)

        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(4_000_001)
        self._channel_ids = itertools.count(2_000_000_001)
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(1)

        # updates
        self._next_update_id = 100_000 + self._rng.randrange(1000)
        self._pending: list[dict[str, Any]] = []
        self.updates_log: list[dict[str, Any]] = []
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self.active_polls = 0

        # webhook
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []

        # bot settings
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}

        # callback queries: id -> (pressed at, answered)
        self._callbacks: dict[str, list[Any]] = {}
        self.callback_answers: list[CallbackAnswer] = []

        # logs and limits
        self.sent_log: list[SendRecord] = []
        self.throttle_log: list[ThrottleRecord] = []
        self.api_log: list[ApiCall] = []
        self._limiter = _Limiter(self.rate_limits)
        self._storm: _Storm | None = None
        self._forced_floods: dict[int, tuple[int, int]] = {}  # chat -> (retry_after, times left)

        self._event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._methods: dict[str, Callable[[dict[str, Any], dict[str, Upload]], Any]] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
                "setMyCommands", "getMyCommands", "deleteMyCommands", "setMyDescription",
                "getMyDescription", "setMyShortDescription", "getMyShortDescription",
                "sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery",
                "deleteMessage", "sendDocument", "getFile", "getChatMember", "getChat",
                "sendChatAction",
                "answerInlineQuery",
            )
        }  # fmt: skip

    # ---------------------------------------------------------------- lifecycle

    @property
    def root(self) -> str:
        """What ``TELEGRAM_API_BASE_URL`` should be set to."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``Bot(base_url=...)``: the token is appended to it."""
        return f"{self.root}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root}/file/bot"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", r"/bot{token:[^/]*}/{method:[^/]+}", self._handle_method)
        app.router.add_get(r"/file/bot{token:[^/]*}/{path:.+}", self._handle_file)
        app.router.add_route("*", r"/_fake/{action:[a-z_]+}", self._handle_control)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on loopback (port 0 = any free port); returns :attr:`root`."""
        if not _is_loopback_host(host):
            raise ValueError(f"the fake Bot API only listens on loopback, not {host!r}")
        # A long poll the client gave up on must end now, not terminate the next poll with a 409.
        self._runner = web.AppRunner(self.make_app(), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self.host, self.port = host, server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.root

    async def stop(self) -> None:
        await self._stop_webhook_worker()
        self._poll_generation += 1  # long polls end now instead of at their timeout
        self._changed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- change notification

    def _changed(self) -> None:
        """Wake everything waiting on state (long polls, webhook worker, test waits)."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every state change, and every
        ``RECHECK_SECONDS`` for what the fake does not see: a file the bot moved); return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, RECHECK_SECONDS))

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        status = 200
        params: dict[str, Any] = {}
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized") if ":" in token else ApiError(404, "Not Found")
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            params, files = await _read_params(request)
            result = await handler(params, files)
            body: dict[str, Any] = {"ok": True}
            if isinstance(result, _Described):
                body.update(result=result.result, description=result.description)
            else:
                body["result"] = result
            self.api_log.append(ApiCall(time.monotonic(), method, params, True))
        except ApiError as exc:
            status = exc.code
            body = exc.payload()
            self.api_log.append(
                ApiCall(time.monotonic(), method, params, False, exc.code, exc.description)
            )
            log.debug("%s -> %s %s", method, exc.code, exc.description)
        self._changed()
        return web.json_response(
            body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ---------------------------------------------------------------- updates

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if kind not in self._allowed_updates:
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self.updates_log.append(update)
        self._changed()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (via offset, or a 2xx webhook answer)."""
        return list(self._pending)

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            keep = -offset
            self._pending = self._pending[-keep:] if keep else []
            return
        self._pending = [u for u in self._pending if u["update_id"] >= offset]

    async def _api_getUpdates(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = _get_int(p, "offset")
        limit = max(1, min(100, _get_int(p, "limit") or 100))
        timeout = max(0.0, _get_float(p, "timeout", 0.0))
        allowed = _get_json(p, "allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        self._confirm(offset)
        self._poll_generation += 1
        mine = self._poll_generation
        self._changed()  # an older long poll still waiting now ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.active_polls += 1
        try:
            while True:
                event = self._event
                if mine != self._poll_generation:
                    raise ApiError(409, CONFLICT_OTHER_POLL)
                if self._webhook is not None:
                    raise ApiError(409, CONFLICT_WEBHOOK)
                if self._pending:
                    return self._pending[:limit]
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            self.active_polls -= 1

    # ---------------------------------------------------------------- webhooks

    async def _api_setWebhook(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        url = _get_str(p, "url") or ""
        if not url:
            return await self._api_deleteWebhook(p, _files)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        if not _is_loopback_host(parts.hostname):
            raise bad_request(
                "bad webhook: the fake Bot API delivers webhooks to loopback addresses only"
            )
        secret = _get_str(p, "secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = _get_json(p, "allowed_updates")
        if _get_bool(p, "drop_pending_updates"):
            self._pending.clear()
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        config = {
            "url": url,
            "secret_token": secret,
            "max_connections": _get_int(p, "max_connections") or 40,
        }
        if self._webhook == config:
            return _Described(True, "Webhook is already set")
        self._webhook = config
        self._webhook_last_error = None
        self._poll_generation += 1  # a waiting getUpdates ends with the webhook conflict
        await self._stop_webhook_worker()
        self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
        self._changed()
        return _Described(True, "Webhook was set")

    async def _api_deleteWebhook(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        if _get_bool(p, "drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        await self._stop_webhook_worker()
        return _Described(True, "Webhook was deleted")

    async def _api_getWebhookInfo(self, _p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates != DEFAULT_ALLOWED_UPDATES:
                info["allowed_updates"] = sorted(self._allowed_updates)
            if self._webhook_last_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_worker(self) -> None:
        """Deliver pending updates one at a time, in order, retrying with backoff like Telegram."""
        delay = self.webhook_retry_delay
        async with aiohttp.ClientSession() as session:
            while self._webhook is not None:
                event = self._event
                if not self._pending:
                    await event.wait()
                    continue
                update = self._pending[0]
                url, secret = self._webhook["url"], self._webhook["secret_token"]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                status: int | None = None
                error: str | None = None
                try:
                    async with session.post(
                        url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                    ) as resp:
                        status = resp.status
                        await resp.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection error: {exc!r}"
                ok = status is not None and 200 <= status < 300
                if status is not None and not ok:
                    error = f"Wrong response from the webhook: {status}"
                self.webhook_deliveries.append(
                    WebhookDelivery(update["update_id"], url, secret, status, error, time.time())
                )
                if ok:
                    if self._pending and self._pending[0] is update:
                        self._pending.pop(0)
                    delay = self.webhook_retry_delay
                    self._changed()
                    continue
                self._webhook_last_error = (int(time.time()), error or "unknown error")
                self._changed()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.webhook_retry_max_delay)

    # ---------------------------------------------------------------- getMe, commands, descriptions

    async def _api_getMe(self, _p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.inline_mode,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _command_scope(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = _get_json(p, "scope", "BotCommandScope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
                raise bad_request("can't parse BotCommandScope: unsupported scope type")
            for key in _SCOPE_TYPES[scope["type"]]:
                if key not in scope:
                    raise bad_request(f"can't parse BotCommandScope: Can't find field \"{key}\"")
            if "chat_id" in scope:
                chat = self._lookup_chat(scope["chat_id"])
                scope = {**scope, "chat_id": chat.id}
            if "user_id" in scope:
                scope = {**scope, "user_id": int(scope["user_id"])}
        lang = _get_str(p, "language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("Invalid language code specified")
        return _scope_key(scope), lang

    async def _api_setMyCommands(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        commands = _get_json(p, "commands", "BotCommand")
        if not isinstance(commands, list):
            raise bad_request('can\'t parse BotCommand: Field "commands" must be an Array')
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        clean: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict) or "command" not in item:
                raise bad_request("can't parse BotCommand: Can't find field \"command\"")
            if "description" not in item:
                raise bad_request("can't parse BotCommand: Can't find field \"description\"")
            command, description = str(item["command"]), str(item["description"])
            if not _COMMAND_NAME_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256 or len(description) > 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = self._command_scope(p)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _api_getMyCommands(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        return self._commands.get(self._command_scope(p), [])

    async def _api_deleteMyCommands(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        self._commands.pop(self._command_scope(p), None)
        return True

    def _set_description(self, p: dict[str, Any], kind: str, field_name: str, limit: int) -> Any:
        lang = _get_str(p, "language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("Invalid language code specified")
        value = _get_str(p, field_name) or ""
        if len(value) > limit:
            raise bad_request(f"{field_name.replace('_', ' ')} is too long")
        if value:
            self.descriptions[(kind, lang)] = value
        else:
            self.descriptions.pop((kind, lang), None)
        return True

    async def _api_setMyDescription(self, p: dict[str, Any], _f: dict[str, Upload]) -> Any:
        return self._set_description(p, "description", "description", 512)

    async def _api_setMyShortDescription(self, p: dict[str, Any], _f: dict[str, Upload]) -> Any:
        return self._set_description(p, "short_description", "short_description", 120)

    async def _api_getMyDescription(self, p: dict[str, Any], _f: dict[str, Upload]) -> Any:
        lang = _get_str(p, "language_code") or ""
        return {"description": self.descriptions.get(("description", lang), "")}

    async def _api_getMyShortDescription(self, p: dict[str, Any], _f: dict[str, Upload]) -> Any:
        lang = _get_str(p, "language_code") or ""
        return {"short_description": self.descriptions.get(("short_description", lang), "")}

    # ---------------------------------------------------------------- chats as the bot sees them

    def _lookup_chat(self, chat_id: Any) -> Chat:
        """Find a chat by id or @username, or answer "chat not found" like Telegram."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
            raise bad_request("chat not found")
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.chats.get(key)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, chat_id: Any, *, posting: bool = True) -> Chat:
        """The chat the bot wants to post to (or edit in), or the refusal Telegram would give."""
        chat = self._lookup_chat(chat_id)
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == PRIVATE:
            user = chat.user
            assert user is not None
            if user.deactivated:
                raise forbidden("user is deactivated")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if posting and not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            if user.is_bot:
                raise forbidden("bot can't send messages to bots")
            return chat
        kind = {GROUP: "group", SUPERGROUP: "supergroup", CHANNEL: "channel"}[chat.type]
        if chat.bot.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot.status == "left":
            raise forbidden(f"bot is not a member of the {kind} chat")
        if (
            posting
            and chat.type == CHANNEL
            and not (
                chat.bot.status == "creator"
                or (chat.bot.status == "administrator" and chat.bot.can_post_messages)
            )
        ):
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def _member(self, chat: Chat, user_id: int) -> Member:
        if user_id == self.bot_id:
            return chat.bot
        if chat.type == PRIVATE:
            return Member("member") if chat.user and chat.user.id == user_id else Member("left")
        return chat.members.get(user_id, Member("left"))

    def _member_api(self, chat: Chat, user: User, member: Member) -> dict[str, Any]:
        data: dict[str, Any] = {"status": member.status, "user": user.to_api()}
        if member.status == "creator":
            data["is_anonymous"] = False
        elif member.status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=member.can_delete_messages,
                can_manage_video_chats=False,
                can_restrict_members=False,
                can_promote_members=False,
                can_change_info=False,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            )
            if chat.type == CHANNEL:
                data.update(can_post_messages=member.can_post_messages, can_edit_messages=False)
            else:
                data["can_pin_messages"] = False
        elif member.status == "kicked":
            data["until_date"] = member.until_date
        elif member.status == "restricted":
            data.update(is_member=True, until_date=member.until_date, can_send_messages=False)
        return data

    async def _api_getChatMember(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        chat = self._lookup_chat(p.get("chat_id"))
        user_id = _get_int(p, "user_id", "user_id is empty")
        assert user_id is not None
        if chat.type == CHANNEL and chat.bot.status not in ("administrator", "creator"):
            raise bad_request("member list is inaccessible")
        user = self.bot_user if user_id == self.bot_id else self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return self._member_api(chat, user, self._member(chat, user_id))

    async def _api_getChat(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        chat = self._lookup_chat(p.get("chat_id"))
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        data = chat.to_api()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    async def _api_sendChatAction(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        self._writable_chat(p.get("chat_id"))
        return True

    # ---------------------------------------------------------------- text and keyboards

    def _resolve_user_api(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        return user.to_api() if user else None

    def _formatted(
        self,
        p: dict[str, Any],
        text_field: str,
        entities_field: str,
        *,
        limit: int,
        allow_empty: bool,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Text + entities after parse_mode, cleaning and trimming, with Telegram's refusals."""
        raw = _get_str(p, text_field) or ""
        is_caption = text_field == "caption"
        if not raw and not allow_empty:
            raise bad_request("message text is empty")
        parse_mode = (_get_str(p, "parse_mode") or "").strip()
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(
                    raw,
                    strict_ampersand=self.strict_ampersand,
                    resolve_user=self._resolve_user_api,
                )
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif parse_mode.lower() in ("markdown", "markdownv2"):
            raise bad_request("the fake Bot API server supports only parse_mode HTML")
        elif parse_mode:
            raise bad_request("unsupported parse_mode")
        else:
            text = clean_plain_text(raw)
            entities = _get_json(p, entities_field, "MessageEntity") or []
            if not isinstance(entities, list):
                raise bad_request("can't parse MessageEntity: Field must be an Array")
            total = utf16_len(text)
            for e in entities:
                if e.get("offset", -1) < 0 or e["offset"] + e.get("length", 0) > total:
                    raise bad_request("can't parse entities: Entity beyond the end of the text")
            entities = sort_entities([dict(e) for e in entities])
        text, entities = finish_text(text, entities)
        if not text and not allow_empty:
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise bad_request(
                "message caption is too long" if is_caption else "message is too long"
            )
        return text, entities

    def _inline_keyboard(self, p: dict[str, Any]) -> dict[str, Any] | None:
        """Validate reply_markup; return the inline keyboard Telegram echoes in the message."""
        markup = _get_json(p, "reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise bad_request("can't parse reply keyboard markup JSON object")
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'can\'t parse inline keyboard: Field "inline_keyboard" must be an Array of Arrays'
            )
        actions = (
            "url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat", "web_app", "login_url", "pay", "callback_game",
            "copy_text",
        )  # fmt: skip
        count = 0
        clean_rows: list[list[dict[str, Any]]] = []
        for row in rows:
            if len(row) > INLINE_KEYBOARD_MAX_ROW:
                raise bad_request("reply markup is too long")
            clean_row = []
            for button in row:
                count += 1
                if not isinstance(button, dict):
                    raise bad_request(
                        "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                    )
                if not isinstance(button.get("text"), str):
                    raise bad_request(
                        "can't parse inline keyboard button: Can't find field \"text\""
                    )
                if not button["text"].strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
                present = [a for a in actions if a in button]
                if not present:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= CALLBACK_DATA_LIMIT:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = str(button["url"])
                    scheme = urlsplit(url).scheme.lower()
                    if scheme not in ("http", "https", "tg") or (
                        scheme != "tg" and not urlsplit(url).netloc
                    ):
                        raise bad_request(
                            f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                        )
                clean_row.append({k: v for k, v in button.items() if k == "text" or k in actions})
            clean_rows.append(clean_row)
        if count > INLINE_KEYBOARD_MAX_BUTTONS:
            raise bad_request("reply markup is too long")
        return {"inline_keyboard": clean_rows}

    def _reply_target(self, chat: Chat, p: dict[str, Any]) -> StoredMessage | None:
        params = _get_json(p, "reply_parameters", "ReplyParameters")
        allow_missing = _get_bool(p, "allow_sending_without_reply")
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
            if params.get("chat_id") not in (None, chat.id):
                other = self._lookup_chat(params["chat_id"])
                target = other.messages.get(int(message_id or 0))
                if target is None or target.deleted:
                    if allow_missing:
                        return None
                    raise bad_request("message to be replied not found")
                return target
        else:
            message_id = _get_int(p, "reply_to_message_id")
        if not message_id:
            return None
        target = chat.messages.get(int(message_id))
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    # ---------------------------------------------------------------- flood control

    def start_storm(
        self,
        fraction: float,
        *,
        retry_after: int = 5,
        duration: float | None = None,
        seed: int = 0,
    ) -> None:
        """Answer 429 to ``fraction`` of sends (seeded, reproducible) for ``duration`` seconds."""
        until = None if duration is None else time.monotonic() + duration
        self._storm = _Storm(fraction, retry_after, until, random.Random(seed))

    def stop_storm(self) -> None:
        self._storm = None

    def flood_chat(self, chat: Chat | int, retry_after: int, *, times: int = 1) -> None:
        """Answer the next ``times`` sends to ``chat`` 429 with ``retry_after`` (one chat
        flood-limited, as Telegram does when a bot writes too much to one user)."""
        chat_id = chat if isinstance(chat, int) else chat.id
        self._forced_floods[chat_id] = (retry_after, times)

    def _throttle(self, method: str, chat: Chat) -> None:
        now = time.monotonic()
        storm = self._storm
        if storm is not None and storm.until is not None and now >= storm.until:
            self._storm = storm = None
        reason: str | None = None
        retry_after = 0
        forced = self._forced_floods.get(chat.id)
        if forced is not None:
            retry_after, left = forced
            reason = "forced"
            if left > 1:
                self._forced_floods[chat.id] = (retry_after, left - 1)
            else:
                del self._forced_floods[chat.id]
        elif storm is not None and storm.rng.random() < storm.fraction:
            reason, retry_after = "storm", storm.retry_after
        else:
            verdict = self._limiter.check(chat, now)
            if verdict is not None:
                reason, wait = verdict
                retry_after = max(1, math.ceil(wait))
        if reason is not None:
            self.throttle_log.append(
                ThrottleRecord(now, time.time(), method, chat.id, reason, retry_after)
            )
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        self._limiter.consume(chat, now)

    # ---------------------------------------------------------------- messages

    def _new_message(
        self,
        chat: Chat,
        content: dict[str, Any],
        *,
        sender: User | None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: dict[str, Any] = {"message_id": message_id, "date": int(time.time())}
        if chat.type == CHANNEL:
            data["sender_chat"] = chat.to_api()
        elif sender is not None:
            data["from"] = sender.to_api()
        data["chat"] = chat.to_api()
        if reply_to is not None:
            replied = {k: v for k, v in reply_to.data.items() if k != "reply_to_message"}
            data["reply_to_message"] = replied
        data.update({k: v for k, v in content.items() if v not in (None, [])})
        stored = StoredMessage(
            chat.id,
            message_id,
            data,
            from_bot=sender is not None and sender.id == self.bot_id,
            sent_at=time.monotonic(),
        )
        chat.messages[message_id] = stored
        self._changed()
        return stored

    def _accept_send(self, method: str, chat: Chat, stored: StoredMessage) -> None:
        self.sent_log.append(
            SendRecord(stored.sent_at, time.time(), method, chat.id, stored.message_id)
        )

    async def _api_sendMessage(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        chat = self._writable_chat(p.get("chat_id"))
        text, entities = self._formatted(
            p, "text", "entities", limit=TELEGRAM_TEXT_LIMIT, allow_empty=False
        )
        markup = self._inline_keyboard(p)
        reply_to = self._reply_target(chat, p)
        self._throttle("sendMessage", chat)
        content = {"text": text, "entities": entities, "reply_markup": markup}
        link_preview = _get_json(p, "link_preview_options", "LinkPreviewOptions")
        if isinstance(link_preview, dict) and link_preview:
            content["link_preview_options"] = link_preview
        stored = self._new_message(chat, content, sender=self.bot_user, reply_to=reply_to)
        self._accept_send("sendMessage", chat, stored)
        return stored.data

    def _editable(self, p: dict[str, Any], verb: str = "edit") -> StoredMessage:
        if p.get("inline_message_id"):
            raise bad_request("the fake Bot API server does not support inline messages")
        chat = self._writable_chat(p.get("chat_id"), posting=False)
        message_id = _get_int(p, "message_id", "message identifier is not specified")
        stored = chat.messages.get(int(message_id or 0))
        if stored is None or stored.deleted:
            raise bad_request(f"message to {verb} not found")
        return stored

    def _apply_edit(self, stored: StoredMessage, changes: dict[str, Any]) -> dict[str, Any]:
        new = dict(stored.data)
        for key, value in changes.items():
            if value in (None, []):
                new.pop(key, None)
            else:
                new[key] = value
        unchanged = all(
            new.get(k) == stored.data.get(k)
            for k in ("text", "caption", "entities", "caption_entities", "reply_markup")
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        stored.edits.append(stored.data)
        new["edit_date"] = int(time.time())
        stored.data = new
        self._changed()
        return new

    async def _api_editMessageText(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        stored = self._editable(p)
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(
            p, "text", "entities", limit=TELEGRAM_TEXT_LIMIT, allow_empty=False
        )
        markup = self._inline_keyboard(p)
        return self._apply_edit(
            stored, {"text": text, "entities": entities, "reply_markup": markup}
        )

    async def _api_editMessageReplyMarkup(
        self, p: dict[str, Any], _files: dict[str, Upload]
    ) -> Any:
        stored = self._editable(p)
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return self._apply_edit(stored, {"reply_markup": self._inline_keyboard(p)})

    async def _api_deleteMessage(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        stored = self._editable(p, "delete")
        chat = self.chats[stored.chat_id]
        if (
            not stored.from_bot
            and chat.type != PRIVATE
            and not (
                chat.bot.status == "creator"
                or (chat.bot.status == "administrator" and chat.bot.can_delete_messages)
            )
        ):
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self._changed()
        return True

    async def _api_answerCallbackQuery(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        query_id = _get_str(p, "callback_query_id") or ""
        entry = self._callbacks.get(query_id)
        now = time.monotonic()
        if entry is None or entry[1] or now - entry[0] > self.callback_answer_timeout:
            raise bad_request(QUERY_TOO_OLD)
        text = _get_str(p, "text")
        if text is not None and len(text) > CALLBACK_ANSWER_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        entry[1] = True
        self.callback_answers.append(
            CallbackAnswer(query_id, text, _get_bool(p, "show_alert"), _get_str(p, "url"), now)
        )
        return True

    async def _api_answerInlineQuery(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        """Telegram's checks: a live query answered once, ≤ 50 results with unique ids of ≤ 64
        bytes, each result well-formed, its message text non-empty, valid HTML and ≤ 4096 once
        parsed, its keyboard valid; ``next_offset`` ≤ 64 bytes."""
        query_id = _get_str(p, "inline_query_id") or ""
        entry = self._inline_queries.get(query_id)
        now = time.monotonic()
        if entry is None or entry[1] or now - entry[0] > self.callback_answer_timeout:
            raise bad_request(QUERY_TOO_OLD)
        results = _get_json(p, "results", "InlineQueryResult")
        if not isinstance(results, list):
            raise bad_request("can't parse InlineQueryResult: Field must be an Array")
        if len(results) > INLINE_RESULTS_LIMIT:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        checked = []
        for result in results:
            if not isinstance(result, dict):
                raise bad_request("can't parse InlineQueryResult: must be an Object")
            if result.get("type") not in INLINE_RESULT_TYPES:
                raise bad_request("can't parse InlineQueryResult: Result type is invalid")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= \
                    INLINE_RESULT_ID_LIMIT:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            checked.append(self._inline_result(result))
        next_offset = _get_str(p, "next_offset") or ""
        if len(next_offset.encode()) > INLINE_NEXT_OFFSET_LIMIT:
            raise bad_request("NEXT_OFFSET_INVALID")
        cache_time = _get_int(p, "cache_time")
        if cache_time is not None and cache_time < 0:
            raise bad_request("CACHE_TIME_INVALID")
        button = _get_json(p, "button", "InlineQueryResultsButton")
        if button is not None:
            start = button.get("start_parameter") if isinstance(button, dict) else None
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or (
                start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(start))
            ):
                raise bad_request("BUTTON_INVALID")
        entry[1] = True
        self.inline_answers.append(InlineAnswer(
            query_id, checked, next_offset, 300 if cache_time is None else cache_time,
            _get_bool(p, "is_personal"), button, now,
        ))
        return True

    def _inline_result(self, result: dict[str, Any]) -> dict[str, Any]:
        """One result checked; an article's message is parsed (kept under ``_parsed``)."""
        checked = dict(result)
        if result["type"] == "article" and (
            not isinstance(result.get("title"), str) or not result["title"].strip()
        ):
            raise bad_request('can\'t parse InlineQueryResult: Field "title" must be of '
                              "type String")
        content = result.get("input_message_content")
        if result["type"] == "article" and not isinstance(content, dict):
            raise bad_request("can't parse InlineQueryResult: Field \"input_message_content\" "
                              "must be of type Object")
        if isinstance(content, dict) and "message_text" in content:
            checked["_parsed"] = self._formatted(
                content, "message_text", "entities", limit=TELEGRAM_TEXT_LIMIT, allow_empty=False
            )
        if "reply_markup" in result:
            self._inline_keyboard({"reply_markup": result["reply_markup"]})
        return checked

    # ---------------------------------------------------------------- files

    def _store_file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        seq = next(self._file_seq)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAI{seq:06d}{self._rng.getrandbits(48):012x}",
            file_unique_id=f"AgAD{seq:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{seq}{suffix}",
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _document_api(stored: StoredFile) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    async def _api_sendDocument(self, p: dict[str, Any], files: dict[str, Upload]) -> Any:
        chat = self._writable_chat(p.get("chat_id"))
        document = p.get("document")
        upload = files.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            upload = files.get(document[len("attach://") :])
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            stored_file = None
        elif isinstance(document, str) and document in self.files:
            stored_file = self.files[document]
        elif isinstance(document, str) and document.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        elif not document:
            raise bad_request("there is no document in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        caption, caption_entities = self._formatted(
            p, "caption", "caption_entities", limit=TELEGRAM_CAPTION_LIMIT, allow_empty=True
        )
        markup = self._inline_keyboard(p)
        reply_to = self._reply_target(chat, p)
        self._throttle("sendDocument", chat)
        if stored_file is None:
            assert upload is not None
            stored_file = self._store_file(
                upload.data, upload.filename, upload.content_type or "application/octet-stream"
            )
        content = {
            "document": self._document_api(stored_file),
            "caption": caption or None,
            "caption_entities": caption_entities,
            "reply_markup": markup,
        }
        stored = self._new_message(chat, content, sender=self.bot_user, reply_to=reply_to)
        self._accept_send("sendDocument", chat, stored)
        return stored.data

    async def _api_getFile(self, p: dict[str, Any], _files: dict[str, Upload]) -> Any:
        file_id = _get_str(p, "file_id") or ""
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ================================================================ user-side API (for tests)

    def add_user(
        self,
        first_name: str = "Reader",
        *,
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        started: bool = True,
    ) -> User:
        """A user with a private chat; ``started=False`` means they never opened the bot."""
        user = User(
            user_id if user_id is not None else next(self._user_ids),
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
            started=started,
        )
        self.users[user.id] = user
        self.chats[user.id] = Chat(user.id, PRIVATE, user=user)
        return user

    def private_chat(self, user: User | int) -> Chat:
        return self.chats[self._user(user).id]

    def add_group(
        self,
        title: str,
        *,
        members: Iterable[User] = (),
        admins: Iterable[User] = (),
        creator: User | None = None,
        supergroup: bool = False,
        username: str | None = None,
        bot_status: str = "member",
        bot_can_delete_messages: bool = False,
    ) -> Chat:
        """A group (or supergroup) with the bot already in it (``bot_status="left"`` if not)."""
        if supergroup:
            chat_id = -(1_000_000_000_000 + next(self._channel_ids))
        else:
            chat_id = -next(self._group_ids)
        chat = Chat(chat_id, SUPERGROUP if supergroup else GROUP, title=title, username=username)
        chat.bot = Member(bot_status, can_delete_messages=bot_can_delete_messages)
        self._fill_members(chat, members, admins, creator)
        self.chats[chat.id] = chat
        return chat

    def add_channel(
        self,
        title: str,
        *,
        username: str | None = None,
        admins: Iterable[User] = (),
        creator: User | None = None,
        subscribers: Iterable[User] = (),
        bot_status: str = "administrator",
        bot_can_post_messages: bool = True,
    ) -> Chat:
        chat = Chat(
            -(1_000_000_000_000 + next(self._channel_ids)), CHANNEL, title=title, username=username
        )
        chat.bot = Member(bot_status, can_post_messages=bot_can_post_messages)
        self._fill_members(chat, subscribers, admins, creator, admins_post=True)
        self.chats[chat.id] = chat
        return chat

    def _fill_members(
        self,
        chat: Chat,
        members: Iterable[User],
        admins: Iterable[User],
        creator: User | None,
        admins_post: bool = False,
    ) -> None:
        for user in members:
            chat.members[user.id] = Member("member")
        for user in admins:
            chat.members[user.id] = Member(
                "administrator", can_post_messages=admins_post, can_delete_messages=True
            )
        if creator is not None:
            chat.members[creator.id] = Member("creator", True, True)

    def set_member(self, chat: Chat | int, user: User | int, status: str, **rights: bool) -> None:
        """Change a user's standing: creator/administrator/member/restricted/left/kicked."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self._chat(chat).members[self._user(user).id] = Member(status, **rights)

    def _user(self, user: User | int) -> User:
        return self.users[user if isinstance(user, int) else user.id]

    def _chat(self, chat: Chat | int) -> Chat:
        return self.chats[chat if isinstance(chat, int) else chat.id]

    def _bot_in(self, chat: Chat) -> bool:
        if chat.type == PRIVATE:
            return chat.user is not None and not chat.user.blocked
        return chat.bot.status in ("creator", "administrator", "member", "restricted")

    def _check_can_write(self, user: User, chat: Chat) -> None:
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat.id} was migrated to {chat.migrated_to}")
        if chat.type == PRIVATE:
            if chat.user is None or chat.user.id != user.id:
                raise ValueError(f"user {user.id} is not the owner of private chat {chat.id}")
            if user.blocked:
                raise ValueError(f"user {user.id} blocked the bot; unblock() first")
            return
        status = chat.members.get(user.id, Member("left")).status
        if chat.type == CHANNEL and status not in ("creator", "administrator"):
            raise ValueError(f"user {user.id} can't post in channel {chat.id}")
        if status not in ("creator", "administrator", "member"):
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")

    def _addressed_to_bot(self, chat: Chat, stored: StoredMessage) -> bool:
        """Privacy mode: what a group bot gets (core.telegram.org/bots/features#privacy-mode)."""
        if chat.type in (PRIVATE, CHANNEL):
            return self._bot_in(chat)
        if not self._bot_in(chat):
            return False
        if not self.privacy_mode or chat.bot.status in ("administrator", "creator"):
            return True  # bot admins always receive all messages
        data = stored.data
        replied = data.get("reply_to_message")
        if replied and replied.get("from", {}).get("id") == self.bot_id:
            return True
        text = data.get("text", data.get("caption", ""))
        entities = data.get("entities", data.get("caption_entities", []))
        first = entities[0] if entities else None
        if first and first["type"] == "bot_command" and first["offset"] == 0:
            command = utf16_slice(text, 0, first["length"])
            _, _, target = command.partition("@")
            # Commands explicitly meant for us, and general ones: we are the only bot around.
            return not target or target.lower() == (self.bot_user.username or "").lower()
        return False

    def _deliver(self, chat: Chat, stored: StoredMessage, *, service: bool = False) -> Any:
        if not (service and self._bot_in(chat)) and not self._addressed_to_bot(chat, stored):
            return None
        kind = "channel_post" if chat.type == CHANNEL else "message"
        return self._enqueue(kind, stored.data)

    def _resolve_message(self, message: StoredMessage | dict[str, Any]) -> StoredMessage:
        if isinstance(message, StoredMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        return self.chats[chat_id].messages[message_id]

    def send_text(
        self,
        user: User | int,
        chat: Chat | int,
        text: str,
        *,
        reply_to: StoredMessage | dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The user types ``text`` in ``chat``. Returns the update, or None when the bot (by
        privacy mode, or not being there) does not get it; the message is in the chat either way.
        """
        u, c = self._user(user), self._chat(chat)
        self._check_can_write(u, c)
        target = self._resolve_message(reply_to) if reply_to is not None else None
        content = {"text": text, "entities": find_auto_entities(text)}
        stored = self._new_message(c, content, sender=u, reply_to=target)
        if c.type == PRIVATE:
            u.started = True
        return self._deliver(c, stored)

    def channel_post(self, chat: Chat | int, text: str) -> dict[str, Any] | None:
        c = self._chat(chat)
        stored = self._new_message(
            c, {"text": text, "entities": find_auto_entities(text)}, sender=None
        )
        return self._deliver(c, stored)

    def send_document(
        self,
        user: User | int,
        chat: Chat | int,
        filename: str,
        data: bytes,
        caption: str | None = None,
        *,
        mime_type: str = "text/plain",
    ) -> dict[str, Any] | None:
        """The user uploads a file; the bot can getFile and download it."""
        u, c = self._user(user), self._chat(chat)
        self._check_can_write(u, c)
        stored_file = self._store_file(data, filename, mime_type)
        content: dict[str, Any] = {"document": self._document_api(stored_file)}
        if caption:
            content.update(caption=caption, caption_entities=find_auto_entities(caption))
        stored = self._new_message(c, content, sender=u)
        return self._deliver(c, stored)

    def press_button(
        self,
        user: User | int,
        message: StoredMessage | dict[str, Any],
        callback_data: str | None = None,
        *,
        text: str | None = None,
    ) -> dict[str, Any]:
        """The user taps an inline button (found by callback_data or by its label)."""
        u = self._user(user)
        stored = self._resolve_message(message)
        chat = self.chats[stored.chat_id]
        if stored.deleted:
            raise ValueError("the message was deleted; there is no button to press")
        if chat.type in (GROUP, SUPERGROUP):
            self._check_can_write(u, chat)
        elif chat.type == PRIVATE and (chat.user is None or chat.user.id != u.id):
            raise ValueError("a user can only press buttons in their own private chat")
        for button in stored.buttons:
            if "callback_data" not in button:
                continue
            if (callback_data is not None and button["callback_data"] == callback_data) or (
                text is not None and button["text"] == text
            ):
                break
        else:
            labels = [(b.get("text"), b.get("callback_data")) for b in stored.buttons]
            raise ValueError(f"no button {callback_data or text!r} on the message; has {labels}")
        query_id = f"{self.bot_id % 10_000_000}{next(self._callback_seq):012d}"
        self._callbacks[query_id] = [time.monotonic(), False]
        payload = {
            "id": query_id,
            "from": u.to_api(),
            "message": stored.data,
            "chat_instance": str((chat.id * 7919) % 10**19),
            "data": button["callback_data"],
        }
        update = self._enqueue("callback_query", payload)
        assert update is not None, "callback_query is not in allowed_updates"
        return update

    def send_inline_query(
        self, user: User | int, query: str, *, offset: str = "", chat_type: str = "sender"
    ) -> dict[str, Any]:
        """The user types ``@bot query`` in some chat (needs ``inline_mode``, as /setinline)."""
        if not self.inline_mode:
            raise ValueError("inline mode is off for this bot (@BotFather /setinline)")
        if len(query) > INLINE_QUERY_LIMIT:
            raise ValueError("a Telegram client sends at most 256 characters of inline query")
        u = self._user(user)
        query_id = f"{self.bot_id % 10_000_000}{next(self._inline_seq):012d}"
        self._inline_queries[query_id] = [time.monotonic(), False]
        payload = {"id": query_id, "from": u.to_api(), "query": query, "offset": offset,
                   "chat_type": chat_type}
        update = self._enqueue("inline_query", payload)
        assert update is not None, "inline_query is not in allowed_updates"
        return update

    async def wait_for_inline_answer(
        self, update: dict[str, Any], timeout: float = 5.0
    ) -> InlineAnswer:
        query_id = update["inline_query"]["id"]

        def answered() -> InlineAnswer | None:
            return next((a for a in self.inline_answers if a.inline_query_id == query_id), None)

        return await self.wait_for(answered, timeout, f"an answer to inline query {query_id}")

    def _my_chat_member(
        self, chat: Chat, by: User, old: Member, new: Member
    ) -> dict[str, Any] | None:
        payload = {
            "chat": chat.to_api(),
            "from": by.to_api(),
            "date": int(time.time()),
            "old_chat_member": self._member_api(chat, self.bot_user, old),
            "new_chat_member": self._member_api(chat, self.bot_user, new),
        }
        return self._enqueue("my_chat_member", payload)

    def block(self, user: User | int) -> dict[str, Any] | None:
        """The user blocks the bot: sends now get 403, the bot gets my_chat_member → kicked."""
        u = self._user(user)
        if u.blocked:
            return None
        u.blocked = True
        return self._my_chat_member(self.chats[u.id], u, Member("member"), Member("kicked"))

    def unblock(self, user: User | int) -> dict[str, Any] | None:
        u = self._user(user)
        if not u.blocked:
            return None
        u.blocked = False
        u.started = True
        return self._my_chat_member(self.chats[u.id], u, Member("kicked"), Member("member"))

    def deactivate(self, user: User | int) -> None:
        """The account is deleted: sends get 403 "user is deactivated"."""
        self._user(user).deactivated = True

    def add_bot_to_group(
        self, chat: Chat | int, by: User | int, *, as_admin: bool = False
    ) -> list[dict[str, Any]]:
        """A member adds the bot: my_chat_member plus the new_chat_members service message."""
        c, u = self._chat(chat), self._user(by)
        old = c.bot
        c.bot = Member(
            "administrator" if as_admin else "member",
            can_post_messages=as_admin,
            can_delete_messages=as_admin,
        )
        updates = [self._my_chat_member(c, u, old, c.bot)]
        if c.type != CHANNEL:
            stored = self._new_message(c, {"new_chat_members": [self.bot_user.to_api()]}, sender=u)
            updates.append(self._deliver(c, stored, service=True))
        return [x for x in updates if x is not None]

    def remove_bot_from_group(
        self, chat: Chat | int, by: User | int, *, kicked: bool = True
    ) -> dict[str, Any] | None:
        c, u = self._chat(chat), self._user(by)
        old = c.bot
        c.bot = Member("kicked" if kicked else "left")
        return self._my_chat_member(c, u, old, c.bot)

    def migrate_group(self, chat: Chat | int, by: User | int | None = None) -> Chat:
        """Upgrade a group to a supergroup, as Telegram does: new id, two service messages,
        and from now on sends to the old id answer 400 with migrate_to_chat_id."""
        old = self._chat(chat)
        if old.type != GROUP or old.migrated_to is not None:
            raise ValueError(f"chat {old.id} is not a basic group")
        new = Chat(
            -(1_000_000_000_000 + next(self._channel_ids)),
            SUPERGROUP,
            title=old.title,
            members=dict(old.members),
            bot=old.bot,
            migrated_from=old.id,
        )
        self.chats[new.id] = new
        if by is None:
            owners = [uid for uid, m in old.members.items() if m.status == "creator"]
            admins = [uid for uid, m in old.members.items() if m.status == "administrator"]
            by_user = self.users[(owners or admins or list(old.members))[0]]
        else:
            by_user = self._user(by)
        to_msg = self._new_message(old, {"migrate_to_chat_id": new.id}, sender=by_user)
        old.migrated_to = new.id
        from_msg = self._new_message(new, {"migrate_from_chat_id": old.id}, sender=by_user)
        if self._bot_in(old):
            self._enqueue("message", to_msg.data)
            self._enqueue("message", from_msg.data)
        return new

    # ---------------------------------------------------------------- inspection

    def messages_in(
        self, chat: Chat | int, *, include_deleted: bool = False, from_bot: bool | None = None
    ) -> list[StoredMessage]:
        """The chat as a user would see it now (edits applied, deletions gone)."""
        c = self._chat(chat)
        return [
            m
            for _, m in sorted(c.messages.items())
            if (include_deleted or not m.deleted) and (from_bot is None or m.from_bot == from_bot)
        ]

    async def wait_for_messages(
        self, chat: Chat | int, n: int, timeout: float = 5.0
    ) -> list[StoredMessage]:
        """Wait until the bot has sent at least ``n`` messages to ``chat`` (deleted ones count)."""
        c = self._chat(chat)

        def sent() -> list[StoredMessage]:
            found = self.messages_in(c, include_deleted=True, from_bot=True)
            return found if len(found) >= n else []

        return await self.wait_for(sent, timeout, f"{n} bot message(s) in chat {c.id}")

    async def wait_for_callback_answer(
        self, update: dict[str, Any], timeout: float = 5.0
    ) -> CallbackAnswer:
        query_id = update["callback_query"]["id"]

        def answered() -> CallbackAnswer | None:
            return next((a for a in self.callback_answers if a.callback_query_id == query_id), None)

        return await self.wait_for(answered, timeout, f"an answer to callback query {query_id}")

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed every update queued so far."""
        await self.wait_for(lambda: not self._pending, timeout, "the bot to confirm all updates")

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]] | None:
        """What setMyCommands stored for exactly this scope and language (None if nothing)."""
        return self._commands.get((_scope_key(scope), language_code))

    def commands_for(self, user: User | int, chat: Chat | int) -> list[dict[str, str]]:
        """The menu this user sees in this chat, by Telegram's documented scope resolution."""
        u, c = self._user(user), self._chat(chat)
        lang = (u.language_code or "")[:2]
        if c.type == PRIVATE:
            scopes: list[dict[str, Any]] = [
                {"type": "chat", "chat_id": c.id},
                {"type": "all_private_chats"},
                {"type": "default"},
            ]
        else:
            is_admin = self._member(c, u.id).status in ("creator", "administrator")
            scopes = [{"type": "chat_member", "chat_id": c.id, "user_id": u.id}]
            if is_admin:
                scopes.append({"type": "chat_administrators", "chat_id": c.id})
            scopes.append({"type": "chat", "chat_id": c.id})
            if is_admin:
                scopes.append({"type": "all_chat_administrators"})
            scopes += [{"type": "all_group_chats"}, {"type": "default"}]
        for scope in scopes:
            for language in ([lang] if lang else []) + [""]:
                found = self._commands.get((_scope_key(scope), language))
                if found:
                    return found
        return []

    @property
    def counters(self) -> dict[str, Any]:
        by_reason: dict[str, int] = {}
        for record in self.throttle_log:
            by_reason[record.reason] = by_reason.get(record.reason, 0) + 1
        errors: dict[str, int] = {}
        for call in self.api_log:
            if not call.ok:
                key = f"{call.error_code} {call.description}"
                errors[key] = errors.get(key, 0) + 1
        return {
            "accepted_sends": len(self.sent_log),
            "throttled": len(self.throttle_log),
            "throttled_by_reason": by_reason,
            "throttled_by_pacing": len(self.throttle_log) - by_reason.get("storm", 0),
            "api_calls": len(self.api_log),
            "errors": errors,
            "updates_queued": len(self.updates_log),
            "updates_pending": len(self._pending),
            "webhook_deliveries": len(self.webhook_deliveries),
            "callback_answers": len(self.callback_answers),
        }

    # ---------------------------------------------------------------- control API (standalone use)

    async def _handle_control(self, request: web.Request) -> web.Response:
        """A small JSON API for benchmarks driving a standalone server (loopback peers only)."""
        if not _is_loopback_host(request.remote):
            return web.json_response({"ok": False, "description": "loopback only"}, status=403)
        action = request.match_info["action"]
        body = await request.json() if request.can_read_body else {}
        try:
            result = self._control(action, body)
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"ok": False, "description": repr(exc)}, status=400)
        self._changed()
        return web.json_response({"ok": True, "result": result})

    def _control(self, action: str, body: dict[str, Any]) -> Any:
        if action == "stats":
            return self.counters
        if action == "sent_log":
            return [vars(r) for r in self.sent_log]
        if action == "throttle_log":
            return [vars(r) for r in self.throttle_log]
        if action == "users":
            count = int(body.get("count", 1))
            lang = body.get("language_code", "en")
            return [self.add_user(f"User{i}", language_code=lang).id for i in range(count)]
        if action == "group":
            members = [self.users[i] for i in body.get("members", [])]
            chat = self.add_group(
                body.get("title", "Group"),
                members=members,
                supergroup=bool(body.get("supergroup", False)),
            )
            return chat.id
        if action == "send_text":
            return self.send_text(int(body["user_id"]), int(body["chat_id"]), str(body["text"]))
        if action == "storm":
            if body.get("fraction", 0) <= 0:
                self.stop_storm()
            else:
                self.start_storm(
                    float(body["fraction"]),
                    retry_after=int(body.get("retry_after", 5)),
                    duration=body.get("duration"),
                    seed=int(body.get("seed", 0)),
                )
            return True
        if action == "rate_limits":
            for key, value in body.items():
                if not hasattr(self.rate_limits, key):
                    raise KeyError(key)
                setattr(self.rate_limits, key, type(getattr(self.rate_limits, key))(value))
            return vars(self.rate_limits)
        if action == "block":
            return self.block(int(body["user_id"]))
        if action == "reset_logs":
            self.sent_log.clear()
            self.throttle_log.clear()
            self.api_log.clear()
            return True
        raise KeyError(f"unknown action {action}")


# --------------------------------------------------------------------------------------------------
# Standalone
# --------------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    api = FakeBotApi(
        args.token,
        bot_username=args.username,
        privacy_mode=not args.no_privacy,
        rate_limits=RateLimits(enabled=not args.no_rate_limits),
        seed=args.seed,
    )
    root = await api.start(args.host, args.port)
    print(f"fake Bot API listening on {root} (token {api.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="newsbrief_test_bot")
    parser.add_argument("--no-privacy", action="store_true", help="bot sees all group messages")
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not _is_loopback_host(args.host):
        parser.error(f"--host must be a loopback address, not {args.host!r}")
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
