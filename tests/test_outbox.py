"""Outbox and chat repositories on both backends (SQLite and PostgreSQL via the `db` fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage.chats import ChatRepository
from storage.database import Database
from storage.models import Delivery
from storage.outbox import (
    CANCELLED,
    CLAIMED,
    FAILED,
    PENDING,
    SENT,
    Claimed,
    Failed,
    NewDelivery,
    Outbox,
    Outcome,
    RetryLater,
    SenderOutbox,
    part_sent_outcome,
)
from tests.conftest import deliveries_for_chat

NOW = datetime(2026, 7, 31, 0, 0, tzinfo=UTC)


async def transact(
    db: Database, outcomes: list[Outcome], *, now: datetime, claim: int = 0,
    busy_chats: tuple[int, ...] = (),
) -> Claimed:
    """One sender transaction on a SenderOutbox of its own, as production records and claims."""
    store = SenderOutbox(db)
    try:
        return await store.transact(outcomes, now=now, claim=claim, busy_chats=busy_chats)
    finally:
        await store.close()


def stored_part(text: str) -> dict[str, object]:
    """A part as the renderer stores it (``MessagePart.to_outbox``)."""
    return {"text": text, "parse_mode": "HTML", "reply_markup": None,
            "disable_notification": False}

def digest(chat_id: int, ref: str = "2026-07-31", parts: int = 1) -> NewDelivery:
    return NewDelivery(
        chat_id, "digest", ref, [stored_part(f"<b>part {i}</b>") for i in range(parts)]
    )


def alert(chat_id: int, ref: str = "event-1") -> NewDelivery:
    return NewDelivery(chat_id, "alert", ref, [stored_part("台风")])


async def test_enqueueing_the_same_digest_twice_sends_one(db: Database) -> None:
    async with db.session() as s:
        assert await Outbox(s).enqueue_many([digest(1)], now=NOW) == 1
    async with db.session() as s:
        assert await Outbox(s).enqueue_many([digest(1)], now=NOW) == 0
        assert await Outbox(s).enqueue_many([digest(1), digest(2)], now=NOW) == 1
        rows = await deliveries_for_chat(s, 1)
    assert len(rows) == 1


async def test_large_fan_out_enqueues_in_one_call(db: Database) -> None:
    async with db.session() as s:
        added = await Outbox(s).enqueue_many([digest(i) for i in range(1, 1201)], now=NOW)
    assert added == 1200
    async with db.session() as s:
        assert await Outbox(s).counts() == {"digest": {PENDING: 1200}}


async def test_alerts_come_before_digests_then_oldest_first(db: Database) -> None:
    async with db.session() as s:
        box = Outbox(s)
        await box.enqueue_many([digest(1)], now=NOW)
        await box.enqueue_many([digest(2)], now=NOW + timedelta(seconds=1))
        await box.enqueue_many([alert(3)], now=NOW + timedelta(seconds=2))
        await box.enqueue_many([digest(4)], now=NOW + timedelta(hours=1))  # not due yet
    due = (await transact(db, [], now=NOW + timedelta(seconds=5), claim=10)).rows
    assert [(d.chat_id, d.kind) for d in due] == [(3, "alert"), (1, "digest"), (2, "digest")]


async def test_parts_are_recorded_one_by_one_and_continuations_go_first(db: Database) -> None:
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1, parts=2)], now=NOW)
        await Outbox(s).enqueue_many([digest(2)], now=NOW)
    row = (await transact(db, [], now=NOW, claim=1)).rows[0]
    sent = part_sent_outcome(row, 501, now=NOW, next_part_at=NOW)
    assert sent.done is False
    due = (await transact(db, [sent], now=NOW, claim=10)).rows
    assert [(d.chat_id, d.next_part) for d in due] == [(1, 1), (2, 0)]
    await transact(db, [part_sent_outcome(due[0], 502, now=NOW, next_part_at=NOW)], now=NOW)
    async with db.session() as s:
        stored = await s.get(Delivery, row.id)
    assert stored is not None
    assert (stored.status, stored.sent_message_ids) == (SENT, [501, 502])


async def test_claimed_rows_are_not_due_and_stale_claims_are_released(db: Database) -> None:
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1, parts=3)], now=NOW)
    row = (await transact(db, [], now=NOW, claim=1)).rows[0]
    sent = part_sent_outcome(row, 7, now=NOW, next_part_at=NOW)
    row = (await transact(db, [sent], now=NOW, claim=1)).rows[0]  # part 1 now in flight
    assert (row.next_part, row.claim_part) == (1, 1)
    assert (await transact(db, [], now=NOW, claim=10)).rows == []
    async with db.session() as s:
        assert await Outbox(s).release_stale_claims(older_than=NOW - timedelta(1), now=NOW) == []
        released = await Outbox(s).release_stale_claims(older_than=NOW, now=NOW)
    assert [(r.chat_id, r.part) for r in released] == [(1, 1)]
    (again,) = (await transact(db, [], now=NOW, claim=10)).rows
    assert (again.next_part, again.sent_message_ids) == (1, (7,))


async def test_retry_later_counts_attempts_and_fail_keeps_the_reason(db: Database) -> None:
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1)], now=NOW)
    row = (await transact(db, [], now=NOW, claim=1)).rows[0]
    retry = RetryLater(row.id, at=NOW + timedelta(seconds=30), now=NOW, error="timed out",
                       add_attempts=1)
    assert (await transact(db, [retry], now=NOW, claim=1)).rows == []
    async with db.session() as s:
        assert await Outbox(s).next_due_at() == NOW + timedelta(seconds=30)
    await transact(db, [Failed(row.id, "gave up after 2 attempts: timed out", now=NOW)], now=NOW)
    async with db.session() as s:
        stored = await s.get(Delivery, row.id)
        last = await Outbox(s).last_error()
    assert stored is not None and last is not None
    assert (stored.status, stored.attempts) == (FAILED, 2)
    assert last.last_error == "gave up after 2 attempts: timed out"


async def test_blocked_chat_rows_are_cancelled_and_chat_inactive(db: Database) -> None:
    async with db.session() as s:
        await ChatRepository(s).upsert_seen(1, now=NOW)
        await Outbox(s).enqueue_many([digest(1)], now=NOW)
        await Outbox(s).enqueue_many([alert(1)], now=NOW)
        await Outbox(s).enqueue_many([digest(2)], now=NOW)
    async with db.session() as s:
        await ChatRepository(s).set_inactive(1, "Forbidden: bot was blocked by the user", now=NOW)
        assert await Outbox(s).cancel_chat(1, "blocked", now=NOW) == 2
    async with db.session() as s:
        chat = await ChatRepository(s).get(1)
        statuses = {r.status for r in await deliveries_for_chat(s, 1)}
        assert await ChatRepository(s).count_inactive() == 1
        counts = await Outbox(s).counts()
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"
    assert statuses == {CANCELLED}
    assert counts == {"digest": {CANCELLED: 1, PENDING: 1}, "alert": {CANCELLED: 1}}


async def test_seen_chat_becomes_active_again(db: Database) -> None:
    async with db.session() as s:
        await ChatRepository(s).set_inactive(5, "chat not found", now=NOW)
    async with db.session() as s:
        chat = await ChatRepository(s).upsert_seen(5, now=NOW, type="private", language="zh-hant")
    assert chat.active and chat.inactive_reason is None and chat.language == "zh-hant"


async def test_migrated_group_keeps_settings_and_pending_rows(db: Database) -> None:
    old, new = -4001, -1001234567890
    async with db.session() as s:
        chats = ChatRepository(s)
        await chats.upsert_seen(old, now=NOW, type="group", title="街道群")
        await chats.update_settings(
            old, now=NOW, subscribed=True, digest_time="07:30", sections=["经济"],
            last_digest_date=date(2026, 7, 30),
        )
        await Outbox(s).enqueue_many([digest(old)], now=NOW)
        await Outbox(s).enqueue_many([alert(old)], now=NOW)
    async with db.session() as s:
        await ChatRepository(s).migrate(old, new, now=NOW)
    async with db.session() as s:
        chats = ChatRepository(s)
        moved = await chats.get(new)
        left = await chats.get(old)
        subscribers = [c.id for c in await chats.active_subscribers()]
        rows = await deliveries_for_chat(s, new)
    assert moved is not None and left is not None
    assert (moved.type, moved.title, moved.digest_time, moved.sections) == (
        "supergroup", "街道群", "07:30", ["经济"]
    )
    assert moved.last_digest_date == date(2026, 7, 30)
    assert not left.active and left.inactive_reason == f"migrated to {new}"
    assert subscribers == [new]
    assert sorted((r.kind, r.status) for r in rows) == [("alert", PENDING), ("digest", PENDING)]


async def test_migration_does_not_duplicate_a_push_already_queued_for_the_new_id(
    db: Database,
) -> None:
    old, new = -4002, -1009999999999
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(old)], now=NOW)
        await Outbox(s).enqueue_many([digest(new)], now=NOW)
    async with db.session() as s:
        await ChatRepository(s).migrate(old, new, now=NOW)
    async with db.session() as s:
        assert len(await deliveries_for_chat(s, new)) == 1
        assert [r.status for r in await deliveries_for_chat(s, old)] == [CANCELLED]


async def test_big_chat_ids_round_trip(db: Database) -> None:
    async with db.session() as s:
        await ChatRepository(s).upsert_seen(-1002000000001, now=NOW, type="supergroup")
        await Outbox(s).enqueue_many([digest(-1002000000001)], now=NOW)
    (row,) = (await transact(db, [], now=NOW, claim=5)).rows
    async with db.session() as s:
        stored = await s.get(Delivery, row.id)
    assert row.chat_id == -1002000000001
    assert stored is not None and (stored.status, stored.claim_part) == (CLAIMED, 0)


async def test_sender_transaction_records_outcomes_then_claims_in_send_order(db: Database) -> None:
    from storage.outbox import PartSent

    async with db.session() as s:
        box = Outbox(s)
        await box.enqueue_many([digest(1), digest(2, parts=2), digest(3), digest(4)], now=NOW)
        await box.enqueue_many([alert(5)], now=NOW + timedelta(seconds=1))
    store = SenderOutbox(db)
    try:
        first = await store.transact([], now=NOW + timedelta(seconds=2), claim=3, busy_chats=[1])
        assert [(r.chat_id, r.kind, r.claim_part) for r in first.rows] == [
            (5, "alert", 0), (2, "digest", 0), (3, "digest", 0)  # alert first; chat 1 is busy
        ]
        assert first.next_due_at is None  # the limit was filled
        alert_row, two, three = first.rows
        later = NOW + timedelta(seconds=30)
        outcomes = [
            PartSent(alert_row.id, (11,), done=True, next_part_at=NOW, priority=100, now=NOW),
            PartSent(two.id, (12,), done=False, next_part_at=later, priority=11, now=NOW),
            RetryLater(three.id, at=later, now=NOW, error="timed out", add_attempts=1),
        ]
        second = await store.transact(outcomes, now=NOW + timedelta(seconds=2), claim=5)
        assert [r.chat_id for r in second.rows] == [1, 4]
        assert second.next_due_at == later  # chats 2 and 3 come back in 30 s
    finally:
        await store.close()
    async with db.session() as s:
        counts = await Outbox(s).counts()
        (stored_two,) = await deliveries_for_chat(s, 2)
        (stored_three,) = await deliveries_for_chat(s, 3)
    assert counts == {"alert": {SENT: 1}, "digest": {CLAIMED: 2, PENDING: 2}}
    assert (stored_two.sent_message_ids, stored_two.priority) == ([12], 11)
    assert (stored_three.attempts, stored_three.last_error) == (1, "timed out")


async def test_an_outcome_never_reopens_a_cancelled_push(db: Database) -> None:
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1), digest(2)], now=NOW)
    store = SenderOutbox(db)
    try:
        one, two = (await store.transact([], now=NOW, claim=2)).rows
        async with db.session() as s:  # the readers blocked the bot meanwhile
            await Outbox(s).cancel_chat(1, "blocked", now=NOW)
            await Outbox(s).cancel_chat(2, "blocked", now=NOW)
        await store.transact([RetryLater(one.id, at=NOW, now=NOW),
                              Failed(two.id, "BadRequest: x", now=NOW)], now=NOW)
    finally:
        await store.close()
    async with db.session() as s:
        assert await Outbox(s).counts() == {"digest": {CANCELLED: 2}}


async def test_a_released_or_retried_row_keeps_its_place_in_the_queue(db: Database) -> None:
    """Issue 18 point 14: rows released at a restart (or retried after a 429) go out in their
    original enqueue order, not behind everything still waiting."""
    async with db.session() as s:
        box = Outbox(s)
        await box.enqueue_many([alert(chat) for chat in (1, 2, 3)], now=NOW)
    first, second = (await transact(db, [], now=NOW, claim=2)).rows
    assert (first.chat_id, second.chat_id) == (1, 2)
    # chat 1's row was in flight at a crash; chat 2's was answered 429 (retry in 5 s)
    await transact(db, [RetryLater(second.id, at=NOW + timedelta(seconds=5), now=NOW)], now=NOW)
    async with db.session() as s:  # more pushes queued while those waited
        await Outbox(s).enqueue_many([alert(chat) for chat in (4, 5)], now=NOW)
    restart = NOW + timedelta(seconds=10)
    async with db.session() as s:
        await Outbox(s).release_stale_claims(older_than=None, now=restart)
    store = SenderOutbox(db)
    try:
        claimed = await store.transact([], now=restart, claim=2)
        rest = await store.transact([], now=restart, claim=10)
    finally:
        await store.close()
    due = [*claimed.rows, *rest.rows]
    assert [d.chat_id for d in due] == [1, 2, 3, 4, 5]
    assert [r.chat_id for r in claimed.rows] == [1, 2]


async def test_a_fenced_sender_that_lost_its_lock_can_neither_claim_nor_finish(
    db: Database,
) -> None:
    """Fencing (issue 18): once another bot took the lock (a newer generation), the old holder's
    transaction is refused and its claimed rows cannot be finished by it."""
    import pytest

    from storage.instance_lock import FencedOutError, InstanceLock
    from storage.outbox import PartSent

    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1), digest(2)], now=NOW)
    lock = await InstanceLock.acquire(db, "fence-test", fenced=True)
    assert lock.fence is not None
    old = SenderOutbox(db, lock.fence)
    try:
        (row,) = (await old.transact([], now=NOW, claim=1)).rows
        await lock.release()  # the lock is lost (a cut connection) and another bot takes it
        newer = await InstanceLock.acquire(db, "fence-test", fenced=True)
        assert newer.fence is not None and newer.fence.generation == lock.fence.generation + 1
        sent = PartSent(row.id, (9,), done=True, next_part_at=NOW, priority=10, now=NOW)
        with pytest.raises(FencedOutError, match="another newsbrief bot took"):
            await old.transact([sent], now=NOW, claim=1)
        async with db.session() as s:
            # the new holder released the old claims at its start...
            await Outbox(s).release_stale_claims(older_than=None, now=NOW)
        # ...and a stale outcome, even one that slipped past the generation check, changes nothing
        from storage.outbox import apply_outcomes

        async with db.session() as s:
            await apply_outcomes(s, [sent], token=lock.fence.generation)
        async with db.session() as s:
            assert await Outbox(s).counts() == {"digest": {PENDING: 2}}
        current = SenderOutbox(db, newer.fence)
        try:
            claimed = await current.transact([], now=NOW, claim=2)
            assert sorted(r.chat_id for r in claimed.rows) == [1, 2]
        finally:
            await current.close()
        await newer.release()
    finally:
        await old.close()
        await lock.release()


async def test_a_takeover_between_the_fence_check_and_the_claim_waits_for_the_transaction(
    db: Database,
) -> None:
    """SQLite: the fence check and the claim are one transaction. Another bot's takeover tried
    right after the check has to wait for the claim's commit; before, pysqlite ran the check
    outside the transaction, the takeover slipped in, and the claim took nothing while rows were
    due, without a FencedOutError: the fenced sender went idle instead of stopping."""
    import sqlite3

    import pytest
    from sqlalchemy import event

    from storage.instance_lock import InstanceLock
    from storage.outbox import sqlite_sync_engine

    if db.backend != "sqlite":
        pytest.skip("PostgreSQL runs the check and the claim in one transaction by design")
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1), digest(2)], now=NOW)
    lock = await InstanceLock.acquire(db, "fence-race", fenced=True)
    assert lock.fence is not None
    store = SenderOutbox(db, lock.fence)
    store._sync_engine = sqlite_sync_engine(db)
    takeovers: list[str] = []

    def take_over_after_the_check(conn, cursor, statement, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if takeovers or "FROM instance_fences" not in statement:
            return
        other = sqlite3.connect(str(db.engine.url.database), timeout=0.2)
        try:
            other.execute("UPDATE instance_fences SET generation = generation + 1"
                          " WHERE name = 'fence-race'")
            other.commit()
            takeovers.append("committed")
        except sqlite3.OperationalError:
            takeovers.append("waited")
        finally:
            other.close()

    event.listen(store._sync_engine, "after_cursor_execute", take_over_after_the_check)
    try:
        claimed = await store.transact([], now=NOW, claim=2)
    finally:
        await store.close()
        await lock.release()
    assert takeovers == ["waited"]
    assert sorted(r.chat_id for r in claimed.rows) == [1, 2]
