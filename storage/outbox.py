"""The delivery outbox: one row per (chat, kind, ref), drained by the sender (``bot/delivery``).

Delivery state lives here, keyed uniquely, so a restart neither loses nor repeats a push: enqueueing
the same digest or alert twice is a no-op, each part's message id is recorded as it is sent, and a
row is *claimed* (with the part in flight) before the HTTP call and finished after it.

Statuses: ``pending`` (waiting for ``next_attempt_at``), ``claimed`` (a part is in flight),
``sent``, ``failed`` (gave up; ``last_error`` says why), ``cancelled`` (the chat went away).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Integer,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.database import (
    SQLITE_BEGIN,
    SQLITE_BUSY_TIMEOUT_MS,
    Database,
    begin_sqlite_transaction,
    json_text,
)
from storage.database import _on_sqlite_connect as _sqlite_pragmas  # the same per-connection set-up
from storage.instance_lock import Fence, FencedOutError
from storage.models import Delivery, InstanceFence

PENDING, CLAIMED, SENT, FAILED, CANCELLED = "pending", "claimed", "sent", "failed", "cancelled"
OPEN_STATUSES = (PENDING, CLAIMED)
STATUSES = (PENDING, CLAIMED, SENT, FAILED, CANCELLED)

# Higher goes first. Spaced by ten so a message already begun can be nudged ahead of new ones of
# the same kind (see CONTINUATION_BOOST) without overtaking a more urgent kind.
PRIORITY_BY_KIND = {"alert": 100, "notice": 50, "reply": 50, "digest": 10}
DEFAULT_PRIORITY = 20
CONTINUATION_BOOST = 1
ENQUEUE_CHUNK = 500
# Many-row updates go through the Core table: the ORM would read a parameter list as a bulk
# update by primary key.
_TABLE = Delivery.__table__
_T = _TABLE.c

# The sender's statements, built once (their compiled form is cached by SQLAlchemy). Outcomes of
# many sends go in one executemany per kind of outcome; see apply_outcomes().
# Guarded by the open statuses so a push cancelled meanwhile (the chat blocked us) stays cancelled.
# (Spelled with OR: an IN list is expanded per execution, which executemany cannot do.)
_IS_OPEN = or_(_T.status == PENDING, _T.status == CLAIMED)
# A fenced sender finishes only rows it claimed itself (its generation on the row): once another
# bot has taken the lock and released them, a stale holder's outcomes change nothing.
_OURS = _T.claim_token == bindparam("f_token", type_=BigInteger)


def _outcome_updates(fenced: bool) -> tuple[Any, Any, Any, Any]:
    """(sent, sent with more to come, retry, fail) updates; ``fenced`` adds the token guard."""
    guard = (_OURS,) if fenced else ()
    sent_done = (
        update(_TABLE)
        .where(_T.id == bindparam("f_id"), *guard)
        .values(status=SENT, sent_message_ids=bindparam("f_ids"), claimed_at=None,
                claim_part=None, claim_token=None, attempts=0, updated_at=bindparam("f_now"),
                finished_at=bindparam("f_now"))
    )
    sent_more = (
        update(_TABLE)
        .where(_T.id == bindparam("f_id"), _IS_OPEN, *guard)
        .values(status=PENDING, sent_message_ids=bindparam("f_ids"),
                next_attempt_at=bindparam("f_at"), priority=bindparam("f_priority"),
                claimed_at=None, claim_part=None, claim_token=None, attempts=0,
                updated_at=bindparam("f_now"))
    )
    retry = (
        update(_TABLE)
        .where(_T.id == bindparam("f_id"), _IS_OPEN, *guard)
        .values(status=PENDING, next_attempt_at=bindparam("f_at"),
                attempts=_T.attempts + bindparam("f_add", type_=Integer),
                last_error=func.coalesce(bindparam("f_error", type_=Text), _T.last_error),
                plain_text=func.coalesce(bindparam("f_plain", type_=Boolean), _T.plain_text),
                claimed_at=None, claim_part=None, claim_token=None,
                updated_at=bindparam("f_now"))
    )
    fail = (
        update(_TABLE)
        .where(_T.id == bindparam("f_id"), _IS_OPEN, *guard)
        .values(status=FAILED, last_error=bindparam("f_error"), claimed_at=None,
                claim_part=None, claim_token=None, attempts=_T.attempts + 1,
                updated_at=bindparam("f_now"), finished_at=bindparam("f_now"))
    )
    return sent_done, sent_more, retry, fail


_UNFENCED_OUTCOMES = _outcome_updates(fenced=False)
_FENCED_OUTCOMES = _outcome_updates(fenced=True)
_CLAIM_RETURNING = (
    _T.id, _T.chat_id, _T.kind, _T.ref, _T.priority, _T.parts, _T.sent_message_ids,
    _T.plain_text, _T.attempts, _T.next_attempt_at,
)
_FENCES = InstanceFence.__table__


def current_generation(name: str) -> Any:
    """The lock's current fencing generation, as a scalar subquery."""
    return (select(_FENCES.c.generation).where(_FENCES.c.name == name)
            .scalar_subquery())


def _claim_statement(fence: str | None) -> Any:
    """Fetch and claim in one statement (``UPDATE … RETURNING``, SQLite ≥ 3.35 and PostgreSQL):
    the due rows in send order, skipping chats the sender already has in flight.

    Send order is priority, then enqueue order (``id``), not the due time: a row released after a
    crash or retried after a 429 keeps its place in the queue. With ``fence`` (a lock name) the
    claim takes nothing unless the sender's generation (``c_token``) is still the lock's current
    one — a bot that lost its lock to another cannot claim.
    """
    due = (
        select(_T.id)
        .where(_T.status == PENDING, _T.next_attempt_at <= bindparam("c_now"),
               _T.chat_id.not_in(bindparam("c_busy", expanding=True)))
        .order_by(_T.priority.desc(), _T.id)
        .limit(bindparam("c_limit", type_=Integer))
        .scalar_subquery()
    )
    guard = () if fence is None else (
        current_generation(fence) == bindparam("c_token", type_=BigInteger),)
    # The outer guard is an expression, not the bare column: SQLite would otherwise walk every
    # pending row through the status index (O(queue) per claim) instead of the claimed ids.
    return (
        update(_TABLE)
        .where(_T.id.in_(due), _T.status.concat("") == PENDING, *guard)
        .values(status=CLAIMED, claimed_at=bindparam("c_now"), updated_at=bindparam("c_now"),
                claim_part=func.json_array_length(_T.sent_message_ids),
                claim_token=bindparam("c_token", type_=BigInteger))
        .returning(*_CLAIM_RETURNING)
    )


_CLAIM_DUE = _claim_statement(None)
_NEXT_DUE = select(func.min(_T.next_attempt_at)).where(_T.status == PENDING)


def _outcome_statements(
    outcomes: Sequence[Outcome], token: int | None = None
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(statement, parameter rows) per kind of outcome present: one executemany each; with a
    fencing ``token`` only rows claimed with that token are changed."""
    done: list[dict[str, Any]] = []
    more: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for outcome in outcomes:
        if isinstance(outcome, PartSent):
            params = {"f_id": outcome.row_id, "f_ids": list(outcome.sent_message_ids),
                      "f_now": outcome.now}
            if outcome.done:
                done.append(params)
            else:
                params.update(f_at=outcome.next_part_at, f_priority=outcome.priority)
                more.append(params)
        elif isinstance(outcome, RetryLater):
            retry.append({"f_id": outcome.row_id, "f_at": outcome.at, "f_now": outcome.now,
                          "f_add": outcome.add_attempts, "f_error": outcome.error,
                          "f_plain": outcome.plain_text})
        else:
            failed.append({"f_id": outcome.row_id, "f_error": outcome.error, "f_now": outcome.now})
    if token is not None:
        for params in (*done, *more, *retry, *failed):
            params["f_token"] = token
    sent_done, sent_more, retry_stmt, fail = (
        _UNFENCED_OUTCOMES if token is None else _FENCED_OUTCOMES)
    return [(statement, rows) for statement, rows in
            ((sent_done, done), (sent_more, more), (retry_stmt, retry), (fail, failed)) if rows]


async def apply_outcomes(
    executor: _Executor, outcomes: Sequence[Outcome], *, token: int | None = None
) -> None:
    """Record many sends' outcomes: one executemany per kind of outcome (callers own the
    transaction). Why: one statement per row cost more CPU than the HTTP call itself. With a
    fencing ``token`` only rows claimed with it change."""
    for statement, rows in _outcome_statements(outcomes, token):
        await executor.execute(statement, rows)


def _claim_params(
    now: datetime, limit: int, busy_chats: Sequence[int], token: int | None
) -> dict[str, Any]:
    return {"c_now": now, "c_limit": limit, "c_busy": list(busy_chats), "c_token": token}


def _claimed_rows(rows: Sequence[Any]) -> list[DueDelivery]:
    # RETURNING does not keep the subquery's order: restore the send order.
    ordered = sorted(rows, key=lambda r: (-r.priority, r.id))
    return [_due_from_row(row, claim_part=len(row.sent_message_ids or ())) for row in ordered]


@dataclass(frozen=True)
class Claimed:
    """What one sender transaction claimed, and when the next pending row is due if that was
    not all (None: nothing pending; ``rows`` filling the limit leaves it None too)."""

    rows: list[DueDelivery]
    next_due_at: datetime | None


def sqlite_sync_engine(db: Database) -> Engine:
    """A plain (pysqlite) engine on ``db``'s SQLite file, set up like its async one."""
    engine = create_engine(
        db.url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        json_serializer=json_text,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", begin_sqlite_transaction)
    # Every sender transaction writes (outcomes, claims): the write lock is taken at BEGIN, so the
    # fence check, the outcomes and the claim see one state of the database.
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


class SenderOutbox:
    """The sender's transactions: record outcomes, then claim due rows, in one commit.

    Why not an ORM session (:class:`Outbox`): a session per write and a read before each claim
    cost about 1.5 ms of CPU per message on aiosqlite. Here the statements are Core, built once;
    the claim is also the fetch (``UPDATE … RETURNING``); outcomes go in one executemany per
    kind. On SQLite the whole transaction runs as one call on a dedicated thread with a plain
    ``sqlite3`` connection (aiosqlite would hand every cursor call to its thread and back, ~8
    hand-offs per transaction); on PostgreSQL it runs on one held asyncpg connection.
    """

    def __init__(self, db: Database, fence: Fence | None = None) -> None:
        """``fence``: the bot's lock generation (``storage/instance_lock.py``); each transaction
        then checks it is still current (else :class:`FencedOutError`, nothing written), claims
        only while it is, stamps claims with it and finishes only rows stamped with it."""
        self.db = db
        self.fence = fence
        self._token = None if fence is None else fence.generation
        self._claim_due = _CLAIM_DUE if fence is None else _claim_statement(fence.name)
        self._generation = None if fence is None else select(_FENCES.c.generation).where(
            _FENCES.c.name == fence.name)
        self._connection: AsyncConnection | None = None
        self._sync_engine: Engine | None = None
        self._sync_connection: Connection | None = None
        self._thread: ThreadPoolExecutor | None = None

    async def transact(
        self,
        outcomes: Sequence[Outcome],
        *,
        now: datetime,
        claim: int = 0,
        busy_chats: Sequence[int] = (),
    ) -> Claimed:
        """Record ``outcomes``, then claim up to ``claim`` due rows of chats not in
        ``busy_chats``; one transaction. On any error nothing was recorded or claimed."""
        if self.db.backend == "sqlite":
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="outbox-sender")
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._thread, self._transact_sync, list(outcomes), now, claim, list(busy_chats)
            )
        if self._connection is None:
            self._connection = await self.db.engine.connect()
        try:
            async with self._connection.begin():
                if self._generation is not None:
                    self._check_fence(
                        (await self._connection.execute(self._generation)).scalar())
                for statement, rows in _outcome_statements(outcomes, self._token):
                    await self._connection.execute(statement, rows)
                if claim <= 0:
                    return Claimed([], None)
                result = await self._connection.execute(
                    self._claim_due, _claim_params(now, claim, busy_chats, self._token)
                )
                claimed = _claimed_rows(result.all())
                next_due = None
                if len(claimed) < claim:
                    next_due = (await self._connection.execute(_NEXT_DUE)).scalar()
                return Claimed(claimed, next_due)
        except BaseException:
            await self._close_async()
            raise

    def _transact_sync(
        self, outcomes: list[Outcome], now: datetime, claim: int, busy_chats: list[int]
    ) -> Claimed:
        """The SQLite transaction, on the sender's own thread and connection."""
        if self._sync_connection is None:
            if self._sync_engine is None:
                self._sync_engine = sqlite_sync_engine(self.db)
            self._sync_connection = self._sync_engine.connect()
        connection = self._sync_connection
        try:
            with connection.begin():
                if self._generation is not None:
                    self._check_fence(connection.execute(self._generation).scalar())
                for statement, rows in _outcome_statements(outcomes, self._token):
                    connection.execute(statement, rows)
                if claim <= 0:
                    return Claimed([], None)
                claimed = _claimed_rows(connection.execute(
                    self._claim_due, _claim_params(now, claim, busy_chats, self._token)).all())
                next_due = None
                if len(claimed) < claim:
                    next_due = connection.execute(_NEXT_DUE).scalar()
                return Claimed(claimed, next_due)
        except BaseException:
            self._close_sync()
            raise

    def _check_fence(self, current: int | None) -> None:
        """Raise (rolling the transaction back) when another bot took the lock since ours."""
        fence = self.fence
        if fence is not None and current != fence.generation:
            raise FencedOutError(
                f"another newsbrief bot took the {fence.name!r} lock (generation {current}, "
                f"ours {fence.generation}): this bot must not send any more"
            )

    def _close_sync(self) -> None:
        connection, self._sync_connection = self._sync_connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    async def _close_async(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """Close the connection (and the thread); the next transact() opens them again."""
        await self._close_async()
        thread, self._thread = self._thread, None
        if thread is not None:
            loop = asyncio.get_running_loop()
            with contextlib.suppress(Exception):
                await loop.run_in_executor(thread, self._close_sync)
            thread.shutdown(wait=False)
        engine, self._sync_engine = self._sync_engine, None
        if engine is not None:
            engine.dispose()


StoredPart = dict[str, Any]
"""One message of a push as the sender posts it: ``sendMessage`` parameters as Bot API JSON
(``text``, ``parse_mode``, ``reply_markup``, ``disable_notification``), written by the renderer."""


@dataclass(frozen=True)
class NewDelivery:
    """A push to enqueue: ``ref`` names what is pushed (a digest's date, an alert event's id)."""

    chat_id: int
    kind: str
    ref: str
    parts: Sequence[StoredPart]
    priority: int | None = None


@dataclass(frozen=True)
class DueDelivery:
    """A row the sender may work on: the next part to send is ``parts[len(sent_message_ids)]``."""

    id: int
    chat_id: int
    kind: str
    ref: str
    priority: int
    parts: tuple[StoredPart, ...]
    sent_message_ids: tuple[int, ...]
    plain_text: bool
    attempts: int
    claim_part: int | None = None

    @property
    def next_part(self) -> int:
        return len(self.sent_message_ids)


@dataclass(frozen=True)
class ReleasedClaim:
    """A claim left by a process that died: ``part`` may or may not have reached the chat."""

    id: int
    chat_id: int
    kind: str
    ref: str
    part: int | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class PartSent:
    """Telegram accepted a part: ``sent_message_ids`` now includes its id."""

    row_id: int
    sent_message_ids: tuple[int, ...]
    done: bool  # that was the last part
    next_part_at: datetime  # when the next part may go (ignored when done)
    priority: int  # the row's priority from now on
    now: datetime


@dataclass(frozen=True)
class RetryLater:
    """Back to pending until ``at``: a 429, a network error, the plain-text fallback, a row
    claimed but not sent (its chat must wait, or the sender is stopping)."""

    row_id: int
    at: datetime
    now: datetime
    error: str | None = None  # None keeps the previous last_error
    add_attempts: int = 0
    plain_text: bool | None = None  # None keeps the previous value


@dataclass(frozen=True)
class Failed:
    """Give up on the row; ``error`` says why."""

    row_id: int
    error: str
    now: datetime


Outcome = PartSent | RetryLater | Failed


class _Executor(Protocol):
    """An ``AsyncSession`` or an ``AsyncConnection``: both run Core statements the same way."""

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...


def priority_for(kind: str) -> int:
    return PRIORITY_BY_KIND.get(kind, DEFAULT_PRIORITY)


def _insert_for(session: AsyncSession) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` is spelled per dialect; both backends support it."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _due_from_row(row: Any, *, claim_part: int) -> DueDelivery:
    return DueDelivery(
        id=row.id,
        chat_id=row.chat_id,
        kind=row.kind,
        ref=row.ref,
        priority=row.priority,
        parts=tuple(row.parts),
        sent_message_ids=tuple(row.sent_message_ids or ()),
        plain_text=bool(row.plain_text),
        attempts=row.attempts,
        claim_part=claim_part,
    )


def part_sent_outcome(
    row: DueDelivery, message_id: int, *, now: datetime, next_part_at: datetime
) -> PartSent:
    """The outcome of Telegram accepting ``row``'s next part; a message already begun is nudged
    ahead of new ones of its kind (CONTINUATION_BOOST)."""
    sent = (*row.sent_message_ids, message_id)
    return PartSent(
        row.id, sent, done=len(sent) >= len(row.parts), next_part_at=next_part_at,
        priority=row.priority + CONTINUATION_BOOST if not row.sent_message_ids else row.priority,
        now=now,
    )


class Outbox:
    """Outbox rows in one session; callers own the transaction.

    Enqueueing, the writes for chats that went away or moved, the restart's release of claims,
    and what the status report reads. The sender claims rows and records its sends' outcomes
    through :class:`SenderOutbox` only: one claim path, the one production runs."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- enqueue -------------------------------------------------------------------------------

    async def enqueue_many(self, items: Sequence[NewDelivery], *, now: datetime) -> int:
        """Add many pushes (a fan-out) in few statements; returns how many were new."""
        insert = _insert_for(self.session)
        added = 0
        for start in range(0, len(items), ENQUEUE_CHUNK):
            chunk = items[start : start + ENQUEUE_CHUNK]
            values = [
                {
                    "chat_id": item.chat_id,
                    "kind": item.kind,
                    "ref": item.ref,
                    "priority": priority_for(item.kind) if item.priority is None
                    else item.priority,
                    "status": PENDING,
                    "parts": list(item.parts),
                    "sent_message_ids": [],
                    "plain_text": False,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in chunk
                if item.parts
            ]
            if not values:
                continue
            statement = (
                insert(Delivery)
                .values(values)
                .on_conflict_do_nothing(index_elements=["chat_id", "kind", "ref"])
                .returning(Delivery.id)
            )
            added += len((await self.session.execute(statement)).all())
        return added

    # --- reading -------------------------------------------------------------------------------

    async def find(self, chat_id: int, kind: str, ref: str) -> Delivery | None:
        return await self.session.scalar(
            select(Delivery).where(
                Delivery.chat_id == chat_id, Delivery.kind == kind, Delivery.ref == ref
            )
        )

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending row becomes due (None: nothing pending)."""
        return await self.session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(Delivery.status == PENDING)
        )

    async def oldest_claim_at(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(Delivery.claimed_at)).where(Delivery.status == CLAIMED)
        )

    # --- chats that went away or moved, and claims left by a dead process ------------------------

    async def cancel_chat(self, chat_id: int, reason: str, *, now: datetime) -> int:
        """Cancel every open row of a chat that can no longer receive messages."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.chat_id == chat_id, Delivery.status.in_(OPEN_STATUSES))
            .values(status=CANCELLED, last_error=reason, claimed_at=None, claim_part=None,
                    updated_at=now, finished_at=now),
            execution_options={"synchronize_session": False},
        )
        return int(result.rowcount or 0)

    async def move_chat(self, old_id: int, new_id: int, *, now: datetime) -> int:
        """Move a chat's open rows to its new id (group → supergroup), ready to send at once.

        A row whose (kind, ref) the new id already has is cancelled instead: the push is already
        queued there, and the unique key must hold.
        """
        taken = select(Delivery.kind, Delivery.ref).where(Delivery.chat_id == new_id)
        taken_pairs = {(kind, ref) for kind, ref in (await self.session.execute(taken)).all()}
        rows = (
            await self.session.execute(
                select(Delivery.id, Delivery.kind, Delivery.ref).where(
                    Delivery.chat_id == old_id, Delivery.status.in_(OPEN_STATUSES)
                )
            )
        ).all()
        moved = 0
        for row_id, kind, ref in rows:
            if (kind, ref) in taken_pairs:
                await self.session.execute(
                    update(Delivery)
                    .where(Delivery.id == row_id)
                    .values(status=CANCELLED, last_error=f"already queued for chat {new_id}",
                            claimed_at=None, claim_part=None, updated_at=now, finished_at=now),
                    execution_options={"synchronize_session": False},
                )
                continue
            await self.session.execute(
                update(Delivery)
                .where(Delivery.id == row_id)
                .values(chat_id=new_id, status=PENDING, next_attempt_at=now, claimed_at=None,
                        claim_part=None, claim_token=None, updated_at=now),
                execution_options={"synchronize_session": False},
            )
            moved += 1
        return moved

    async def release_stale_claims(
        self, *, older_than: datetime | None, now: datetime, exclude: Sequence[int] = ()
    ) -> list[ReleasedClaim]:
        """Return rows claimed before ``older_than`` (None: every claim) to pending: their process
        died mid-send.

        The part that was in flight is sent again (its message id was never recorded), so it may
        reach the chat twice; every other part is either recorded as sent or was never sent.
        """
        query = select(Delivery.id, Delivery.chat_id, Delivery.kind, Delivery.ref,
                       Delivery.claim_part, Delivery.claimed_at).where(
            Delivery.status == CLAIMED, Delivery.id.not_in(list(exclude))
        )
        if older_than is not None:
            query = query.where(Delivery.claimed_at <= older_than)
        stale = (await self.session.execute(query)).all()
        if not stale:
            return []
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_([row.id for row in stale]), Delivery.status == CLAIMED)
            .values(status=PENDING, next_attempt_at=now, claimed_at=None, claim_token=None,
                    updated_at=now,
                    last_error="released after a crash: the part in flight may repeat"),
            execution_options={"synchronize_session": False},
        )
        return [
            ReleasedClaim(row.id, row.chat_id, row.kind, row.ref, row.claim_part, row.claimed_at)
            for row in stale
        ]

    # --- observability -------------------------------------------------------------------------

    async def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {status: rows}} over the whole outbox."""
        rows = await self.session.execute(
            select(Delivery.kind, Delivery.status, func.count()).group_by(
                Delivery.kind, Delivery.status
            )
        )
        result: dict[str, dict[str, int]] = {}
        for kind, status, count in rows:
            result.setdefault(kind, {})[status] = int(count)
        return result

    async def finished_since(self, since: datetime) -> dict[str, int]:
        """{status: rows} of rows finished (sent, failed, cancelled) at or after ``since``."""
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.finished_at >= since)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows}

    async def last_error(self) -> Delivery | None:
        """The most recently updated row that carries an error."""
        return await self.session.scalar(
            select(Delivery)
            .where(Delivery.last_error.is_not(None))
            .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
            .limit(1)
        )
