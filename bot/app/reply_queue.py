"""A chat's replies waiting in the reply pacer: sent in the order queued, and merged while waiting.

Telegram lets a bot send about one message a second to a chat (after a short burst), so a reader
who sends ten commands at once would get the tenth answer ten seconds later. While a reply to a
chat is still waiting for its turn (not yet on the wire), a further plain ``sendMessage`` to the
same chat is appended to it instead — texts joined by a blank line — and both callers get the one
message Telegram answers (or the same error; but a merged message refused for its text, unparsable
HTML say, goes again one answer at a time, so one update's malformed answer fails alone). Only a
later update's reply is appended to an earlier update's: never to another part of its own reply
(cut apart on purpose: a keyboard per message, ten sources per message, a notice of its own), nor
to a later update's answer (an earlier update's late notice, its error, would read as part of that
answer). :class:`MergePolicy` says when two messages may be merged: the same options (parse mode,
link preview, silence, reply target...), no entities, no keyboard on either (a button's callback
edits the whole message it sits under: it would wipe the other answers), and the joined text within
Telegram's 4096 units once the HTML is parsed. Edits, documents and anything else are never merged;
they queue like a message that cannot merge.

The text is written into the message when it goes on the wire, from the callers still waiting:
one that stopped waiting (its handler was cancelled) takes its own text back, never another's.
When a message fails, the later parts of the replies it carried are withdrawn, as a handler
sending its parts one by one would have stopped.

Only the handlers' replies pass here: the delivery sender's pushes have their own outbox, one
row per message, and are never merged.
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram.constants import ParseMode

from bot.render.html_text import plain_text
from bot.render.layout import TELEGRAM_TEXT_LIMIT, utf16_len

MERGE_SEPARATOR = "\n\n"
MERGEABLE_ENDPOINT = "sendMessage"
NOT_COMPARED = frozenset({"text", "reply_markup"})  # the text is combined; keyboards: none


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
                and data.get("parse_mode") in (None, ParseMode.HTML)
                and any(arg is data for arg in args))

    def may_join(self, waiting: QueuedReply, endpoint: str, data: dict[str, Any]) -> bool:
        """Whether ``data`` may be appended to the ``waiting`` message: same options, and the
        joined text within Telegram's limit."""
        text = data.get("text")
        if endpoint != MERGEABLE_ENDPOINT or "entities" in data or not isinstance(text, str):
            return False
        if data.get("reply_markup") is not None or waiting.data.get("reply_markup") is not None:
            return False  # its buttons would edit the others' answers away
        if _options(waiting.data) != _options(data):
            return False
        joined = MERGE_SEPARATOR.join([*waiting.texts(), text])
        return self._parsed_length(joined, data.get("parse_mode")) <= self.text_limit

    @staticmethod
    def _parsed_length(text: str, parse_mode: str | None) -> int:
        """Length as Telegram counts it once the entities are parsed out."""
        return utf16_len(plain_text(text) if parse_mode == ParseMode.HTML else text)


def _options(data: dict[str, Any]) -> dict[str, Any]:
    """What must be equal for two messages to be one: every option but the text, which is
    joined, and the keyboard, which neither may have."""
    return {key: value for key, value in data.items() if key not in NOT_COMPARED}


@dataclass(slots=True)
class _Caller:
    """A request whose text went into a queued message; it awaits ``future``."""

    future: asyncio.Future[Any]
    text: str
    origin: int | None  # the update it answers, by arrival (None: not known)
    failed: bool = False  # its message failed: the later parts of its reply are withdrawn


class QueuedReply:
    """One message waiting in its chat's queue, and the callers whose texts it carries. A caller
    that stops waiting (cancelled) before the message leaves takes its text back out."""

    __slots__ = ("callers", "data", "may_lead", "open", "ready")

    def __init__(self, data: dict[str, Any], *, may_lead: bool) -> None:
        self.data = data  # what is posted: the first caller's, the joined text written in later
        self.may_lead = may_lead
        self.open = may_lead  # True while not on the wire: others may still be appended
        self.ready = asyncio.Event()  # set when every message queued before it has been sent
        self.callers: list[_Caller] = []

    def add(self, data: dict[str, Any], origin: int | None) -> asyncio.Future[Any]:
        """One more caller (the first is the message's own); the future it awaits."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.callers.append(_Caller(future, str(data.get("text", "")), origin))
        return future

    def _waiting(self) -> list[_Caller]:
        """The callers still awaiting: a cancelled one's text is not sent."""
        return [caller for caller in self.callers if not caller.future.done()]

    @property
    def awaited(self) -> bool:
        """Somebody still waits for this message (else it need not be sent)."""
        return any(not caller.future.done() for caller in self.callers)

    @property
    def merged(self) -> bool:
        """More than one caller still waits: the message carries several answers."""
        return len(self._waiting()) > 1

    def apart(self) -> list[QueuedReply]:
        """One message per caller still waiting, in order, each to be sent alone (Telegram
        refused the merged one for its content: only the malformed answer should fail). They
        share this message's ``data`` (the dict that is posted), so they go one after another."""
        parts = []
        for caller in self._waiting():
            part = QueuedReply(self.data, may_lead=self.may_lead)
            part.open = False  # not in the chat's queue: nothing joins it
            part.callers.append(caller)
            parts.append(part)
        return parts

    def texts(self) -> list[str]:
        """The texts the message would carry now, to measure a merge against the limit."""
        return [caller.text for caller in self._waiting()]

    def seal(self) -> bool:
        """The message goes on the wire: no more merging, and its text is the texts of the
        callers still waiting. False: nobody waits any more."""
        self.open = False
        waiting = self._waiting()
        if not waiting:
            return False
        if self.may_lead:
            self.data["text"] = MERGE_SEPARATOR.join(caller.text for caller in waiting)
        return True

    def succeeded(self, result: Any) -> None:
        """Every caller gets Telegram's answer (its own copy: PTB builds a Message of it)."""
        for caller in self._waiting():
            caller.future.set_result(copy.deepcopy(result))

    def failed(self, error: BaseException) -> None:
        """Every caller sees the failure of the message its text was in."""
        for caller in self._waiting():
            if isinstance(error, asyncio.CancelledError):
                caller.future.cancel()
            else:
                caller.failed = True
                caller.future.set_exception(error)


class ChatReplies:
    """One chat's queue: replies leave in the order they came, a waiting one may absorb more."""

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: deque[QueuedReply] = deque()

    def __bool__(self) -> bool:
        return bool(self._queue)

    def __len__(self) -> int:
        """Messages waiting, and the one on the wire."""
        return len(self._queue)

    def join(self, policy: MergePolicy, endpoint: str, data: dict[str, Any],
             origin: int | None) -> asyncio.Future[Any] | None:
        """Append ``data`` to the last waiting message when that answers only earlier updates
        and the policy allows; the future the caller awaits for Telegram's answer, or None (then
        :meth:`enqueue` it)."""
        if not self._queue or not (last := self._queue[-1]).open:
            return None
        if origin is not None and any(caller.origin is not None and caller.origin >= origin
                                      for caller in last.callers):
            # another part of the same reply; or an earlier update's late message (the error
            # notice of a reply that failed after the chat was handed on): appended to a later
            # update's answer it would read as part of that answer
            return None
        if not policy.may_join(last, endpoint, data):
            return None
        return last.add(data, origin)

    def enqueue(self, data: dict[str, Any], *, may_lead: bool) -> QueuedReply:
        """A message of its own at the end of the queue; the first in the queue may go at once."""
        reply = QueuedReply(data, may_lead=may_lead)
        self._queue.append(reply)
        if len(self._queue) == 1:
            reply.ready.set()
        return reply

    def remove(self, reply: QueuedReply) -> None:
        """``reply`` is sent or given up: the next one's turn comes when it was first. The later
        parts of the replies that failed in it are withdrawn (as a handler sending them one by
        one would have stopped); other replies merged with them still go."""
        origins = [c.origin for c in reply.callers if c.failed and c.origin is not None]
        if origins:
            for later in self._queue:
                for caller in later.callers:
                    if caller.origin in origins:
                        caller.future.cancel()
        was_first = self._queue[0] is reply
        self._queue.remove(reply)
        if was_first and self._queue:
            self._queue[0].ready.set()
