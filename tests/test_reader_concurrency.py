"""Issue 18 points 4 and 5: one chat's slow update or 429 never stalls another chat's reply, each
chat is still answered in order, and replies keep Telegram's overall and per-chat limits.

The tests drive the bot's own update processor and rate limiter (the ones ``NewsBot`` wires into
the Application), with events instead of sleeps; pacing is checked on a virtual clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Chat, Message, Update, User
from telegram.error import RetryAfter

from bot.app.application import NewsBot
from bot.app.replies import ReplyLimits, ReplyRateLimiter
from bot.app.updates import ChatOrderedUpdates, RecentUpdateIds
from bot.config import Settings
from bot.delivery.send_window import SHARED_PER_SECOND, SendWindow
from storage.database import Database

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

TOKEN = "123456:TEST-token-for-the-concurrency-tests"
WAIT = 5.0  # generous: only reached when the behaviour is wrong


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "Reader", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="/ping")  # type: ignore[arg-type]
    return Update(update_id, message=message)


@pytest.fixture
def news(tmp_path: Path) -> NewsBot:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    return NewsBot(Settings(database_url=url, telegram_bot_token=TOKEN), Database(url))


async def _blocked(started: asyncio.Event, release: asyncio.Event, log: list[str],
                   name: str) -> None:
    log.append(f"{name} start")
    started.set()
    await release.wait()
    log.append(f"{name} end")


async def _quick(done: asyncio.Event, log: list[str], name: str) -> None:
    log.append(name)
    done.set()


# --- updates ----------------------------------------------------------------------------------


async def test_a_slow_update_in_one_chat_does_not_hold_up_another_chat(news: NewsBot) -> None:
    processor = news.application.update_processor
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    log: list[str] = []
    slow = asyncio.create_task(processor.process_update(
        _update(1, 100), _blocked(started, release, log, "a")))
    await asyncio.wait_for(started.wait(), WAIT)
    other = asyncio.create_task(processor.process_update(_update(2, 200), _quick(done, log, "b")))
    try:
        await asyncio.wait_for(done.wait(), WAIT)  # today's code: waits behind chat 100
        assert log == ["a start", "b"]
    finally:
        release.set()
        await asyncio.wait_for(asyncio.gather(slow, other), WAIT)


async def test_one_chat_is_answered_in_order() -> None:
    processor = ChatOrderedUpdates(max_running=8)
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    log: list[str] = []
    first = asyncio.create_task(processor.process_update(
        _update(1, 100), _blocked(started, release, log, "first")))
    await asyncio.wait_for(started.wait(), WAIT)
    second = asyncio.create_task(processor.process_update(
        _update(2, 100), _quick(done, log, "second")))
    for _ in range(20):
        await asyncio.sleep(0)
    assert log == ["first start"]  # the second update of the chat waits for the first
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), WAIT)
    assert log == ["first start", "first end", "second"]
    assert processor.waiting_chats == 0  # per-chat state goes when the chat is idle


async def test_a_chat_with_a_backlog_does_not_take_every_running_slot() -> None:
    processor = ChatOrderedUpdates(max_running=2)
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    log: list[str] = []
    tasks = [asyncio.create_task(processor.process_update(
        _update(1, 100), _blocked(started, release, log, "a0")))]
    await asyncio.wait_for(started.wait(), WAIT)
    tasks += [asyncio.create_task(processor.process_update(
        _update(i, 100), _quick(asyncio.Event(), log, f"a{i}"))) for i in range(2, 50)]
    tasks.append(asyncio.create_task(processor.process_update(
        _update(99, 200), _quick(done, log, "b"))))
    await asyncio.wait_for(done.wait(), WAIT)
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    assert [e for e in log if e.startswith("a") and e != "a0 start"] == \
        ["a0 end", *(f"a{i}" for i in range(2, 50))]


async def test_a_repeated_update_id_is_processed_once(news: NewsBot) -> None:
    processor = news.application.update_processor
    log: list[str] = []
    await processor.process_update(_update(7, 100), _quick(asyncio.Event(), log, "first"))
    await processor.process_update(_update(7, 100), _quick(asyncio.Event(), log, "again"))
    await processor.process_update(_update(8, 100), _quick(asyncio.Event(), log, "next"))
    assert log == ["first", "next"]


def test_remembered_update_ids_are_bounded() -> None:
    recent = RecentUpdateIds(capacity=3)
    assert [recent.seen(i) for i in (1, 2, 3, 1, 4)] == [False, False, False, True, False]
    assert len(recent) == 3
    assert recent.seen(1) is False  # the oldest was forgotten, so memory stays bounded


# --- replies ----------------------------------------------------------------------------------


async def test_a_429_for_one_chat_does_not_delay_another_chats_reply(news: NewsBot) -> None:
    limiter = news.application.bot.rate_limiter
    assert limiter is not None
    answered: list[int] = []
    flooded = asyncio.Event()

    async def send(chat_id: int) -> dict[str, Any]:
        if chat_id == 100 and not flooded.is_set():
            flooded.set()
            raise RetryAfter(20)
        answered.append(chat_id)
        return {"ok": True}

    def request(chat_id: int) -> Awaitable[Any]:
        return limiter.process_request(send, (chat_id,), {}, "sendMessage",
                                       {"chat_id": chat_id, "text": "x"}, None)

    stalled = asyncio.create_task(request(100))
    await asyncio.wait_for(flooded.wait(), WAIT)
    try:
        # today's AIORateLimiter holds every request for the 20 s chat 100 was told to wait
        await asyncio.wait_for(request(200), WAIT)
        assert answered == [200]
        assert not stalled.done()  # chat 100 itself still waits its turn
    finally:
        stalled.cancel()


class VirtualTime:
    """A :class:`bot.clock.Clock` that only moves when every waiter is asleep: it jumps to the
    earliest wake-up. Pacing is checked without real waiting (``run`` drives it)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = 0

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    async def wait(self, events: Sequence[asyncio.Event], timeout: float | None) -> None:
        assert not events and timeout is not None  # the reply pacer only ever waits for time
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count += 1
        heapq.heappush(self._sleepers, (self.seconds + max(0.0, timeout), self._count, future))
        await future

    async def run(self, work: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(5):  # let everything runnable reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not task.done():
                wake, _, future = heapq.heappop(self._sleepers)
                self.seconds = max(self.seconds, wake)
                future.set_result(None)
        return task.result()


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


async def _burst(limiter: ReplyRateLimiter, time: VirtualTime,
                 chat_ids: list[int]) -> list[tuple[float, int]]:
    sent: list[tuple[float, int]] = []

    async def send(chat_id: int) -> bool:
        sent.append((time.seconds, chat_id))
        return True

    await time.run(asyncio.gather(*(
        limiter.process_request(send, (c,), {}, "sendMessage", {"chat_id": c}, None)
        for c in chat_ids
    )))
    return sent


async def test_replies_keep_the_overall_and_per_chat_limits() -> None:
    time = VirtualTime()
    limiter = ReplyRateLimiter(clock=time)
    chats = [1000 + i % 50 for i in range(500)]  # 500 replies to 50 readers at once
    sent = await _burst(limiter, time, chats)
    assert len(sent) == 500
    times = sorted(t for t, _ in sent)
    assert _busiest_second(times) <= 30  # Telegram's overall limit
    for chat in set(chats):
        own = [t for t, c in sent if c == chat]
        burst = ReplyLimits().chat_burst
        # a token bucket: after the burst, one a second
        assert all(b - a >= 0.999 for a, b in zip(own[burst - 1:], own[burst:], strict=False))


async def test_a_group_gets_at_most_twenty_a_minute() -> None:
    time = VirtualTime()
    limiter = ReplyRateLimiter(clock=time)
    sent = await _burst(limiter, time, [-100123] * 45)
    times = [t for t, _ in sent]
    assert max(sum(1 for t in times if start <= t < start + 60.0) for start in times) <= 20


async def test_requests_without_a_chat_are_not_paced() -> None:
    time = VirtualTime()
    limiter = ReplyRateLimiter(clock=time)

    async def answer() -> bool:
        return True

    for _ in range(100):
        await time.run(limiter.process_request(answer, (), {}, "answerCallbackQuery", {}, None))
    assert time.seconds == 0.0


async def test_reads_about_a_chat_are_not_paced_like_messages_to_it() -> None:
    """The channel-admin check (getChatMember on a channel) runs before every channel settings
    press; pacing it as a group message (20/min) made button answers arrive expired."""
    time = VirtualTime()
    limiter = ReplyRateLimiter(clock=time)

    async def member() -> dict[str, str]:
        return {"status": "administrator"}

    for _ in range(60):
        await time.run(limiter.process_request(member, (), {}, "getChatMember",
                                               {"chat_id": -1001234, "user_id": 7}, None))
    assert time.seconds == 0.0
    for _ in range(4):  # a message to that channel is still paced: burst of 3, then 1/s
        await time.run(limiter.process_request(member, (), {}, "sendMessage",
                                               {"chat_id": -1001234}, None))
    assert time.seconds > 0.0


async def test_a_reply_told_to_wait_too_long_fails_instead_of_holding_the_chat() -> None:
    time = VirtualTime()
    limiter = ReplyRateLimiter(ReplyLimits(max_wait=30.0), clock=time)
    calls = 0

    async def send() -> bool:
        nonlocal calls
        calls += 1
        raise RetryAfter(3600)

    with pytest.raises(RetryAfter):
        await time.run(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None))
    assert calls == 1


async def test_a_flooded_reply_is_retried_after_the_chats_pause() -> None:
    time = VirtualTime()
    limiter = ReplyRateLimiter(clock=time)
    attempts: list[float] = []

    async def send() -> bool:
        attempts.append(time.seconds)
        if len(attempts) == 1:
            raise RetryAfter(20)
        return True

    assert await time.run(
        limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None))
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 20.0


async def test_shutdown_stops_the_replies_still_waiting() -> None:
    limiter = ReplyRateLimiter()
    refused = asyncio.Event()
    calls = 0

    async def send() -> bool:
        nonlocal calls
        calls += 1
        refused.set()
        raise RetryAfter(20)

    waiting = asyncio.ensure_future(
        limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None))
    await asyncio.wait_for(refused.wait(), WAIT)  # now waiting out its chat's 20 s
    await asyncio.wait_for(limiter.shutdown(), WAIT)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, WAIT)
    assert calls == 1


# --- one budget for the bot: replies and pushes share Telegram's messages per second ------------


async def _replies_and_pushes(with_pushes: bool) -> tuple[list[float], list[float], float]:
    """500 replies to 50 readers and, meanwhile, a fan-out of 300 pushes paced at 25/s, through
    one ``SendWindow``. Every 7th request stalls 0.3 s between its start and the wire (a busy
    event loop). Returns the arrival times at Telegram of the replies and of the pushes, and
    when the last reply was answered."""
    time = VirtualTime()
    window = SendWindow()
    limiter = ReplyRateLimiter(clock=time, window=window)
    replies: list[float] = []
    pushes: list[float] = []
    count = itertools.count()

    async def on_the_wire(arrived: list[float]) -> None:
        if next(count) % 7 == 0:
            await time.wait((), 0.3)
        arrived.append(time.seconds)
        await time.wait((), 0.03)  # the answer's way back

    async def reply(chat_id: int) -> bool:
        await on_the_wire(replies)
        return True

    async def push() -> None:
        await on_the_wire(pushes)
        window.answered(time.seconds)

    async def fan_out() -> None:
        sends = []
        next_slot = 0.0
        for _ in range(300):  # the sender's order: its own slot, then room in the window
            await time.wait((), max(0.0, next_slot - time.seconds))
            next_slot = time.seconds + 1 / 25
            while (delay := window.delay(time.seconds, urgent=False)) > 0:
                await time.wait((), delay)
            window.start()
            sends.append(asyncio.ensure_future(push()))
        await asyncio.gather(*sends)

    async def readers() -> float:
        await asyncio.gather(*(
            limiter.process_request(reply, (c,), {}, "sendMessage", {"chat_id": c}, None)
            for c in [1000 + i % 50 for i in range(500)]
        ))
        return time.seconds

    work = [readers(), fan_out()] if with_pushes else [readers()]
    finished = (await time.run(asyncio.gather(*work)))[0]
    return replies, pushes, finished


async def test_replies_and_pushes_together_keep_the_bots_limit_and_replies_go_first() -> None:
    alone, _, alone_done = await _replies_and_pushes(with_pushes=False)
    replies, pushes, done = await _replies_and_pushes(with_pushes=True)
    assert len(replies) == 500 and len(pushes) == 300
    # Telegram's limit is the bot's: stalls and two senders never crowd one second past it
    assert _busiest_second(alone) <= SHARED_PER_SECOND
    assert _busiest_second(replies + pushes) <= SHARED_PER_SECOND
    # readers are answered about as fast as with no fan-out going on: pushes take what is left
    assert done <= alone_done * 1.1


def test_the_bots_replies_and_pushes_share_one_window(news: NewsBot) -> None:
    limiter = news.application.bot.rate_limiter
    assert isinstance(limiter, ReplyRateLimiter)
    assert limiter.window is not None
    assert limiter.window is news.delivery.window is news.send_window


def test_the_operators_chat_spacing_holds_for_replies_too(tmp_path: Path) -> None:
    """NEWSBRIEF_DELIVERY_CHAT_INTERVAL is Telegram's per-chat limit: pushes and replies alike."""
    url = f"sqlite:///{tmp_path / 'spacing.db'}"
    news = NewsBot(Settings(database_url=url, telegram_bot_token=TOKEN,
                            delivery_chat_interval=0.5), Database(url))
    limiter = news.application.bot.rate_limiter
    assert isinstance(limiter, ReplyRateLimiter)
    assert limiter.limits.chat_per_second == 2.0
    assert news.delivery.limits.per_chat_interval == 0.5
    unspaced = ReplyLimits.from_settings(Settings(delivery_chat_interval=0.0))
    assert unspaced.chat_per_second >= 1000 and unspaced.chat_burst == ReplyLimits().chat_burst
