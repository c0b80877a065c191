"""Updates from different chats at once, each chat's in order, and each update only once.

PTB hands every update to an update processor. Its ``SimpleUpdateProcessor`` either runs them one
at a time (one slow or rate-limited chat stalls everybody) or all at once (a reader's two quick
taps could be answered out of order). :class:`ChatOrderedUpdates` runs one update per chat at a
time, in arrival order, and up to ``max_running`` chats at once. It also drops an ``update_id``
it has already seen (Telegram re-posts a webhook update it thinks was lost), remembering a
bounded number of recent ids.

Why not wait for the chat inside PTB's own semaphore: an update waiting for its chat would hold
one of the slots, so 50 queued updates from one chat could fill them all and stall the others.
Here PTB's bound only counts admitted updates (a memory bound); the running bound is taken after
the chat's turn has come.

A handler that is only waiting for its reply to leave hands its chat on (:func:`hand_over_chat`,
called by the reply pacer once the reply has its place in the chat's queue): the chat's next update
starts meanwhile, and its reply queues behind — or is merged into — the waiting one, so a reader
who sends ten commands at once gets one combined answer instead of ten paced a second apart. When
the chat's messages pile up instead (answers that cannot merge), the next update waits for the
reply as before: a flooding chat's handlers never run far ahead of its replies. Order is kept
because the pacer sends a chat's messages in the order they were queued; it holds because a
handler's reply is its last step (``handlers.common.reply`` queues all of its parts before waiting
for any). The one step that can come after is the error handler of a reply that failed on the wire:
its notice follows the next updates' answers already queued, and is never merged into them
(:meth:`bot.app.reply_queue.ChatReplies.join`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

MAX_RUNNING_UPDATES = 32  # handlers running at once (database connections, CPU)
MAX_ADMITTED_UPDATES = 4096  # updates waiting for their chat or running (memory)
REMEMBERED_UPDATE_IDS = 10_000  # recent update ids kept to drop repeats


@dataclass
class _ChatTurn:
    """One chat's queue: a FIFO lock, and how many updates hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class _Hold:
    """A running update's running slot and chat turn, each let go once: when its handler
    returns, or earlier when the handler only waits for its queued reply
    (:func:`hand_over_chat`)."""

    __slots__ = ("_lock", "_running", "_slot_held", "_turn_held", "arrival")

    def __init__(self, lock: asyncio.Lock, running: asyncio.Semaphore, arrival: int) -> None:
        self.arrival = arrival  # the update's place in arrival order
        self._lock = lock
        self._running = running
        self._slot_held = True
        self._turn_held = True

    def free_slot(self) -> None:
        """Only the running slot: the handler keeps its chat's turn but uses no connection or
        CPU while its reply waits."""
        if self._slot_held:
            self._slot_held = False
            self._running.release()

    def release(self) -> None:
        """The slot and the turn: the chat's next update may start."""
        self.free_slot()
        if self._turn_held:
            self._turn_held = False
            self._lock.release()


_RUNNING_HOLD: ContextVar[_Hold | None] = ContextVar("newsbrief_running_hold", default=None)


def running_update() -> int | None:
    """The arrival number of the update whose handler runs in this context (the same for every
    task the handler starts; a later update of the chat has a larger one), or None outside
    :class:`ChatOrderedUpdates`."""
    hold = _RUNNING_HOLD.get()
    return hold.arrival if hold is not None else None


def hand_over_chat(*, keep_turn: bool = False) -> None:
    """The running update's reply has its place in its chat's queue: free its running slot
    (waiting for the wire needs no connection or CPU) and let the chat's next update start now.
    ``keep_turn``: the chat's messages pile up, so the next update waits for this handler's end
    (a flooding chat is paced by its replies). Outside :class:`ChatOrderedUpdates` it does
    nothing."""
    hold = _RUNNING_HOLD.get()
    if hold is None:
        return
    if keep_turn:
        hold.free_slot()
    else:
        hold.release()


class RecentUpdateIds:
    """The last ``capacity`` update ids seen, to answer "seen before?" in O(1)."""

    def __init__(self, capacity: int = REMEMBERED_UPDATE_IDS) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._ids: OrderedDict[int, None] = OrderedDict()

    def seen(self, update_id: int) -> bool:
        """True if ``update_id`` was seen before; otherwise remember it and answer False."""
        if update_id in self._ids:
            return True
        self._ids[update_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._ids)


def ordering_key(update: object) -> Hashable | None:
    """Updates with the same key are handled one at a time, in order: the chat, else (an inline
    query, a button under an inline message) the user. None: no order to keep."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class ChatOrderedUpdates(BaseUpdateProcessor):
    """Concurrent across chats, sequential within one, each ``update_id`` once (module doc)."""

    def __init__(
        self,
        max_running: int = MAX_RUNNING_UPDATES,
        *,
        max_admitted: int = MAX_ADMITTED_UPDATES,
        remembered_ids: int = REMEMBERED_UPDATE_IDS,
    ) -> None:
        if max_running < 1:
            raise ValueError("max_running must be positive")
        # PTB's semaphore (taken before do_process_update) bounds admitted updates; it must be
        # above 1, or PTB would not hand updates over concurrently at all.
        super().__init__(max(max_admitted, max_running, 2))
        self.max_running = max_running
        self._running = asyncio.Semaphore(max_running)
        self._turns: dict[Hashable, _ChatTurn] = {}
        self._arrivals = itertools.count(1)
        self.recent_ids = RecentUpdateIds(remembered_ids)
        self.duplicates = 0

    async def initialize(self) -> None:
        """Nothing to allocate: locks are made per chat on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: a chat's lock goes when its last update is done."""

    @property
    def waiting_chats(self) -> int:
        """Chats with an update running or waiting (tests and diagnostics)."""
        return len(self._turns)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once its chat's earlier updates have let the chat go and a running
        slot is free; its hold lets both go early when the handler only waits for its reply
        (:func:`hand_over_chat`). An update without a chat has no turn to keep."""
        if isinstance(update, Update) and self.recent_ids.seen(update.update_id):
            self.duplicates += 1
            logger.info("dropped update %d: already received", update.update_id)
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never awaited on purpose: no "never awaited" warning
            return
        key = ordering_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _ChatTurn()
        turn.users += 1
        arrival = next(self._arrivals)
        try:
            await turn.lock.acquire()
            try:
                await self._running.acquire()
            except BaseException:
                turn.lock.release()
                raise
            hold = _Hold(turn.lock, self._running, arrival)
            token = _RUNNING_HOLD.set(hold)
            try:
                await coroutine
            finally:
                _RUNNING_HOLD.reset(token)
                hold.release()
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]
