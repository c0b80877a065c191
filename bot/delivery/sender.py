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

429s: a 429 answered to a send holds that chat for ``retry_after`` (durably: the row's next
attempt time; the row keeps its place in the queue) and gives the send's overall slot back; only a
burst of 429s across many chats pauses every send, capped at ``global_pause_cap`` (the rules are in
``bot/delivery/pacing.py``), so a storm of per-chat 429s leaves the other chats at their pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import RetryAfter, TelegramError
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.clock import Clock, SystemClock
from bot.delivery.limits import DeliveryLimits
from bot.delivery.pacing import Pacer
from bot.delivery.policy import (
    Backoff,
    Deactivate,
    GiveUp,
    Migrate,
    ResendAsPlainText,
    SendDecision,
    Throttle,
    decide_after_error,
)
from bot.delivery.send_window import SendWindow
from bot.delivery.transport import AiohttpRequest, bot_api_request
from bot.render.html_text import plain_text
from bot.subscriptions.chats import deactivate_chat
from storage.chats import ChatRepository
from storage.database import (
    Database,
    DatabaseBusyError,
    DatabaseUnavailableError,
    WriteSession,
)
from storage.instance_lock import Fence, FencedOutError
from storage.outbox import (
    DueDelivery,
    Failed,
    NewDelivery,
    Outbox,
    Outcome,
    ReleasedClaim,
    RetryLater,
    SenderOutbox,
    StoredPart,
    part_sent_outcome,
)

logger = logging.getLogger("newsbrief.delivery")

WriteOp = Callable[[AsyncSession], Awaitable[None]]


# --- time -----------------------------------------------------------------------------------------


# --- settings and counters ------------------------------------------------------------------------


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
    peak_sends_per_second: int = 0  # most sends started within one second (the overall limit)
    last_error: str | None = None


# --- enqueueing -----------------------------------------------------------------------------------


class DeliveryQueue:
    """The enqueue path: writes outbox rows and wakes the sender at once.

    Callers that enqueue inside their own transaction (e.g. marking a digest done in the same
    commit) use ``Outbox(session).enqueue_many`` and then call :meth:`notify` after the commit.
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.wakeup = asyncio.Event()

    async def enqueue(self, new: NewDelivery) -> bool:
        """Queue one push; False if (chat, kind, ref) was already queued (or sent)."""
        return await self.enqueue_many([new]) == 1

    async def enqueue_many(self, items: Sequence[NewDelivery]) -> int:
        """Queue pushes in one transaction (retried if another writer holds SQLite's lock);
        how many were new."""
        now = self.clock.now()

        async def work(session: WriteSession) -> int:
            return await Outbox(session).enqueue_many(items, now=now)

        added = await self.db.write(work)
        if added:
            self.notify()
        return added

    def notify(self) -> None:
        self.wakeup.set()


# --- the sender -----------------------------------------------------------------------------------


@dataclass
class _Done:
    """A send's outcome, waiting to be committed with the next claim (or after ``write_linger``).

    ``fast`` outcomes are written together on the sender's connection; ``slow`` ones (a chat
    deactivated or migrated) touch other tables and run in their own session after that commit.
    """

    row_id: int
    fast: Outcome | None = None
    slow: WriteOp | None = None
    tallies: tuple[str, ...] = ()
    at: datetime | None = None  # when the row is due again, if it goes back to pending


class DeliverySender:
    """The single loop that drains due outbox rows into Telegram.

    ``start()`` with the Application, ``stop()`` when it stops (in-flight sends finish, rows
    claimed but not yet sent go back to pending). ``queue.enqueue...`` wakes it at once.

    One task (the dispatcher) owns the sender's database connection: each of its transactions
    records the outcomes of the sends finished since the last one and claims the next rows, so a
    fan-out costs about one commit per ``max_in_flight / 2`` messages. Rows stay claimed until their
    outcome is committed, so at most ``max_in_flight`` rows are ever claimed.
    """

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        queue: DeliveryQueue | None = None,
        clock: Clock | None = None,
        limits: DeliveryLimits | None = None,
        release_claims_on_start: bool = False,
        fence: Fence | None = None,
        on_fenced: Callable[[], None] | None = None,
        window: SendWindow | None = None,
    ) -> None:
        """``release_claims_on_start``: this process holds the single-instance lock
        (``storage/instance_lock.py``), so every claim found at start is a dead process's and is
        released at once; without the lock, only claims older than ``claim_lease`` are.
        ``fence``: that lock's generation; once another bot holds a newer one the outbox refuses
        this sender's transactions and it stops at once, calling ``on_fenced``.
        ``window``: the bot's messages per second, shared with the replies
        (``bot/delivery/send_window.py``)."""
        self.db = db
        self.bot = bot
        self.clock = clock or (queue.clock if queue else SystemClock())
        self.queue = queue or DeliveryQueue(db, self.clock)
        self.limits = limits or DeliveryLimits()
        self.release_claims_on_start = release_claims_on_start
        self.stats = SenderStats()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._claimed: dict[int, DueDelivery] = {}  # claimed by us, outcome not yet committed
        self._sending: dict[int, asyncio.Task[None]] = {}  # claimed rows whose send is not over
        self._waiting: set[int] = set()  # of those, rows still waiting for their turn
        self._done: list[_Done] = []
        self._done_since = 0.0  # monotonic time the oldest uncommitted outcome arrived
        self.pacer = Pacer(self.limits, window)
        self._next_claim_check = 0.0
        self._next_due: float | None = 0.0  # monotonic; None: nothing pending as far as we know
        self._busy_blocked = False  # due rows wait for a chat we have in flight
        self._last_claim = 0.0
        self._store = SenderOutbox(db, fence)
        self._on_fenced = on_fenced
        self._send_url: str | None = None
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._progress = asyncio.Event()

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the loop (releasing claims a dead process left behind, first)."""
        if self._task is not None:
            return
        self._stopping = False
        self._stop_event.clear()
        self._task = asyncio.create_task(self._run(), name="delivery-sender")

    async def stop(self) -> None:
        """Stop taking rows, let sends in flight finish and record them, then return."""
        if self._task is None:
            return
        self._stopping = True
        self._stop_event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def halt(self) -> None:
        """Stop starting sends, now (synchronously): the instance lock was lost. Sends already
        on the wire finish; the rest are given back when (if) the database answers."""
        self._stopping = True
        self._stop_event.set()
        for row_id in list(self._waiting):
            self._sending[row_id].cancel()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def _claim_batch(self) -> int:
        """Claim when this many slots are free (three quarters of the window): one transaction
        per 12 sends by default, while the 4 still queued keep the pace through the commit."""
        return max(1, self.limits.max_in_flight * 3 // 4)

    @property
    def idle(self) -> bool:
        """Nothing claimed and nothing due now as far as the sender knows (benchmarks poll it)."""
        due = self._next_due
        return (not self._claimed and not self.queue.wakeup.is_set()
                and (due is None or due > self.clock.monotonic()))

    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` is true, re-checked after every commit (tests)."""
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
        try:
            while not self._stopping:
                try:
                    if failures or not self._next_claim_check:
                        await self._release_stale_claims(first=not self._next_claim_check)
                    await self._step()
                    failures = 0
                except FencedOutError as exc:
                    logger.critical("delivery stopped: %s", exc)
                    self.halt()
                    if self._on_fenced is not None:
                        self._on_fenced()
                    return
                except Exception as exc:
                    # The database went away or a write failed: say so, back off, keep the loop.
                    # Outcomes not yet committed are kept and written on the next try.
                    failures += 1
                    delay = min(self.limits.backoff_base * 2 ** (failures - 1),
                                self.limits.backoff_max)
                    if isinstance(exc, DatabaseBusyError):  # another writer: nothing is wrong
                        logger.warning("delivery loop: %s; retrying in %.0f s", exc, delay)
                    else:
                        logger.exception("delivery loop: retrying in %.0f s", delay)
                    await self._drop_connection()
                    self._notify_progress()
                    await self.clock.wait([self._stop_event], delay)
            await self._shut_down()
        finally:
            await self._drop_connection()
            self._notify_progress()

    async def _shut_down(self) -> None:
        """Let sends in flight finish (rows not yet sent are given back), then record them."""
        for row_id in list(self._waiting):  # waiting for their turn: give them back now
            self._sending[row_id].cancel()
        if self._sending:
            await asyncio.gather(*self._sending.values(), return_exceptions=True)
        for attempt in range(3):
            if not self._done:
                return
            try:
                await self._transact(claim=0)
            except Exception:
                logger.exception("delivery: recording outcomes at stop failed (try %d)",
                                 attempt + 1)
                await self._drop_connection()
        if self._done:
            logger.error("delivery: %d outcome(s) not recorded at stop; those rows stay claimed "
                         "and are sent again after a restart", len(self._done))

    async def _step(self) -> None:
        """One turn: commit outcomes and claim rows if it is time to, else wait for a reason."""
        limits, clock = self.limits, self.clock
        self._wake.clear()
        mono = clock.monotonic()
        if mono >= self._next_claim_check:
            await self._release_stale_claims()
        free = limits.max_in_flight - len(self._sending)  # slots once outcomes are committed
        batch = self._claim_batch
        woken = self.queue.wakeup.is_set()
        due = woken or (self._next_due is not None and mono >= self._next_due) \
            or mono >= self._last_claim + limits.idle_recheck
        paused = mono < self.pacer.paused_until
        claim = free if due and not paused and free >= batch else 0
        flush = bool(self._done) and (
            limits.write_linger <= 0 or not self._sending
            or mono >= self._done_since + limits.write_linger
            or any(done.slow is not None for done in self._done)
        )
        if claim or flush:
            await self._transact(claim=claim)
            return
        # Nothing to do now: sleep until the next reason. A claim cannot happen before a batch
        # of slots is free (a finishing send sets ``_wake``) nor during a 429 pause, so then
        # neither an enqueue nor a past due time may end the wait — either would return at once,
        # and the loop would spin on the bot's event loop for the whole pause.
        deadlines = [self._next_claim_check]
        if self._done:
            deadlines.append(self._done_since + limits.write_linger)
        events = [self._wake, self._stop_event]
        if free >= batch:
            claim_at = self._last_claim + limits.idle_recheck
            if self._next_due is not None:
                claim_at = min(claim_at, self._next_due)
            deadlines.append(max(claim_at, self.pacer.paused_until))
            if not paused:
                events.append(self.queue.wakeup)
        timeout = max(0.0, min(deadlines) - clock.monotonic())
        await clock.wait(events, timeout)

    async def _transact(self, *, claim: int) -> None:
        """One transaction: record the outcomes gathered so far, then claim up to ``claim`` rows."""
        clock = self.clock
        done, self._done = self._done, []
        if claim:
            self.queue.wakeup.clear()  # an enqueue from now on wakes us again
        now = clock.now()
        # Chats whose outcome is being committed here are free again once it is.
        committing = {d.row_id for d in done}
        busy = [row.chat_id for row_id, row in self._claimed.items() if row_id not in committing]
        limit = min(claim, self.limits.max_in_flight - len(busy)) if claim else 0
        try:
            claimed = await self._store.transact(
                [d.fast for d in done if d.fast is not None], now=now, claim=max(0, limit),
                busy_chats=busy,
            )
        except BaseException:
            self._done = done + self._done  # nothing was recorded: keep them for the next try
            if claim:
                self.queue.wakeup.set()
            raise
        rows, next_due_at = claimed.rows, claimed.next_due_at
        mono = clock.monotonic()
        for d in done:
            recorded = True
            if d.slow is not None:
                try:
                    await self.db.write(d.slow)  # waits out another writer's SQLite lock
                except DatabaseUnavailableError as exc:  # busy, full, read-only: one line
                    # Left claimed: the lease check gives the row back later (it may repeat).
                    logger.error("delivery %s: recording the outcome failed: %s", d.row_id, exc)
                    recorded = False
                except Exception:
                    logger.exception("delivery %s: recording the outcome failed", d.row_id)
                    recorded = False
            self._claimed.pop(d.row_id, None)
            for name in d.tallies if recorded else ():  # counted once the outcome is committed
                setattr(self.stats, name, getattr(self.stats, name) + 1)
            if d.at is not None:
                self._due_at(mono + max(0.0, (d.at - now).total_seconds()))
        if done and self._busy_blocked:
            self._busy_blocked = False
            self._due_at(mono)
        if limit > 0:
            self._last_claim = mono
            if len(rows) >= limit:
                self._next_due = mono
            elif next_due_at is None:
                self._next_due = None
            elif next_due_at <= now:
                # Due rows belong to chats we have in flight: claim again when one finishes.
                self._busy_blocked = True
                self._next_due = None
            else:
                self._next_due = mono + (next_due_at - now).total_seconds()
            for d in done:
                if d.at is not None:
                    self._due_at(mono + max(0.0, (d.at - now).total_seconds()))
        if done:
            self._notify_progress()
        if rows:
            self._start_sends(rows, mono, now)

    def _due_at(self, mono: float) -> None:
        if self._next_due is None or mono < self._next_due:
            self._next_due = mono

    def _start_sends(self, rows: Sequence[DueDelivery], mono: float, now: datetime) -> None:
        """Start a send for each claimed row whose chat may receive now; give the others back."""
        chosen: set[int] = set()
        for row in rows:
            self._claimed[row.id] = row
            chat_id = row.chat_id
            ready = self.pacer.chat_ready_at(chat_id, mono)
            if chat_id in chosen:
                ready = max(ready, mono + self.limits.per_chat_interval)
            if ready > mono:  # the chat is paced: back to pending until it may receive
                at = now + timedelta(seconds=ready - mono)
                self._add_done(_Done(row.id, RetryLater(row.id, at=at, now=now), at=at))
                continue
            chosen.add(chat_id)
            slot = self.pacer.reserve_slot(self.clock.monotonic())
            self._sending[row.id] = asyncio.create_task(
                self._deliver(row, slot), name=f"deliver-{row.id}"
            )

    def _add_done(self, done: _Done, *, wake: bool = True) -> None:
        if not self._done:
            # The first outcome of a batch: the dispatcher may be asleep on a deadline set before
            # it existed, so wake it to add ``write_linger`` (outcomes committed within it).
            self._done_since = self.clock.monotonic()
            wake = True
        self._done.append(done)
        if wake:
            self._wake.set()

    async def _drop_connection(self) -> None:
        with contextlib.suppress(Exception):
            await self._store.close()

    # --- one send and the error policy -----------------------------------------------------------

    async def _deliver(self, row: DueDelivery, slot: float) -> None:
        done: _Done | None = None
        try:
            clock = self.clock
            self._waiting.add(row.id)
            try:
                while True:
                    # A plain sleep (cheapest); stop() cancels it (see _shut_down).
                    with contextlib.suppress(asyncio.CancelledError):
                        await clock.wait((), slot - clock.monotonic())
                    if self._stopping:
                        done = self._release(row)
                        return
                    mono = clock.monotonic()
                    if mono < self.pacer.paused_until:  # a 429 arrived while we waited
                        slot = self.pacer.reserve_slot(self.clock.monotonic())
                        continue
                    gate = self.pacer.window_delay(mono)
                    if gate > 0:
                        # When the window's oldest send leaves it: the same instant for every
                        # send it holds back, so they wake together.
                        slot = mono + gate
                        continue
                    break
            finally:
                self._waiting.discard(row.id)
            self.pacer.note_send(row.chat_id, mono)
            self.stats.peak_sends_per_second = self.pacer.peak_sends_per_second
            started = mono
            try:
                message_id = await self._send_in_window(row)
            except TelegramError as exc:
                decision = decide_after_error(exc, attempts=row.attempts,
                                              plain_text=row.plain_text, limits=self.limits,
                                              chat_scoped=True)
                done = self._apply(row, decision, started)
            else:
                self.pacer.note_accepted(row.chat_id, clock.monotonic())
                done = self._on_sent(row, message_id)
        except Exception:
            # Left claimed: the lease check gives the row back later (its part may repeat).
            logger.exception("delivery %s to chat %s: sending failed", row.id, row.chat_id)
        finally:
            self._sending.pop(row.id, None)
            if done is None:
                self._claimed.pop(row.id, None)
            else:
                self._add_done(done, wake=False)
            # Wake the dispatcher only when it has something to do: a batch of slots is free,
            # nothing is left in flight, or the outcome cannot wait (CPU: one wake per batch).
            limits = self.limits
            if (limits.write_linger <= 0 or not self._sending
                    or len(self._sending) <= limits.max_in_flight - self._claim_batch
                    or (done is not None and done.slow is not None)):
                self._wake.set()

    async def _send_in_window(self, row: DueDelivery) -> int:
        """Send the row's next part; the pacer hears when the request is over, however it ends
        (the bot's shared window counts the message until a second after its answer)."""
        refused = False
        try:
            return await self._send(row, row.parts[row.next_part])
        except RetryAfter:
            refused = True
            raise
        finally:
            self.pacer.note_answered(self.clock.monotonic(), refused=refused)

    async def _send(self, row: DueDelivery, part: StoredPart) -> int:
        """Send one part; returns Telegram's message id."""
        text, parse_mode = part["text"], part.get("parse_mode")
        if row.plain_text:
            text, parse_mode = plain_text(text), None
        params: dict[str, Any] = {"chat_id": row.chat_id, "text": text}
        if parse_mode:
            params["parse_mode"] = parse_mode
        if part.get("reply_markup"):
            params["reply_markup"] = part["reply_markup"]  # already Bot API JSON
        if part.get("disable_notification"):
            params["disable_notification"] = True
        if self.limits.allow_paid_broadcast:
            params["allow_paid_broadcast"] = True
        request = self.bot.request
        if isinstance(request, AiohttpRequest):
            # The JSON body is encoded once, here, and posted as is; PTB's own request encoding
            # (a RequestParameter per field, then a form) cost more CPU than the HTTP call.
            if self._send_url is None:
                self._send_url = f"{self.bot.base_url}/sendMessage"
            body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
            result = await request.post_json(self._send_url, body)
        else:
            # Any other backend: sendMessage through do_api_request — the answer is only needed
            # for its message_id, and building a Message object would cost about as much CPU as
            # the HTTP call. PTB still maps every error to its exception type.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBUserWarning)
                result = await self.bot.do_api_request("sendMessage", api_kwargs=params)
        return int(result["message_id"])

    def _on_sent(self, row: DueDelivery, message_id: int) -> _Done:
        tallies = ("messages_sent", "deliveries_done") if row.next_part + 1 >= len(row.parts) \
            else ("messages_sent",)
        now = self.clock.now()
        next_part_at = now + timedelta(seconds=self.limits.per_chat_interval)
        outcome = part_sent_outcome(row, message_id, now=now, next_part_at=next_part_at)
        return _Done(row.id, outcome, tallies=tallies,
                     at=None if outcome.done else next_part_at)

    def _apply(self, row: DueDelivery, decision: SendDecision, started: float) -> _Done:
        """Carry out the error policy's decision for ``row`` (see bot/delivery/policy.py)."""
        match decision:
            case Throttle(retry_after=seconds, pause_all=pause_all):
                return self._throttle(row, seconds, pause_all, started)
            case Migrate(new_chat_id=new_chat_id):
                return self._migrate(row, new_chat_id)
            case Deactivate(reason=reason):
                return self._deactivate(row, reason)
            case ResendAsPlainText(reason=reason):
                logger.error(
                    "delivery %s (%s %s) part %d to chat %s: Telegram cannot parse its HTML "
                    "(%s); resending as plain text — fix the renderer", row.id, row.kind, row.ref,
                    row.next_part, row.chat_id, reason,
                )
                return self._retry(row, 0.0, reason, count_attempt=False, plain_text=True,
                                   tally="plain_text_fallbacks")
            case Backoff(delay=delay, attempt=attempt, reason=reason):
                logger.info("delivery %s to chat %s: %s; retry %d in %.0f s",
                            row.id, row.chat_id, reason, attempt, delay)
                return self._retry(row, delay, reason, count_attempt=True,
                                   tally="network_retries")
            case GiveUp(reason=reason):
                return self._fail(row, reason)

    def _throttle(self, row: DueDelivery, seconds: float, pause_all: float,
                  started: float) -> _Done:
        """Hold the chat for ``retry_after``; everyone pauses only for a 429 that names no chat
        or a burst across many chats (``bot/delivery/pacing.py``)."""
        mono = self.clock.monotonic()
        pacer = self.pacer
        if pause_all > 0:
            pacer.throttled(None, pause_all, mono)
        pause = pacer.throttled(row.chat_id, seconds, mono, started) or pause_all
        if pause > 0:
            logger.info("chat %s: 429, retry after %.0f s (a burst across chats: all sends "
                        "pause %.1f s)", row.chat_id, seconds, pause)
        else:
            logger.info("chat %s: 429, retry after %.0f s (that chat only)", row.chat_id, seconds)
        return self._retry(row, seconds, f"429 Too Many Requests: retry after {seconds:g} s",
                           count_attempt=False, tally="throttled")

    def _migrate(self, row: DueDelivery, new_chat_id: int) -> _Done:
        now = self.clock.now()
        logger.warning("chat %s became supergroup %s: moving settings and pending pushes",
                       row.chat_id, new_chat_id)

        async def op(session: AsyncSession) -> None:
            await ChatRepository(session).migrate(row.chat_id, new_chat_id, now=now)

        return _Done(row.id, slow=op, tallies=("chats_migrated",), at=now)

    def _deactivate(self, row: DueDelivery, reason: str) -> _Done:
        self.stats.last_error = reason
        now = self.clock.now()
        logger.warning("chat %s is unreachable (%s): inactive, pending pushes cancelled",
                       row.chat_id, reason)

        async def op(session: AsyncSession) -> None:
            await deactivate_chat(session, row.chat_id, reason, now=now)

        return _Done(row.id, slow=op, tallies=("chats_deactivated",))

    def _fail(self, row: DueDelivery, reason: str) -> _Done:
        self.stats.last_error = reason
        logger.error("delivery %s (%s %s) to chat %s failed: %s",
                     row.id, row.kind, row.ref, row.chat_id, reason)
        return _Done(row.id, Failed(row.id, reason, self.clock.now()), tallies=("failed",))

    def _retry(
        self,
        row: DueDelivery,
        delay: float,
        error: str,
        *,
        count_attempt: bool,
        tally: str,
        plain_text: bool | None = None,
    ) -> _Done:
        now = self.clock.now()
        at = now + timedelta(seconds=delay)
        outcome = RetryLater(row.id, at=at, now=now, error=error,
                             add_attempts=1 if count_attempt else 0, plain_text=plain_text)
        return _Done(row.id, outcome, tallies=(tally,), at=at)

    def _release(self, row: DueDelivery) -> _Done:
        """Give a claimed, never-sent row back (stopping before its turn)."""
        now = self.clock.now()
        return _Done(row.id, RetryLater(row.id, at=now, now=now), at=now)

    async def _release_stale_claims(self, *, first: bool = False) -> None:
        """Claims left by a process that died mid-send: resend them (their part may repeat).

        With the instance lock held, every claim found at start is such a claim; otherwise (and
        after start) only claims older than the lease are taken to be.
        """
        now = self.clock.now()
        lease = timedelta(seconds=self.limits.claim_lease)
        older_than = None if first and self.release_claims_on_start else now - lease
        exclude = list(self._claimed)

        async def release(session: AsyncSession) -> tuple[list[ReleasedClaim], datetime | None]:
            outbox = Outbox(session)
            released = await outbox.release_stale_claims(
                older_than=older_than, now=now, exclude=exclude
            )
            return released, await outbox.oldest_claim_at()

        # Through Database.write like every other write: a CLI ingest's batch holding SQLite's
        # lock is waited out instead of costing the loop a traceback and a back-off.
        released, oldest = await self.db.write(release)
        for claim in released:
            logger.warning(
                "delivery %s (%s %s) to chat %s was in flight at a crash (part %s): resending; "
                "that part may arrive twice", claim.id, claim.kind, claim.ref, claim.chat_id,
                claim.part,
            )
        self.stats.claims_released += len(released)
        if released:
            self._due_at(self.clock.monotonic())
        mono = self.clock.monotonic()
        if oldest is None:
            self._next_claim_check = mono + self.limits.claim_lease
        else:
            due_in = (oldest + lease - now).total_seconds()
            self._next_claim_check = mono + max(0.0, min(due_in, self.limits.claim_lease))


class DeliveryService:
    """The sender as an ``AppService`` of the Telegram Application (``bot/app/application.py``).

    It sends through its own ``Bot`` (same token and server as the Application's) with a request
    backend sized for ``max_in_flight`` and cheap on CPU (``bot/delivery/transport.py``),
    so a fan-out never competes with handler replies for connections.
    """

    def __init__(
        self,
        db: Database,
        token: str,
        *,
        api_root: str = "https://api.telegram.org",
        limits: DeliveryLimits | None = None,
        queue: DeliveryQueue | None = None,
        request: BaseRequest | None = None,
        window: SendWindow | None = None,
    ) -> None:
        """``request``: the transport to send through (``newsbrief chat`` passes its in-process
        one); by default one sized for ``max_in_flight``. ``window``: the messages per second the
        pushes share with the replies."""
        self.db = db
        self.token = token
        self.api_root = api_root.rstrip("/")
        self.limits = limits or DeliveryLimits()
        self.queue = queue or DeliveryQueue(db)
        self.request = request
        self.window = window
        self.sender: DeliverySender | None = None
        self.fence: Fence | None = None  # the instance lock's generation (``newsbrief run``)
        self.on_fenced: Callable[[], None] | None = None

    async def start(self, application: object = None) -> None:
        request = self.request or bot_api_request(self.limits.max_in_flight + 4)
        bot = Bot(self.token, base_url=f"{self.api_root}/bot", request=request)
        await bot.initialize()
        # ``newsbrief run`` holds the single-instance lock before it starts its services, so any
        # claim in the outbox now was left by a process that died: resend it at once.
        self.sender = DeliverySender(self.db, bot, queue=self.queue, limits=self.limits,
                                     release_claims_on_start=True, fence=self.fence,
                                     on_fenced=self.on_fenced, window=self.window)
        await self.sender.start()

    def halt(self) -> None:
        """No send starts from now on (the instance lock was lost); stop() then cleans up."""
        if self.sender is not None:
            self.sender.halt()

    async def stop(self, application: object = None) -> None:
        if self.sender is not None:
            await self.sender.stop()
            await self.sender.bot.shutdown()
            self.sender = None
