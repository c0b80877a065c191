"""A chat's replies waiting in the reply pacer: sent in the order queued, and merged while waiting.

Telegram lets a bot send about one message a second to a chat (after a short burst), so a reader
who sends ten commands at once would get the tenth answer ten seconds later. While a reply to a
chat is still waiting for its turn (not yet on the wire), a further plain ``sendMessage`` to the
same chat is appended to it instead — texts joined by a blank line — and both callers get the one
message Telegram answers (or the same error). Only replies to different updates are merged: the
parts of one reply were cut apart on purpose (a keyboard per message, ten sources per message, a
notice of its own). :class:`MergePolicy` says when two messages may be merged: the same options
(parse mode, link preview, silence, reply target...), no entities, a keyboard only on the later
one (a button's callback edits its message: two keyboards cannot share one), and the joined text
within Telegram's 4096 units once the HTML is parsed. Edits, documents and anything else are
never merged; they queue like a message that cannot merge.

Only the handlers' replies pass here: the delivery sender's pushes have their own outbox, one
row per message, and are never merged.
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Sequence
from typing import Any

from bot.render.html_text import plain_text
from bot.render.layout import TELEGRAM_TEXT_LIMIT, utf16_len

MERGE_SEPARATOR = "\n\n"
MERGEABLE_ENDPOINT = "sendMessage"
HTML = "HTML"
NOT_COMPARED = frozenset({"text", "reply_markup"})  # the fields a merge combines


class MergePolicy:
    """Whether a message may be appended to a waiting one (module doc)."""

    def __init__(self, text_limit: int = TELEGRAM_TEXT_LIMIT) -> None:
        self.text_limit = text_limit

    @staticmethod
    def may_lead(endpoint: str, args: Sequence[Any], data: dict[str, Any]) -> bool:
        """A message others may later be appended to: a plain text message whose ``data`` is the
        very dict that will be posted (PTB passes it in ``args``), so its text can still change."""
        return (endpoint == MERGEABLE_ENDPOINT and "entities" not in data
                and isinstance(data.get("text"), str)
                and data.get("parse_mode") in (None, HTML)
                and any(arg is data for arg in args))

    def merged_text(self, waiting: dict[str, Any], endpoint: str,
                    data: dict[str, Any]) -> str | None:
        """The joined text when ``data`` may be appended to the ``waiting`` message; else None."""
        if endpoint != MERGEABLE_ENDPOINT or "entities" in data:
            return None
        text = data.get("text")
        if not isinstance(text, str) or waiting.get("reply_markup") is not None:
            return None  # a keyboard must stay under the message it was sent with
        if _options(waiting) != _options(data):
            return None
        joined = waiting["text"] + MERGE_SEPARATOR + text
        if self._parsed_length(joined, waiting.get("parse_mode")) > self.text_limit:
            return None
        return joined

    @staticmethod
    def _parsed_length(text: str, parse_mode: str | None) -> int:
        """Length as Telegram counts it once the entities are parsed out."""
        return utf16_len(plain_text(text) if parse_mode == HTML else text)


def _options(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in NOT_COMPARED}


class QueuedReply:
    """One message waiting in its chat's queue, and the callers merged into it."""

    __slots__ = ("data", "followers", "may_lead", "open", "origin", "ready")

    def __init__(self, data: dict[str, Any], *, may_lead: bool, origin: object | None) -> None:
        self.data = data
        self.may_lead = may_lead
        self.origin = origin  # the update it answers (None: not known)
        self.open = may_lead  # True while not on the wire: others may still be appended
        self.ready = asyncio.Event()  # set when every message queued before it has been sent
        self.followers: list[asyncio.Future[Any]] = []

    def succeeded(self, result: Any) -> None:
        """Every merged caller gets Telegram's answer (its own copy: PTB builds a Message of it)."""
        for future in self.followers:
            if not future.done():
                future.set_result(copy.deepcopy(result))

    def failed(self, error: BaseException) -> None:
        """Every merged caller sees the failure of the message it was merged into."""
        for future in self.followers:
            if future.done():
                continue
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)


class ChatReplies:
    """One chat's queue: replies leave in the order they came, a waiting one may absorb more."""

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: deque[QueuedReply] = deque()

    def __bool__(self) -> bool:
        return bool(self._queue)

    def merge(self, policy: MergePolicy, endpoint: str, data: dict[str, Any],
              origin: object | None) -> asyncio.Future[Any] | None:
        """Append ``data`` to the last waiting message when the policy allows and it answers
        another update; the future the caller awaits for Telegram's answer, or None (then
        :meth:`enqueue` it)."""
        if not self._queue or not (last := self._queue[-1]).open:
            return None
        if origin is not None and last.origin is origin:
            return None  # another part of the same reply
        joined = policy.merged_text(last.data, endpoint, data)
        if joined is None:
            return None
        last.data["text"] = joined
        if data.get("reply_markup") is not None:
            last.data["reply_markup"] = data["reply_markup"]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        last.followers.append(future)
        return future

    def enqueue(self, data: dict[str, Any], *, may_lead: bool,
                origin: object | None) -> QueuedReply:
        reply = QueuedReply(data, may_lead=may_lead, origin=origin)
        self._queue.append(reply)
        if len(self._queue) == 1:
            reply.ready.set()
        return reply

    def remove(self, reply: QueuedReply) -> None:
        """``reply`` is sent or given up: the next one's turn comes when it was first."""
        was_first = self._queue[0] is reply
        self._queue.remove(reply)
        if was_first and self._queue:
            self._queue[0].ready.set()
