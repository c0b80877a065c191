"""Delivery: one sender drains the outbox into Telegram, paced at Telegram's limits.

The outbox (``storage/outbox.py``) holds every push; this module decides *when* each message goes
and *what happens* when Telegram says no. The error policy is one ``try/except`` ladder in
:meth:`DeliverySender._deliver`, ordered by exception type, one line per arm.

Pacing (all configurable in :class:`DeliveryLimits`): at most one message a second per chat, 20 a
minute per group or channel, 25 a second overall (up to 1000 with ``allow_paid_broadcast``, which
is also passed to ``sendMessage``). Parts of one push go in order, a chat-interval apart. Alerts go
before digests (the outbox orders by priority).

Crash safety: a row is *claimed* (with the part in flight) in the database before the HTTP call
and finished after it. Claims older than ``claim_lease`` belong to a process that died and are
released to pending on start (and whenever one reaches that age), so at most the parts in flight
at a crash are sent twice, and nothing is lost. ``README.md`` (Delivery guarantee) states it.

429s: Telegram does not say whether a 429 was about the chat or the whole bot, so a 429 holds its
chat for ``retry_after`` (durably: the row's next attempt time) *and* pauses every send for
``retry_after`` capped at ``global_pause_cap`` — global pressure is assumed, but one group's long
flood wait does not stall every other chat for a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.chats import deactivate_chat
from storage.chats import ChatRepository
from storage.database import Database
from storage.outbox import DueDelivery, MessagePart, NewDelivery, Outbox

logger = logging.getLogger("newsbrief.delivery")

TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND = 1000.0
CHAT_NOT_FOUND = "chat_not_found"
CANT_PARSE_ENTITIES = "cant_parse_entities"
_LOOKAHEAD_ROWS = 32
_CHAT_STATE_PRUNE_AT = 50_000
_SHORT_WAIT = 0.25  # seconds

WriteOp = Callable[[AsyncSession], Awaitable[None]]


# --- time -----------------------------------------------------------------------------------------


class SenderClock(Protocol):
    """What the sender reads time from: wall time for the database, a monotonic clock for pacing,
    and a wait that ends on an event or a timeout (so tests can drive time by hand)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None: ...


class SystemSenderClock:
    """The real clock: ``datetime.now(UTC)``, ``time.monotonic`` and asyncio waits."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None:
        if timeout is not None and timeout <= 0:
            return
        if any(event.is_set() for event in events):
            return
        if not events:
            await asyncio.sleep(timeout or 0)
            return
        tasks = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()


# --- settings and counters ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryLimits:
    """Pacing and retry settings; the defaults keep under Telegram's documented limits."""

    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20  # messages per group/channel (negative chat id) per window
    group_window: float = 60.0  # Telegram's minute
    group_window_margin: float = 1.0  # extra seconds on the window, for network jitter
    overall_per_second: float = 25.0  # Telegram allows about 30
    overall_burst: float = 1.0  # sends that may catch up after an idle moment
    allow_paid_broadcast: bool = False  # pay Stars to go beyond 30/s (Bot API 7.11)
    paid_broadcast_per_second: float = TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND
    max_in_flight: int = 16  # rows claimed at once (bounds repeats after a crash)
    network_max_attempts: int = 6  # timeouts/network errors before a row fails
    backoff_base: float = 2.0  # first network retry after this many seconds, then doubling
    backoff_max: float = 300.0
    claim_lease: float = 30.0  # a claim older than this belongs to a dead process
    global_pause_cap: float = 5.0  # longest global pause one 429 can cause
    idle_recheck: float = 60.0  # wake at least this often when idle (enqueues from elsewhere)
    write_linger: float = 0.1  # seconds the writer waits to commit several outcomes at once

    @property
    def overall_rate(self) -> float:
        if self.allow_paid_broadcast:
            return min(self.paid_broadcast_per_second, TELEGRAM_PAID_BROADCAST_MAX_PER_SECOND)
        return self.overall_per_second


@dataclass
class SenderStats:
    """What the sender did since it started (tests and benchmarks read these)."""

    messages_sent: int = 0  # parts accepted by Telegram
    deliveries_done: int = 0  # rows with every part sent
    throttled: int = 0  # 429 answers
    network_retries: int = 0
    failed: int = 0
    chats_deactivated: int = 0
    chats_migrated: int = 0
    plain_text_fallbacks: int = 0
    claims_released: int = 0
    last_error: str | None = None


# --- enqueueing -----------------------------------------------------------------------------------


class DeliveryQueue:
    """The enqueue path: writes outbox rows and wakes the sender at once.

    Callers that enqueue inside their own transaction (e.g. marking a digest done in the same
    commit) use ``Outbox(session).enqueue_many`` and then call :meth:`notify` after the commit.
    """

    def __init__(self, db: Database, clock: SenderClock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemSenderClock()
        self.wakeup = asyncio.Event()

    async def enqueue(self, new: NewDelivery) -> bool:
        """Queue one push; False if (chat, kind, ref) was already queued (or sent)."""
        return await self.enqueue_many([new]) == 1

    async def enqueue_many(self, items: Sequence[NewDelivery]) -> int:
        async with self.db.session() as session:
            added = await Outbox(session).enqueue_many(items, now=self.clock.now())
        if added:
            self.notify()
        return added

    def notify(self) -> None:
        self.wakeup.set()


# --- the error policy's helpers -------------------------------------------------------------------


def bad_request_reason(exc: BadRequest) -> str | None:
    """Which BadRequest this is, for the two the policy treats specially.

    PTB has no exception subtype for "chat not found" or "can't parse entities" (both arrive as a
    plain ``BadRequest``), so Telegram's message text is the only discriminator here. Keep every
    such string match in this one function.
    """
    text = exc.message.lower()
    if "chat not found" in text:
        return CHAT_NOT_FOUND
    if "can't parse entities" in text or "can't find end" in text:
        return CANT_PARSE_ENTITIES
    return None


_TAG = re.compile(r"<[^>]*>")


def html_to_plain(text: str) -> str:
    """The text a reader would see, without markup: the plain-text fallback's message."""
    return html.unescape(_TAG.sub("", text))


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that an int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _describe(exc: TelegramError) -> str:
    """The error as Telegram said it, with its type ("Forbidden: bot was blocked by the user")."""
    name = type(exc).__name__
    return exc.message if exc.message.lower().startswith(name.lower()) else f"{name}: {exc.message}"


# --- the sender -----------------------------------------------------------------------------------


@dataclass
class _Write:
    op: WriteOp
    done: asyncio.Future[None]
    label: str = field(default="")


class DeliverySender:
    """The single loop that drains due outbox rows into Telegram.

    ``start()`` with the Application, ``stop()`` when it stops (in-flight sends finish, rows
    claimed but not yet sent go back to pending). ``queue.enqueue...`` wakes it at once.
    """

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        queue: DeliveryQueue | None = None,
        clock: SenderClock | None = None,
        limits: DeliveryLimits | None = None,
    ) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock or (queue.clock if queue else SystemSenderClock())
        self.queue = queue or DeliveryQueue(db, self.clock)
        self.limits = limits or DeliveryLimits()
        self.stats = SenderStats()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._busy_chats: set[int] = set()
        self._chat_ready: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._next_claim_check = 0.0
        self._slot_freed = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._progress = asyncio.Event()
        self._writes: list[_Write] = []
        self._tallies: dict[int, list[str]] = {}
        self._write_ready = asyncio.Event()

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the loop (releasing claims a dead process left behind, first)."""
        if self._task is not None:
            return
        self._stopping = False
        self._stop_event.clear()
        self._writer_task = asyncio.create_task(self._writer(), name="delivery-writer")
        self._task = asyncio.create_task(self._run(), name="delivery-sender")

    async def stop(self) -> None:
        """Stop taking rows, let sends in flight finish and record them, then return."""
        if self._task is None:
            return
        self._stopping = True
        self._stop_event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        writer = self._writer_task
        self._write_ready.set()
        if writer is not None:
            await writer
        self._task = self._writer_task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` is true, re-checked after every finished send (tests)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                if self._task is not None and self._task.done():
                    self._task.result()  # surface a crashed loop instead of timing out
                self._progress.clear()
                await self._progress.wait()

    def _notify_progress(self) -> None:
        self._progress.set()

    # --- the dispatcher -----------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                if failures or not self._next_claim_check:
                    await self._release_stale_claims()
                await self._dispatch_once()
                failures = 0
            except Exception:
                # The database went away or a write failed: say so, back off, keep the loop.
                failures += 1
                delay = min(self.limits.backoff_base * 2 ** (failures - 1), self.limits.backoff_max)
                logger.exception("delivery loop: retrying in %.0f s", delay)
                self._notify_progress()
                await self.clock.wait([self._stop_event], delay)

    async def _dispatch_once(self) -> None:
        limits, clock = self.limits, self.clock
        free = limits.max_in_flight - len(self._inflight)
        # Claim in batches (half the window) to keep database writes per message low.
        if self._inflight and free < max(1, limits.max_in_flight // 2):
            self._slot_freed.clear()
            await clock.wait([self._slot_freed, self._stop_event], None)
            return
        mono = clock.monotonic()
        if mono < self._paused_until:
            await clock.wait([self._stop_event], self._paused_until - mono)
            return
        if mono >= self._next_claim_check:
            await self._release_stale_claims()
        self.queue.wakeup.clear()
        self._slot_freed.clear()
        now = clock.now()
        async with self.db.session() as session:
            rows = await Outbox(session).due(now, limit=free + _LOOKAHEAD_ROWS)
            next_due = None if rows else await Outbox(session).next_due_at()
        if not rows:
            # Read the clock again: time may have moved while the database answered.
            timeout = min(limits.idle_recheck, self._next_claim_check - clock.monotonic())
            if next_due is not None:
                timeout = min(timeout, (next_due - clock.now()).total_seconds())
            await clock.wait([self.queue.wakeup, self._slot_freed, self._stop_event], timeout)
            return
        pick, defer = self._choose(rows, free, mono, now)
        claims = [(row.id, row.next_part) for row in pick]

        async def claim(session: AsyncSession) -> None:
            outbox = Outbox(session)
            await outbox.claim(claims, now=now)
            await outbox.defer(defer, now=now)

        await self._write(claim, "claim")
        rate = limits.overall_rate
        for row in pick:
            slot = self._reserve_slot(rate)
            self._busy_chats.add(row.chat_id)
            self._inflight[row.id] = asyncio.create_task(
                self._deliver(row, slot), name=f"deliver-{row.id}"
            )
        if not pick and not defer:
            # Every due row belongs to a chat already in flight: wait for one to finish.
            await clock.wait([self._slot_freed, self._stop_event], limits.per_chat_interval)

    def _choose(
        self, rows: Sequence[DueDelivery], free: int, mono: float, now: datetime
    ) -> tuple[list[DueDelivery], list[tuple[int, datetime]]]:
        """Rows to send now (up to ``free``), and rows whose chat must wait, with when."""
        pick: list[DueDelivery] = []
        defer: list[tuple[int, datetime]] = []
        chosen: set[int] = set()
        for row in rows:
            if len(pick) >= free:
                break
            chat_id = row.chat_id
            if chat_id in self._busy_chats or chat_id in chosen:
                continue  # another part or push for this chat is in flight; it comes back later
            ready = self._chat_ready_at(chat_id, mono)
            if ready > mono:
                defer.append((row.id, now + timedelta(seconds=ready - mono)))
                continue
            pick.append(row)
            chosen.add(chat_id)
        return pick, defer

    def _chat_ready_at(self, chat_id: int, mono: float) -> float:
        ready = self._chat_ready.get(chat_id, 0.0)
        window = self._group_sends.get(chat_id)
        if window:
            span = self.limits.group_window + self.limits.group_window_margin
            while window and window[0] <= mono - span:
                window.popleft()
            if len(window) >= self.limits.group_per_minute:
                ready = max(ready, window[0] + span)
        return ready

    def _reserve_slot(self, rate: float) -> float:
        """The instant (monotonic) this send may start: evenly spaced at the overall rate."""
        interval = 1.0 / rate
        earliest = self.clock.monotonic() - self.limits.overall_burst * interval
        slot = max(self._next_slot, earliest, self._paused_until)
        self._next_slot = slot + interval
        return slot

    def _note_send(self, chat_id: int, mono: float) -> None:
        self._chat_ready[chat_id] = mono + self.limits.per_chat_interval
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(mono)
        if len(self._chat_ready) > _CHAT_STATE_PRUNE_AT:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > mono}
            self._group_sends = {c: w for c, w in self._group_sends.items() if w}

    # --- one send and the error policy -----------------------------------------------------------

    async def _deliver(self, row: DueDelivery, slot: float) -> None:
        try:
            clock = self.clock
            while True:
                delay = slot - clock.monotonic()
                # A short wait is a plain sleep (cheap at 25/s); a long one ends early on stop().
                await clock.wait([self._stop_event] if delay > _SHORT_WAIT else (), delay)
                if self._stopping:
                    await self._write(self._release(row), "release")
                    return
                if clock.monotonic() < self._paused_until:  # a 429 arrived while we waited
                    slot = self._reserve_slot(self.limits.overall_rate)
                    continue
                break
            self._note_send(row.chat_id, clock.monotonic())
            try:
                message_id = await self._send(row, row.parts[row.next_part])
            except RetryAfter as exc:
                op = self._on_retry_after(row, _retry_after_seconds(exc))
            except ChatMigrated as exc:
                op = self._on_migrated(row, exc.new_chat_id)
            except Forbidden as exc:
                op = self._on_unreachable(row, _describe(exc))
            except BadRequest as exc:
                op = self._on_bad_request(row, exc)
            except (TimedOut, NetworkError) as exc:  # TimedOut is a NetworkError; named to be read
                op = self._on_network_error(row, exc)
            except TelegramError as exc:
                op = self._on_failed(row, _describe(exc))
            else:
                op = self._on_sent(row, message_id)
            await self._write(op, "finish")
            for name in self._tallies.pop(row.id, ()):  # counted once the outcome is committed
                setattr(self.stats, name, getattr(self.stats, name) + 1)
        except Exception:
            logger.exception("delivery %s to chat %s: finishing failed", row.id, row.chat_id)
        finally:
            self._tallies.pop(row.id, None)
            self._inflight.pop(row.id, None)
            self._busy_chats.discard(row.chat_id)
            self._slot_freed.set()
            self._notify_progress()

    async def _send(self, row: DueDelivery, part: MessagePart) -> int:
        """Send one part; returns Telegram's message id."""
        text, parse_mode = part.text, part.parse_mode
        if row.plain_text:
            text, parse_mode = html_to_plain(text), None
        params: dict[str, Any] = {"chat_id": row.chat_id, "text": text}
        if parse_mode:
            params["parse_mode"] = parse_mode
        if part.reply_markup:
            params["reply_markup"] = part.reply_markup  # already Bot API JSON
        if part.disable_notification:
            params["disable_notification"] = True
        if self.limits.allow_paid_broadcast:
            params["allow_paid_broadcast"] = True
        # sendMessage through do_api_request: the parts are stored as Bot API JSON already, and
        # the answer is only needed for its message_id — building a Message object would cost
        # about as much CPU as the HTTP call. PTB still maps every error to its exception type.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.bot.do_api_request("sendMessage", api_kwargs=params)
        return int(result["message_id"])

    def _bump(self, row: DueDelivery, counter: str) -> None:
        self._tallies.setdefault(row.id, []).append(counter)

    def _on_sent(self, row: DueDelivery, message_id: int) -> WriteOp:
        self._bump(row, "messages_sent")
        if row.next_part + 1 >= len(row.parts):
            self._bump(row, "deliveries_done")
        now = self.clock.now()
        next_part_at = now + timedelta(seconds=self.limits.per_chat_interval)

        async def op(session: AsyncSession) -> None:
            await Outbox(session).part_sent(row, message_id, now=now, next_part_at=next_part_at)

        return op

    def _on_retry_after(self, row: DueDelivery, seconds: float) -> WriteOp:
        """Hold the chat for ``retry_after``; pause everyone for it too, capped (module doc)."""
        self._bump(row, "throttled")
        mono = self.clock.monotonic()
        self._chat_ready[row.chat_id] = max(self._chat_ready.get(row.chat_id, 0.0), mono + seconds)
        pause = min(seconds, self.limits.global_pause_cap)
        self._paused_until = max(self._paused_until, mono + pause)
        logger.info("chat %s: 429, retry after %.0f s (all sends pause %.1f s)",
                    row.chat_id, seconds, pause)
        return self._retry(row, seconds, f"429 Too Many Requests: retry after {seconds:g} s",
                           count_attempt=False)

    def _on_migrated(self, row: DueDelivery, new_chat_id: int) -> WriteOp:
        self._bump(row, "chats_migrated")
        now = self.clock.now()
        logger.warning("chat %s became supergroup %s: moving settings and pending pushes",
                       row.chat_id, new_chat_id)

        async def op(session: AsyncSession) -> None:
            await ChatRepository(session).migrate(row.chat_id, new_chat_id, now=now)

        return op

    def _on_unreachable(self, row: DueDelivery, reason: str) -> WriteOp:
        self._bump(row, "chats_deactivated")
        self.stats.last_error = reason
        now = self.clock.now()
        logger.warning("chat %s is unreachable (%s): inactive, pending pushes cancelled",
                       row.chat_id, reason)

        async def op(session: AsyncSession) -> None:
            await deactivate_chat(session, row.chat_id, reason, now=now)

        return op

    def _on_bad_request(self, row: DueDelivery, exc: BadRequest) -> WriteOp:
        reason = bad_request_reason(exc)
        if reason == CHAT_NOT_FOUND:
            return self._on_unreachable(row, _describe(exc))
        if reason == CANT_PARSE_ENTITIES and not row.plain_text:
            self._bump(row, "plain_text_fallbacks")
            logger.error(
                "delivery %s (%s %s) part %d to chat %s: Telegram cannot parse its HTML (%s); "
                "resending as plain text — fix the renderer", row.id, row.kind, row.ref,
                row.next_part, row.chat_id, exc.message,
            )
            return self._retry(row, 0.0, _describe(exc), count_attempt=False, plain_text=True)
        return self._on_failed(row, _describe(exc))

    def _on_network_error(self, row: DueDelivery, exc: NetworkError) -> WriteOp:
        attempts = row.attempts + 1
        if attempts >= self.limits.network_max_attempts:
            return self._on_failed(row, f"gave up after {attempts} attempts: {_describe(exc)}")
        self._bump(row, "network_retries")
        delay = min(self.limits.backoff_base * 2 ** (attempts - 1), self.limits.backoff_max)
        logger.info("delivery %s to chat %s: %s; retry %d in %.0f s",
                    row.id, row.chat_id, _describe(exc), attempts, delay)
        return self._retry(row, delay, _describe(exc), count_attempt=True)

    def _on_failed(self, row: DueDelivery, reason: str) -> WriteOp:
        self._bump(row, "failed")
        self.stats.last_error = reason
        now = self.clock.now()
        logger.error("delivery %s (%s %s) to chat %s failed: %s",
                     row.id, row.kind, row.ref, row.chat_id, reason)

        async def op(session: AsyncSession) -> None:
            await Outbox(session).fail(row.id, reason, now=now)

        return op

    def _retry(
        self,
        row: DueDelivery,
        delay: float,
        error: str,
        *,
        count_attempt: bool,
        plain_text: bool | None = None,
    ) -> WriteOp:
        now = self.clock.now()
        at = now + timedelta(seconds=delay)

        async def op(session: AsyncSession) -> None:
            await Outbox(session).retry_later(
                row.id, at=at, now=now, error=error, count_attempt=count_attempt,
                plain_text=plain_text,
            )

        return op

    def _release(self, row: DueDelivery) -> WriteOp:
        """Give a claimed, never-sent row back (stopping before its turn)."""
        now = self.clock.now()

        async def op(session: AsyncSession) -> None:
            await Outbox(session).retry_later(row.id, at=now, now=now, count_attempt=False)

        return op

    async def _release_stale_claims(self) -> None:
        """Claims older than the lease were left by a process that died mid-send: resend."""
        now = self.clock.now()
        lease = timedelta(seconds=self.limits.claim_lease)
        async with self.db.session() as session:
            outbox = Outbox(session)
            released = await outbox.release_stale_claims(
                older_than=now - lease, now=now, exclude=list(self._inflight)
            )
            oldest = await outbox.oldest_claim_at()
        for claim in released:
            logger.warning(
                "delivery %s (%s %s) to chat %s was in flight at a crash (part %s): resending; "
                "that part may arrive twice", claim.id, claim.kind, claim.ref, claim.chat_id,
                claim.part,
            )
        self.stats.claims_released += len(released)
        mono = self.clock.monotonic()
        if oldest is None:
            self._next_claim_check = mono + self.limits.claim_lease
        else:
            due_in = (oldest + lease - now).total_seconds()
            self._next_claim_check = mono + max(0.0, min(due_in, self.limits.claim_lease))

    # --- the single writer --------------------------------------------------------------------

    async def _write(self, op: WriteOp, label: str) -> None:
        """Queue a database write for the writer task and wait until it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writes.append(_Write(op, future, label))
        self._write_ready.set()
        await future

    async def _writer(self) -> None:
        """Commit queued writes together (one transaction per batch; one writer for SQLite)."""
        while True:
            if not self._writes:
                if self._stopping and self._task is not None and self._task.done() \
                        and not self._inflight:
                    return
                self._write_ready.clear()
                await self._write_ready.wait()
                continue
            if self.limits.write_linger > 0 and len(self._writes) < self.limits.max_in_flight \
                    and not self._stopping:
                # Gather a few more finished sends into this commit: fewer transactions per
                # message. Rows stay claimed (and their slots taken) until the commit.
                await asyncio.sleep(self.limits.write_linger)
            batch, self._writes = self._writes, []
            try:
                async with self.db.session() as session:
                    for write in batch:
                        await write.op(session)
            except Exception:
                if len(batch) == 1:
                    logger.exception("delivery write (%s) failed", batch[0].label)
                    _resolve(batch[0].done, error=True)
                    continue
                # One bad write must not undo the others' records: retry each on its own.
                for write in batch:
                    try:
                        async with self.db.session() as session:
                            await write.op(session)
                    except Exception:
                        logger.exception("delivery write (%s) failed", write.label)
                        _resolve(write.done, error=True)
                    else:
                        _resolve(write.done)
                continue
            for write in batch:
                _resolve(write.done)


def _resolve(future: asyncio.Future[None], *, error: bool = False) -> None:
    if future.done():
        return
    if error:
        future.set_exception(RuntimeError("delivery write failed (see log)"))
    else:
        future.set_result(None)


class DeliveryService:
    """The sender as an ``AppService`` of the Telegram Application (``bot/telegram_app.py``).

    It sends through its own ``Bot`` (same token and server as the Application's) with a request
    backend sized for ``max_in_flight`` and cheap on CPU (``bot/telegram_aiohttp.py``), so a
    fan-out never competes with handler replies for connections.
    """

    def __init__(
        self,
        db: Database,
        token: str,
        *,
        api_root: str = "https://api.telegram.org",
        limits: DeliveryLimits | None = None,
        queue: DeliveryQueue | None = None,
    ) -> None:
        self.db = db
        self.token = token
        self.api_root = api_root.rstrip("/")
        self.limits = limits or DeliveryLimits()
        self.queue = queue or DeliveryQueue(db)
        self.sender: DeliverySender | None = None

    async def start(self, application: object = None) -> None:
        from bot.telegram_aiohttp import delivery_request

        bot = Bot(self.token, base_url=f"{self.api_root}/bot",
                  request=delivery_request(self.limits.max_in_flight + 4))
        await bot.initialize()
        self.sender = DeliverySender(self.db, bot, queue=self.queue, limits=self.limits)
        await self.sender.start()

    async def stop(self, application: object = None) -> None:
        if self.sender is not None:
            await self.sender.stop()
            await self.sender.bot.shutdown()
            self.sender = None
