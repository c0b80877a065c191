"""The delivery sender against the fake Bot API server: pacing, order, and every error-policy arm.

Each test runs on SQLite and PostgreSQL (the ``db`` fixture). Tests that involve Telegram's
``retry_after`` or network backoff drive time by hand (:class:`bot.clock.ManualClock`); the others
use the real clock with fast limits. Nothing sleeps to wait: waits are on events with timeouts.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from telegram import Bot, Update
from telegram.request import HTTPXRequest

from bot.clock import Clock, ManualClock, SystemClock
from bot.delivery.limits import DeliveryLimits
from bot.delivery.send_window import SendWindow
from bot.delivery.sender import (
    DeliveryQueue,
    DeliverySender,
)
from bot.delivery.transport import bot_api_request
from bot.render.i18n import Html
from bot.render.parts import MessagePart
from bot.subscriptions.chats import ChatService
from handlers.membership import my_chat_member
from storage.chats import ChatRepository
from storage.database import Database
from storage.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENT,
    Failed,
    NewDelivery,
    Outbox,
    SenderOutbox,
    part_sent_outcome,
)
from tests.conftest import deliveries_for_chat
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

START = datetime(2026, 7, 31, 0, 0, tzinfo=UTC)
FAST = DeliveryLimits(per_chat_interval=0.05, overall_per_second=200.0, claim_lease=30.0,
                      write_linger=0.0)
# Under a hand-driven clock nothing may wait on time except what the test is about.
INSTANT = DeliveryLimits(per_chat_interval=0.0, overall_per_second=math.inf, backoff_base=2.0,
                         network_max_attempts=3, claim_lease=30.0, write_linger=0.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(rate_limits=RateLimits(enabled=False))
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def make_bot(base_url: str, token: str, *, httpx: bool = False) -> Bot:
    """The sender's own request backend (JSON bodies over the keep-alive client), or PTB's."""
    request = HTTPXRequest(connection_pool_size=64) if httpx else bot_api_request(64)
    return Bot(token, base_url=base_url, request=request)


@pytest.fixture
async def tg_bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with make_bot(fake.base_url, fake.token) as bot:
        yield bot


class Harness:
    """A sender, its queue and its clock, stopped at the end of the test."""

    def __init__(self, db: Database, bot: Bot, limits: DeliveryLimits,
                 clock: Clock | None = None, window: SendWindow | None = None) -> None:
        self.clock = clock or SystemClock()
        self.queue = DeliveryQueue(db, self.clock)
        self.sender = DeliverySender(db, bot, queue=self.queue, clock=self.clock, limits=limits,
                                     window=window)
        self.db = db

    async def rows(self, chat_id: int) -> list[tuple[str, str, list[int]]]:
        async with self.db.session() as s:
            rows = await deliveries_for_chat(s, chat_id)
        return [(r.kind, r.status, r.sent_message_ids) for r in rows]


@pytest.fixture
async def harness_factory(db: Database, tg_bot: Bot) -> AsyncIterator[object]:
    made: list[Harness] = []

    def make(limits: DeliveryLimits = FAST, clock: Clock | None = None,
             bot: Bot | None = None, window: SendWindow | None = None) -> Harness:
        harness = Harness(db, bot or tg_bot, limits, clock, window)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.sender.stop()


def digest(chat_id: int, *texts: str, ref: str = "2026-07-31") -> NewDelivery:
    return NewDelivery(chat_id, "digest", ref,
                       [MessagePart(Html(t)).to_outbox() for t in texts or ("<b>今日</b>",)])


def alert(chat_id: int, text: str = "台风应急响应", ref: str = "event-1") -> NewDelivery:
    return NewDelivery(chat_id, "alert", ref, [MessagePart(Html(text)).to_outbox()])


def bot_texts(fake: FakeBotApi, chat_id: int) -> list[str | None]:
    return [m.text for m in fake.messages_in(chat_id, from_bot=True, include_deleted=True)]


# --- happy paths ---------------------------------------------------------------------------------


async def test_digest_reaches_every_chat_once_and_records_message_ids(
    fake: FakeBotApi, harness_factory
) -> None:
    users = [fake.add_user(f"r{i}") for i in range(12)]
    h = harness_factory()
    await h.sender.start()
    assert await h.queue.enqueue_many([digest(u.id) for u in users]) == 12
    assert await h.queue.enqueue_many([digest(u.id) for u in users]) == 0  # same digest again
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 12)
    for user in users:
        (message,) = fake.messages_in(user.id, from_bot=True)
        assert message.text == "今日"
        assert await h.rows(user.id) == [("digest", SENT, [message.message_id])]


async def test_any_ptb_request_backend_works_too(fake: FakeBotApi, harness_factory) -> None:
    users = [fake.add_user(f"r{i}") for i in range(3)]
    fake.block(users[2])
    async with make_bot(fake.base_url, fake.token, httpx=True) as bot:
        h = harness_factory(bot=bot)
        await h.queue.enqueue_many([digest(u.id, "一", "二") for u in users])
        await h.sender.start()
        await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 2
                                and h.sender.stats.chats_deactivated == 1)
        await h.sender.stop()
    assert bot_texts(fake, users[0].id) == ["一", "二"]


async def test_enqueue_wakes_an_idle_sender_at_once(fake: FakeBotApi, harness_factory) -> None:
    user = fake.add_user()
    h = harness_factory(DeliveryLimits(per_chat_interval=0.05, overall_per_second=200,
                                       idle_recheck=3600))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.running)
    await h.queue.enqueue(alert(user.id))
    await fake.wait_for_messages(user.id, 1, timeout=5)


async def test_parts_of_one_digest_arrive_in_order(fake: FakeBotApi, harness_factory) -> None:
    user = fake.add_user()
    h = harness_factory()
    await h.queue.enqueue(digest(user.id, "一", "二", "三", "四"))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert bot_texts(fake, user.id) == ["一", "二", "三", "四"]
    ((_, status, ids),) = await h.rows(user.id)
    assert status == SENT and ids == [m.message_id for m in fake.messages_in(user.id)]


async def test_alerts_go_before_digests(fake: FakeBotApi, harness_factory) -> None:
    users = [fake.add_user(f"r{i}") for i in range(5)]
    h = harness_factory(DeliveryLimits(per_chat_interval=0.05, overall_per_second=200,
                                       max_in_flight=1))
    await h.queue.enqueue_many([digest(u.id) for u in users[:4]])
    await h.queue.enqueue(alert(users[4].id))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 5)
    assert fake.sent_log[0].chat_id == users[4].id
    assert [r.chat_id for r in fake.sent_log[1:]] == [u.id for u in users[:4]]


async def test_paid_broadcast_is_requested_when_allowed(fake: FakeBotApi, harness_factory) -> None:
    user = fake.add_user()
    h = harness_factory(DeliveryLimits(allow_paid_broadcast=True, per_chat_interval=0.05))
    assert h.sender.limits.overall_rate == 1000
    await h.queue.enqueue(digest(user.id))
    await h.sender.start()
    await fake.wait_for_messages(user.id, 1)
    (call,) = [c for c in fake.api_log if c.method == "sendMessage"]
    assert str(call.params.get("allow_paid_broadcast")).lower() == "true"


async def test_pacing_stays_within_telegram_limits(db: Database, harness_factory) -> None:
    # Telegram's limits scaled down (10/s per chat, 20/s overall) so the test takes a second.
    limits = RateLimits(per_chat_per_second=10, per_chat_burst=1, global_per_second=20)
    async with FakeBotApi(rate_limits=limits) as strict, make_bot(strict.base_url,
                                                                  strict.token) as bot:
        users = [strict.add_user(f"r{i}") for i in range(6)]
        group = strict.add_group("街道群", members=users)
        ours = DeliveryLimits(per_chat_interval=0.15, overall_per_second=15,
                              group_per_minute=2, group_window=1.0, group_window_margin=0.3)
        h = harness_factory(ours, bot=bot)
        await h.queue.enqueue_many([digest(u.id, "一", "二", "三") for u in users])
        await h.queue.enqueue(digest(group.id, "一", "二", "三", "四", "五"))
        await h.sender.start()
        await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 7, timeout=30)
        assert strict.counters["throttled"] == 0
        assert strict.counters["accepted_sends"] == 6 * 3 + 5
        group_times = [r.at for r in strict.sent_log if r.chat_id == group.id]
        # our group window here is 1.3 s for 2 messages: never 3 inside one second
        assert all(b - a > 1.0 for a, b in zip(group_times, group_times[2:], strict=False))
        for user in users:
            assert bot_texts(strict, user.id) == ["一", "二", "三"]


# --- the error policy, one test per arm --------------------------------------------------------


async def test_rate_limited_chat_waits_retry_after_then_gets_it_once(
    fake: FakeBotApi, harness_factory
) -> None:
    user = fake.add_user()
    clock = ManualClock(START)
    h = harness_factory(INSTANT, clock)
    fake.start_storm(1.0, retry_after=7)
    await h.queue.enqueue(alert(user.id))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.throttled == 1)
    fake.stop_storm()
    async with h.db.session() as s:
        (row,) = await deliveries_for_chat(s, user.id)
    assert row.status == PENDING and row.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert row.last_error == "429 Too Many Requests: retry after 7 s"
    clock.advance(timedelta(seconds=7))
    await fake.wait_for_messages(user.id, 1)
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert len(fake.messages_in(user.id, from_bot=True)) == 1
    assert fake.counters["throttled"] == 1


async def test_a_429_holds_only_the_chat_it_names(fake: FakeBotApi, harness_factory) -> None:
    """Issue 18 point 15: one chat's 429 never slows the others."""
    first, second = fake.add_user("a"), fake.add_user("b")
    clock = ManualClock(START)
    h = harness_factory(INSTANT, clock)
    fake.start_storm(1.0, retry_after=3)
    await h.queue.enqueue(alert(first.id))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.throttled == 1)
    fake.stop_storm()
    await h.queue.enqueue(alert(second.id, "event-2"))
    # The second chat never saw a 429: its push goes at once, while the first chat waits.
    await fake.wait_for_messages(second, 1, 5.0)
    assert [r.chat_id for r in fake.sent_log] == [second.id]
    clock.advance(timedelta(seconds=3))  # the first chat's retry_after is over
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 2)
    assert [r.chat_id for r in fake.sent_log] == [second.id, first.id]
    assert fake.counters["throttled"] == 1


async def test_a_burst_of_429s_across_many_chats_pauses_all_sends(
    fake: FakeBotApi, harness_factory
) -> None:
    """Many chats answered 429 at once means the bot as a whole is over its limit: all pause."""
    hit = [fake.add_user(f"h{i}") for i in range(6)]
    later = fake.add_user("later")
    clock = ManualClock(START)
    h = harness_factory(INSTANT, clock)
    assert h.sender.limits.global_429_chats <= len(hit)
    fake.start_storm(1.0, retry_after=3)
    await h.queue.enqueue_many([alert(u.id) for u in hit])
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.throttled == len(hit))
    fake.stop_storm()
    await h.queue.enqueue(alert(later.id, "event-2"))
    # The later chat never saw a 429, yet its push holds until the pause ends.
    with pytest.raises(TimeoutError):
        await fake.wait_for_messages(later, 1, 0.5)
    assert fake.sent_log == []
    clock.advance(timedelta(seconds=3))  # the pause is over: all go, the hit chats first
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == len(hit) + 1)
    order = [r.chat_id for r in fake.sent_log]
    assert sorted(order[:-1]) == sorted(u.id for u in hit) and order[-1] == later.id


async def test_the_event_loop_keeps_running_during_a_429_pause(
    fake: FakeBotApi, harness_factory
) -> None:
    """The sender shares the bot's event loop: a pause must be a sleep, not a spin (an enqueue
    during the pause once made the dispatcher loop without yielding until the pause ended)."""
    first, second = fake.add_user("a"), fake.add_user("b")
    h = harness_factory(INSTANT)  # the real clock
    fake.start_storm(1.0, retry_after=2)
    await h.queue.enqueue(alert(first.id))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.throttled == 1)
    fake.stop_storm()
    loop = asyncio.get_running_loop()
    longest_gap, last = 0.0, loop.time()
    await h.queue.enqueue(alert(second.id))  # wakes the dispatcher mid-pause
    end = last + 1.2
    while loop.time() < end:
        await asyncio.sleep(0.01)
        now = loop.time()
        longest_gap, last = max(longest_gap, now - last), now
    # A spinning dispatcher would hold the loop for the rest of the 2 s pause.
    assert longest_gap < 0.5, f"the event loop stalled {longest_gap:.2f} s during the pause"
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 2)


async def test_outcomes_are_committed_within_write_linger_while_sends_wait(
    fake: FakeBotApi, harness_factory
) -> None:
    """With every slot in flight and sends paced 2/s, the first outcome is still committed
    once ``write_linger`` (1 s) has passed — not when the last of the batch has gone."""
    users = [fake.add_user(f"r{i}") for i in range(16)]
    clock = ManualClock(START)
    limits = DeliveryLimits(per_chat_interval=0.0, overall_per_second=2.0, send_tick=0.0,
                            write_linger=1.0, max_in_flight=16, claim_lease=30.0)
    h = harness_factory(limits, clock)
    await h.queue.enqueue_many([alert(u.id) for u in users])
    await h.sender.start()
    await fake.wait_for(lambda: fake.sent_log, 5.0, "the first send")
    assert h.sender.stats.messages_sent == 0  # sent, not yet committed
    clock.advance(timedelta(seconds=1.0))
    await h.sender.wait_for(lambda: h.sender.stats.messages_sent >= 1, timeout=5.0,
                            what="the first outcome committed")
    assert h.sender.stats.messages_sent < 16


async def test_blocked_chat_stops_receiving(fake: FakeBotApi, harness_factory) -> None:
    blocked, reader = fake.add_user("blocked"), fake.add_user("reader")
    fake.block(blocked)
    h = harness_factory()
    async with h.db.session() as s:
        await ChatRepository(s).upsert_seen(blocked.id, now=START)
        await ChatRepository(s).update_settings(blocked.id, now=START, subscribed=True)
    await h.queue.enqueue_many([digest(blocked.id), alert(blocked.id), digest(reader.id)])
    await h.sender.start()
    await h.sender.wait_for(
        lambda: h.sender.stats.chats_deactivated == 1 and h.sender.stats.deliveries_done == 1
    )
    async with h.db.session() as s:
        chat = await ChatRepository(s).get(blocked.id)
        subscribers = await ChatRepository(s).active_subscribers()
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"
    assert subscribers == []
    assert sorted(await h.rows(blocked.id)) == [("alert", CANCELLED, []), ("digest", CANCELLED, [])]
    assert bot_texts(fake, reader.id) == ["今日"]


async def test_unknown_chat_is_marked_inactive(fake: FakeBotApi, harness_factory) -> None:
    h = harness_factory()
    await h.queue.enqueue(digest(424242))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.chats_deactivated == 1)
    async with h.db.session() as s:
        chat = await ChatRepository(s).get(424242)
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "BadRequest: Chat not found"
    assert await h.rows(424242) == [("digest", CANCELLED, [])]


async def test_migrated_group_gets_the_push_at_its_new_id(
    fake: FakeBotApi, harness_factory
) -> None:
    owner = fake.add_user("owner")
    group = fake.add_group("街道群", creator=owner)
    h = harness_factory()
    async with h.db.session() as s:
        await ChatRepository(s).upsert_seen(group.id, now=START, type="group", title="街道群")
        await ChatRepository(s).update_settings(group.id, now=START, subscribed=True,
                                                digest_time="07:00")
    supergroup = fake.migrate_group(group)
    await h.queue.enqueue(digest(group.id, "一", "二"))
    await h.sender.start()
    await fake.wait_for_messages(supergroup.id, 2)
    assert bot_texts(fake, supergroup.id) == ["一", "二"]
    async with h.db.session() as s:
        chats = ChatRepository(s)
        moved = await chats.get(supergroup.id)
        subscribers = [c.id for c in await chats.active_subscribers()]
    assert moved is not None and moved.digest_time == "07:00" and moved.type == "supergroup"
    assert subscribers == [supergroup.id]
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert [r[:2] for r in await h.rows(supergroup.id)] == [("digest", SENT)]
    assert await h.rows(group.id) == []


async def test_unparseable_html_is_resent_once_as_plain_text(
    fake: FakeBotApi, harness_factory, caplog: pytest.LogCaptureFixture
) -> None:
    user = fake.add_user()
    h = harness_factory()
    await h.queue.enqueue(digest(user.id, "<b>台风 &amp; 暴雨</i>"))
    await h.sender.start()
    with caplog.at_level(logging.ERROR, logger="newsbrief.delivery"):
        await fake.wait_for_messages(user.id, 1)
        await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert bot_texts(fake, user.id) == ["台风 & 暴雨"]
    assert h.sender.stats.plain_text_fallbacks == 1
    assert any("cannot parse its HTML" in r.getMessage() for r in caplog.records)
    async with h.db.session() as s:
        (row,) = await deliveries_for_chat(s, user.id)
    assert row.plain_text and row.status == SENT


async def test_other_bad_requests_fail_the_push_with_the_reason(
    fake: FakeBotApi, harness_factory
) -> None:
    user = fake.add_user()
    h = harness_factory()
    await h.queue.enqueue(digest(user.id, "x" * 5000))  # over Telegram's 4096 limit
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.failed == 1)
    async with h.db.session() as s:
        (row,) = await deliveries_for_chat(s, user.id)
    assert row.status == FAILED and row.last_error == "BadRequest: Message is too long"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_network_errors_back_off_then_fail_loudly(db: Database, harness_factory) -> None:
    clock = ManualClock(START)
    unreachable = make_bot(f"http://127.0.0.1:{_closed_port()}/bot", "1:unreachable")
    h = harness_factory(INSTANT, clock, bot=unreachable)
    await h.queue.enqueue(digest(77))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.network_retries == 1)
    async with db.session() as s:
        (row,) = await deliveries_for_chat(s, 77)
    assert row.status == PENDING and row.next_attempt_at == clock.now() + timedelta(seconds=2)
    clock.advance(timedelta(seconds=2))
    await h.sender.wait_for(lambda: h.sender.stats.network_retries == 2)
    async with db.session() as s:
        (row,) = await deliveries_for_chat(s, 77)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=4)  # doubled
    clock.advance(timedelta(seconds=4))
    await h.sender.wait_for(lambda: h.sender.stats.failed == 1)
    async with db.session() as s:
        (row,) = await deliveries_for_chat(s, 77)
    assert row.status == FAILED and (row.last_error or "").startswith("gave up after 3 attempts")


# --- crash safety and life cycle -----------------------------------------------------------------


async def test_claims_left_by_a_dead_process_are_resent_from_the_part_in_flight(
    fake: FakeBotApi, harness_factory
) -> None:
    stale_user, fresh_user = fake.add_user("stale"), fake.add_user("fresh")
    clock = ManualClock(START)
    h = harness_factory(INSTANT, clock)
    crash = clock.now() - timedelta(seconds=60)
    async with h.db.session() as s:
        box = Outbox(s)
        await box.enqueue_many([digest(stale_user.id, "一", "二", "三")], now=crash)
        await box.enqueue_many([digest(fresh_user.id, "甲")], now=crash)
    dead = SenderOutbox(h.db)  # the dead process's sender
    try:
        (stale,) = (await dead.transact([], now=crash, claim=1)).rows
        sent = part_sent_outcome(stale, 901, now=crash, next_part_at=crash)  # part 0 went out
        (stale,) = (await dead.transact([sent], now=crash, claim=1)).rows
        assert (stale.chat_id, stale.claim_part) == (stale_user.id, 1)  # in flight at the crash
        (fresh,) = (await dead.transact([], now=clock.now(), claim=1)).rows  # younger than lease
        assert fresh.chat_id == fresh_user.id
    finally:
        await dead.close()
    await h.sender.start()
    await fake.wait_for_messages(stale_user.id, 2)
    assert bot_texts(fake, stale_user.id) == ["二", "三"]  # resumed at the part in flight
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert h.sender.stats.claims_released == 1
    assert bot_texts(fake, fresh_user.id) == []
    clock.advance(timedelta(seconds=30))  # the younger claim reaches the lease: released and sent
    await fake.wait_for_messages(fresh_user.id, 1)
    ((_, status, ids),) = await h.rows(stale_user.id)
    assert status == SENT and ids[0] == 901 and len(ids) == 3


async def test_with_the_instance_lock_every_claim_at_start_is_released_at_once(
    fake: FakeBotApi, db: Database, tg_bot: Bot
) -> None:
    user = fake.add_user()
    clock = ManualClock(START)
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(user.id, "一", "二")], now=clock.now())
    dead = SenderOutbox(db)
    try:  # claimed a moment ago, by a dead process
        (row,) = (await dead.transact([], now=clock.now(), claim=1)).rows
    finally:
        await dead.close()
    assert row.claim_part == 0
    h = Harness(db, tg_bot, INSTANT, clock)
    h.sender.release_claims_on_start = True
    try:
        await h.sender.start()
        await fake.wait_for_messages(user.id, 2)  # no lease to wait for: the clock never moves
        await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    finally:
        await h.sender.stop()
    assert h.sender.stats.claims_released == 1
    assert bot_texts(fake, user.id) == ["一", "二"]


async def test_sends_late_after_a_stall_still_keep_to_the_rate_in_any_second(
    fake: FakeBotApi, harness_factory
) -> None:
    users = [fake.add_user(f"r{i}") for i in range(12)]
    clock = ManualClock(START)
    limits = DeliveryLimits(per_chat_interval=0.0, overall_per_second=5.0, overall_burst=0.0,
                            overall_margin=0.0, claim_lease=30.0, write_linger=0.0)
    h = harness_factory(limits, clock)
    await h.queue.enqueue_many([alert(u.id) for u in users])
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.messages_sent == 1)  # slot 0 is now
    # the loop "stalled" past the slots of the other 11 (one per 0.2 s)
    clock.advance(timedelta(seconds=3.0))

    async def settle(sent: int) -> None:
        await h.sender.wait_for(lambda: h.sender.stats.messages_sent == sent)
        for _ in range(50):  # let every runnable task run: no more may go until time moves
            await asyncio.sleep(0)
        assert len(fake.sent_log) == sent

    await settle(6)  # 5 late sends at once, not 11: the last second holds 5
    clock.advance(timedelta(seconds=1.0))
    await settle(11)
    clock.advance(timedelta(seconds=1.0))
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 12)
    assert h.sender.stats.peak_sends_per_second == 5


class _CountingWindow(SendWindow):
    """A shared window that counts how often a push asked it for room."""

    asked = 0

    def delay(self, mono: float, *, urgent: bool) -> float:
        self.asked += 1
        return super().delay(mono, urgent=urgent)


async def test_pushes_wait_while_the_bots_shared_window_is_full_and_leave_room_to_replies(
    fake: FakeBotApi, harness_factory
) -> None:
    """Telegram's messages per second are the bot's: replies in flight or answered within the
    last second leave no room for a push, and a reply waiting for room goes first."""
    user = fake.add_user("r")
    clock = ManualClock(START)
    window = _CountingWindow(capacity=3)
    for _ in range(3):  # three replies on their way
        window.start()
    h = harness_factory(INSTANT, clock, window=window)
    await h.queue.enqueue(alert(user.id))
    await h.sender.start()
    async with asyncio.timeout(5):
        while not window.asked:  # the push is claimed and waits for room
            await asyncio.sleep(0.01)

    async def advance_and_hold(seconds: float) -> None:
        """Move the clock; the push looks again and must still wait."""
        asked = window.asked
        clock.advance(timedelta(seconds=seconds))
        for _ in range(100):
            await asyncio.sleep(0)
        assert window.asked > asked
        assert fake.sent_log == []

    window.answered(clock.monotonic())  # answered, but Telegram counts it for a second yet
    await advance_and_hold(0.5)
    window.answered(clock.monotonic())
    window.waiting_urgent = 1  # a reply waits for room: the push leaves it the next one
    await advance_and_hold(0.6)  # the first answer has left the window
    window.waiting_urgent = 0  # (the reply gave up: the push looks again when room is due)
    clock.advance(timedelta(seconds=0.4))  # the second answer leaves the window
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert bot_texts(fake, user.id) == ["台风应急响应"]
    assert window.in_flight == 1  # the third reply; the push's request is over


async def test_paid_broadcasts_do_not_draw_on_the_free_shared_window(
    fake: FakeBotApi, harness_factory
) -> None:
    user = fake.add_user("r")
    window = SendWindow(capacity=1)
    window.start()  # full
    h = harness_factory(DeliveryLimits(per_chat_interval=0.0, allow_paid_broadcast=True,
                                       claim_lease=30.0, write_linger=0.0), window=window)
    await h.queue.enqueue(alert(user.id))
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.deliveries_done == 1)
    assert window.in_flight == 1


@pytest.mark.parametrize(("rate", "send_tick"), [(25.0, 0.2), (30.0, 0.2), (25.0, 0.3),
                                                 (20.0, 0.15), (1000.0, 0.2), (0.5, 0.2)])
def test_ticks_carry_whole_slots_that_a_1s_window_never_holds_more_than_the_rate_of(
    rate: float, send_tick: float
) -> None:
    limits = DeliveryLimits(overall_per_second=rate, send_tick=send_tick)
    slots, interval = limits.tick_slots, limits.slot_interval
    assert 1 <= slots <= max(1, round(send_tick / interval))
    ticks_in_a_second = math.ceil(1.0 / (slots * interval))  # ticks any (t - 1 s, t] can hold
    assert ticks_in_a_second * slots <= max(1, int(rate))


def test_ticks_woken_a_little_late_do_not_meet_the_cap() -> None:
    """Ticks at 25/s wake 0-5 ms late (timer jitter): none is held back by the 25-in-any-second
    cap (each hold costs another wake-up), and no second holds more than 25 sends."""
    clock = ManualClock(START)
    sender = DeliverySender(Database("sqlite:///:memory:"), Bot("1:x"), clock=clock,
                            limits=DeliveryLimits(overall_per_second=25.0))
    pacer = sender.pacer
    # 10 s of sends, claimed at once
    slots = [pacer.reserve_slot(clock.monotonic()) for _ in range(250)]
    starts = sorted(set(slots))
    assert {slots.count(start) for start in starts[1:-1]} == {5}  # whole ticks of five
    assert min(b - a for a, b in itertools.pairwise(starts)) == pytest.approx(5 / 24.75)
    held = 0
    for n, start in enumerate(starts):
        woke = start + (0.005, 0.001, 0.003, 0.0, 0.004)[n % 5] + (0.002 if n % 7 == 0 else 0)
        for _ in range(slots.count(start)):
            if pacer.window_delay(woke) > 0:
                held += 1
            pacer.note_send(4242, woke)
            woke += 1e-5
    assert held == 0
    assert pacer.peak_sends_per_second <= 25


async def test_stop_gives_back_rows_not_yet_sent(fake: FakeBotApi, harness_factory) -> None:
    users = [fake.add_user(f"r{i}") for i in range(4)]
    h = harness_factory(DeliveryLimits(per_chat_interval=0.05, overall_per_second=0.5))
    await h.queue.enqueue_many([digest(u.id) for u in users])
    await h.sender.start()
    await h.sender.wait_for(lambda: h.sender.stats.messages_sent >= 1)
    await h.sender.stop()
    async with h.db.session() as s:
        counts = await Outbox(s).counts()
    assert set(counts["digest"]) == {SENT, PENDING}  # nothing left claimed
    assert counts["digest"][PENDING] >= 2


async def test_unblocking_makes_the_chat_active_again(
    fake: FakeBotApi, harness_factory, tg_bot: Bot
) -> None:
    user = fake.add_user()
    h = harness_factory()
    context = SimpleNamespace(services=SimpleNamespace(chats=ChatService(h.db)))
    await my_chat_member(Update.de_json(fake.block(user), tg_bot), context)  # type: ignore[arg-type]
    async with h.db.session() as s:
        chat = await ChatRepository(s).get(user.id)
        assert chat is not None and not chat.active and chat.inactive_reason == "bot kicked"
    await my_chat_member(Update.de_json(fake.unblock(user), tg_bot), context)  # type: ignore[arg-type]
    async with h.db.session() as s:
        chat = await ChatRepository(s).get(user.id)
    assert chat is not None and chat.active and chat.inactive_reason is None


async def test_status_shows_queue_last_hour_inactive_chats_and_last_error(db: Database) -> None:
    from bot.delivery.status import DeliveryStatusService

    now = datetime.now(UTC)
    async with db.session() as s:
        await Outbox(s).enqueue_many([digest(1), digest(2), alert(3), digest(4)], now=now)
    store = SenderOutbox(db)
    try:  # chat 1 stays pending; 2 is claimed, 3 sent, 4 failed
        claimed = await store.transact([], now=now, claim=10, busy_chats=[1])
        rows = {r.chat_id: r for r in claimed.rows}
        await store.transact([
            part_sent_outcome(rows[3], 11, now=now, next_part_at=now),
            Failed(rows[4].id, "BadRequest: Message is too long", now=now),
        ], now=now)
    finally:
        await store.close()
    async with db.session() as s:
        await ChatRepository(s).set_inactive(5, "Forbidden: bot was blocked by the user", now=now)
    status = (await DeliveryStatusService(db).status()).to_dict()
    assert status["queue"] == {"digest": {"pending": 1, "claimed": 1}}
    assert status["queued_total"] == 2
    assert status["outbox"] == {"alert": {"sent": 1}, "digest": {"claimed": 1, "failed": 1,
                                                                  "pending": 1}}
    assert (status["sent_last_hour"], status["failed_last_hour"]) == (1, 1)
    assert status["inactive_chats"] == 1
    assert status["last_error"]["error"] == "BadRequest: Message is too long"
    assert status["last_error"]["chat_id"] == 4


def test_behind_a_proxy_the_sender_uses_ptbs_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from telegram.request import HTTPXRequest

    from bot.delivery.transport import AiohttpRequest, bot_api_request, proxy_configured

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(bot_api_request(4), AiohttpRequest)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert proxy_configured()
    assert isinstance(bot_api_request(4), HTTPXRequest)


@pytest.mark.parametrize("proxy", [None, "http://127.0.0.1:3128"])
def test_replies_polling_and_pushes_share_one_transport(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, proxy: str | None
) -> None:
    """One way to talk HTTP to the Bot API (issue 11): the Application's replies and long poll go
    through the same backend the sender uses — aiohttp, or PTB's httpx behind a proxy."""
    from bot.app.application import NewsBot
    from bot.config import Settings
    from bot.delivery.transport import AiohttpRequest

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    url = f"sqlite:///{tmp_path / 't.db'}"
    news = NewsBot(Settings(database_url=url, telegram_bot_token="1:x"), Database(url))
    expected = HTTPXRequest if proxy else AiohttpRequest
    sender_backend = type(bot_api_request(4))
    assert sender_backend is expected
    bot = news.application.bot
    assert type(bot.request) is expected  # replies, menus, answers
    assert type(news.application.updater.bot._request[0]) is expected  # getUpdates (no public API)


async def test_halt_starts_no_send_after_it_returns(fake: FakeBotApi, harness_factory) -> None:
    """Issue 18 fencing: when the instance lock is lost, ``halt()`` (synchronous) stops every
    send that has not started; none goes out afterwards, and the rows stay in the outbox."""
    users = [fake.add_user(f"r{i}") for i in range(4)]
    h = harness_factory(DeliveryLimits(per_chat_interval=0.0, overall_per_second=2.0,
                                       send_tick=0.0))
    await h.queue.enqueue_many([digest(u.id) for u in users])
    await h.sender.start()
    await fake.wait_for(lambda: fake.sent_log, 5.0, "the first send")
    h.sender.halt()
    await asyncio.sleep(0.2)  # a send already on the wire (the burst slot) may still land
    sent_at_halt = len(fake.sent_log)
    assert sent_at_halt < len(users)
    await asyncio.sleep(1.6)  # three more slots at 2/s would have gone by now
    assert len(fake.sent_log) == sent_at_halt
    await h.sender.stop()
    async with h.db.session() as s:
        counts = await Outbox(s).counts()
    assert counts["digest"].get(PENDING, 0) == len(users) - sent_at_halt


async def test_a_sender_whose_lock_was_taken_over_stops_and_sends_no_more(
    db: Database, fake: FakeBotApi, tg_bot: Bot
) -> None:
    """Issue 18 point 1 (fencing): two senders never drain one outbox. When another bot takes the
    lock (a newer generation), the old sender's next transaction is refused: it stops at once,
    says so, and the rest of the queue is left for the new holder."""
    from storage.instance_lock import InstanceLock

    # Enough rows that the queue cannot drain (10 s at 4/s) before the takeover, however slow
    # the machine: the sender only learns of it at its next transaction.
    users = [fake.add_user(f"r{i}") for i in range(40)]
    lock = await InstanceLock.acquire(db, "fenced-sender", fenced=True)
    fenced: list[bool] = []
    sender = DeliverySender(db, tg_bot, limits=DeliveryLimits(
        per_chat_interval=0.0, overall_per_second=4.0, send_tick=0.0, max_in_flight=1,
        write_linger=0.0), fence=lock.fence, on_fenced=lambda: fenced.append(True))
    await sender.queue.enqueue_many([digest(u.id) for u in users])
    await sender.start()
    newer: InstanceLock | None = None
    try:
        await fake.wait_for(lambda: fake.sent_log, 5.0, "the first send")
        await lock.release()  # lost (as when its connection is cut)...
        newer = await InstanceLock.acquire(db, "fenced-sender", fenced=True)  # ...and taken over
        await sender.wait_for(lambda: fenced, timeout=10.0, what="the sender fenced out")
        async with asyncio.timeout(5.0):  # on_fenced runs just before the loop's task ends
            while sender.running:
                await asyncio.sleep(0.01)
        sent = len(fake.sent_log)
        await asyncio.sleep(1.0)  # four more slots at 4/s
        assert len(fake.sent_log) == sent < len(users)
    finally:
        await sender.stop()
        await lock.release()
        if newer is not None:
            await newer.release()
