"""Pacing for the handlers' replies: Telegram's limits, and a 429 only ever pauses its own chat.

PTB's ``AIORateLimiter`` (what issue 11 chose) paces the overall rate and groups, but when any
request is answered 429 it stops *every* request for the ``retry_after`` it names; with updates
handled concurrently one reader's 20 s flood wait would still delay everybody's reply. Telegram's
429s on replies are about one chat (the overall rate we keep below ourselves), so
:class:`ReplyRateLimiter` pauses only the chat the 429 was for, and retries that reply when the
pause is over:

* overall: sends are spaced ``1 / overall_per_second`` apart, and never more than that many
  start in any second by the clock (25: a margin under Telegram's 30 for jitter on the way);
* per chat: a token bucket, ``chat_burst`` at once, then ``chat_per_second`` (Telegram: ~1/s);
* groups and channels (negative ids): also at most ``group_per_minute`` in any minute;
* a 429 for a chat: that chat waits ``retry_after`` and the request is retried (at most
  ``max_retries`` times, and never for a wait over ``max_wait``: then the ``RetryAfter`` is
  raised, the handler fails, and the error handler logs it);
* order and merging: a chat's messages leave in the order they were queued, and a reply still
  waiting absorbs the chat's next plain replies, one message for several answers
  (:mod:`bot.app.reply_queue`). Once its reply is queued, a handler hands its chat on to the chat's
  next update (:func:`bot.app.updates.hand_over_chat`): a reader's burst of commands is answered
  in a message or two instead of one a second. Past ``chat_backlog`` messages waiting (answers
  that cannot merge) the next update waits for the reply instead. A chat action ("typing…")
  never hands over: it comes before a handler's work, not as its last step.

Only requests that put a message in a chat are paced (``send*``, ``edit*``, ``copy*``,
``forward*``): ``answerCallbackQuery``, ``answerInlineQuery``, ``getMe`` and ``getChatMember``
(the channel-admin check before each channel settings press) are not message sends, and pacing
them would let a button's answer arrive after Telegram has expired the query.
The limits are in-process. The overall one is Telegram's per bot, so the replies share it with the
delivery sender's pushes (``window``, a :class:`~bot.delivery.send_window.SendWindow`): a reply also
waits while the bot's messages of the last second fill it, and a reply waiting for room goes
before the pushes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.app.reply_queue import ChatReplies, MergePolicy, QueuedReply
from bot.app.updates import hand_over_chat, running_update
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery.policy import refuses_the_text, retry_after_seconds
from bot.delivery.send_window import SendWindow

logger = logging.getLogger(__name__)

ApiResult = bool | dict[str, Any] | list[dict[str, Any]]
PACED_PREFIXES = ("send", "edit", "copy", "forward")  # endpoints that post into a chat
NO_CHAT_SPACING = 1e6  # messages a second to one chat when the operator set no spacing
# chats remembered before the idle ones (full bucket, no pause, nothing queued) are forgotten
CHATS_KEPT_IDLE = 1024
# paced, but not a handler's last step: "typing…" is sent before the work, so it never hands
# the chat on to its next update
BEFORE_THE_WORK = frozenset({"sendChatAction"})


@dataclass(frozen=True)
class ReplyLimits:
    """Telegram's documented flood limits for bots, as the reply pacer keeps them."""

    # Telegram: about 30 messages per second overall. 25 like the delivery sender: a busy
    # machine delays and bunches requests on the way (measured: 28/s still drew 429s there)
    overall_per_second: float = 25.0
    chat_per_second: float = 1.0  # Telegram: about one message per second in a chat
    chat_burst: int = 3  # replies a chat may get at once (a search and its pages)
    group_per_minute: int = 20  # Telegram: 20 messages per minute in a group
    group_window: float = 61.0  # a minute, and a second for clock jitter
    max_retries: int = 3  # a reply answered 429 is retried this many times at most
    max_wait: float = 60.0  # a longer retry_after fails the reply instead of holding the chat
    # a chat's messages waiting (or on the wire) past which its next update waits for the reply:
    # answers that cannot merge would otherwise let a flooding chat run all its handlers ahead
    chat_backlog: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> ReplyLimits:
        """The operator's spacing of messages to one chat (``NEWSBRIEF_DELIVERY_CHAT_INTERVAL``)
        holds for replies as for pushes: it is one Telegram limit. 0 means no spacing."""
        interval = settings.delivery_chat_interval
        return cls(chat_per_second=1.0 / interval if interval > 0 else NO_CHAT_SPACING)


class _ChatPace:
    """One chat's state: its token bucket, its pause after a 429, its group window."""

    __slots__ = ("paused_until", "replies", "sent", "tokens", "updated")

    def __init__(self, burst: int, now: float) -> None:
        self.replies = ChatReplies()  # waiting to be sent, in order
        self.tokens = float(burst)
        self.updated = now
        self.paused_until = 0.0
        self.sent: deque[float] = deque()  # groups only: send times in the last window


class ReplyRateLimiter(BaseRateLimiter[int]):
    """A ``BaseRateLimiter`` for the Application's bot (module doc). ``rate_limit_args``, when a
    caller passes one, is the number of retries for that request."""

    def __init__(self, limits: ReplyLimits | None = None, *, clock: Clock | None = None,
                 window: SendWindow | None = None) -> None:
        self.limits = limits or ReplyLimits()
        self._clock = clock or SystemClock()  # tests pass a virtual one: pacing without waiting
        self.window = window  # the bot's messages per second, shared with the pushes
        self._next_slot = 0.0
        self._started: deque[float] = deque()  # when the sends of the last second started
        self._chats: dict[int | str, _ChatPace] = {}
        self.merge_policy = MergePolicy()
        self._deliveries: set[asyncio.Task[None]] = set()  # the queued messages' senders
        self.chat_pauses = 0  # 429s seen (tests and diagnostics)
        self.merged = 0  # replies sent as part of an earlier one (tests and diagnostics)

    async def initialize(self) -> None:
        """Nothing to set up: the state is made per chat on demand."""

    async def shutdown(self) -> None:
        """Stop the messages still waiting: their callers see them cancelled."""
        for delivery in list(self._deliveries):
            delivery.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        """Put a message into its chat's queue, appended to the reply still waiting there when
        the merge policy allows, and answer with what Telegram answers for the message it went
        out in. Its handler hands the chat on meanwhile (module doc). Requests that post nothing
        into a chat are not paced."""
        chat_id = data.get("chat_id")
        if chat_id is None or not endpoint.startswith(PACED_PREFIXES):
            return await callback(*args, **kwargs)
        queue = self._pace(chat_id, self._clock.monotonic()).replies
        origin = running_update()
        answer = queue.join(self.merge_policy, endpoint, data, origin)
        if answer is not None:
            self.merged += 1
        else:
            queued = queue.enqueue(data, may_lead=self.merge_policy.may_lead(endpoint, args, data))
            answer = queued.add(data, origin)
            max_retries = self.limits.max_retries if rate_limit_args is None else rate_limit_args
            delivery = asyncio.create_task(self._deliver(
                chat_id, queue, queued, lambda: callback(*args, **kwargs), endpoint, max_retries))
            self._deliveries.add(delivery)
            delivery.add_done_callback(self._deliveries.discard)
        if endpoint not in BEFORE_THE_WORK:
            # this reply has its place: the chat's next update may start, unless the chat's
            # messages pile up (answers that cannot merge): then it waits for this reply to leave
            hand_over_chat(keep_turn=len(queue) > self.limits.chat_backlog)
        return await answer

    async def _deliver(self, chat_id: int | str, queue: ChatReplies, queued: QueuedReply,
                       post: Callable[[], Coroutine[Any, Any, ApiResult]], endpoint: str,
                       max_retries: int) -> None:
        """Send ``queued`` when the chat's earlier messages have gone, and give every caller in
        it the answer. The pacer's own task: a caller that stops waiting only takes its text
        back, it does not cancel the others'."""
        try:
            await queued.ready.wait()
            await self._answer(chat_id, queued, max_retries, post, endpoint)
        except asyncio.CancelledError as exc:  # shutdown
            queued.failed(exc)
            raise
        finally:
            queue.remove(queued)

    async def _answer(self, chat_id: int | str, queued: QueuedReply, max_retries: int,
                      post: Callable[[], Coroutine[Any, Any, ApiResult]], endpoint: str) -> None:
        """Send ``queued`` and give its callers the outcome. A merged message refused for its
        text (one answer's HTML, say) goes again one answer at a time, so that only the
        malformed answer fails, not the other updates' answers merged with it."""
        try:
            result = await self._send(chat_id, queued, max_retries, post, endpoint)
        except BadRequest as exc:
            # a 400 about the text is one answer's; one about the chat ("chat not found") or an
            # option is every answer's, and sending each again would only repeat it
            if not (queued.merged and refuses_the_text(exc)):
                queued.failed(exc)
                return
            logger.info("chat %s: a merged %s refused (%s), its answers go one by one",
                        chat_id, endpoint, exc)
            for part in queued.apart():
                await self._answer(chat_id, part, max_retries, post, endpoint)
        except Exception as exc:  # the callers get it; nobody awaits the task's own outcome
            queued.failed(exc)
        else:
            queued.succeeded(result)

    async def _send(self, chat_id: int | str, queued: QueuedReply, max_retries: int,
                    post: Callable[[], Coroutine[Any, Any, ApiResult]],
                    endpoint: str) -> ApiResult | None:
        """Post the chat's first queued message when the limits allow, retrying a 429 after the
        chat's pause; others may still be merged into it until it is on the wire. None: every
        caller stopped waiting before it left, nothing was sent."""
        attempt = 0
        while queued.awaited:
            await self._wait_for_turn(chat_id)
            await self._wait_for_room()
            refused = False
            try:
                if not queued.seal():
                    refused = True  # nothing went out: the room is given back
                    return None
                return await post()
            except RetryAfter as exc:
                refused = True
                wait = retry_after_seconds(exc)
                self._pause(chat_id, wait)
                if attempt >= max_retries or wait > self.limits.max_wait:
                    raise
                attempt += 1
                queued.open = queued.may_lead  # waiting again: replies may still join it
                logger.info("chat %s: %s answered 429, retrying in %.0f s (only this chat "
                            "waits)", chat_id, endpoint, wait)
            finally:
                if self.window is not None:
                    self.window.answered(self._clock.monotonic(), refused=refused)
        return None

    async def _wait_for_room(self) -> None:
        """Wait until the bot's shared window has room for one more message, and take it;
        meanwhile the pushes leave that room to this reply."""
        window = self.window
        if window is None:
            return
        window.waiting_urgent += 1
        try:
            while (delay := window.delay(self._clock.monotonic(), urgent=True)) > 0:
                await self._clock.wait((), delay)
        finally:
            window.waiting_urgent -= 1
        window.start()

    def _pace(self, chat_id: int | str, now: float) -> _ChatPace:
        pace = self._chats.get(chat_id)
        if pace is None:
            self._forget_idle(now)
            pace = self._chats[chat_id] = _ChatPace(self.limits.chat_burst, now)
        return pace

    def _forget_idle(self, now: float) -> None:
        """Drop chats whose bucket is full again and that owe nothing (bounded memory)."""
        if len(self._chats) < CHATS_KEPT_IDLE:
            return
        lim = self.limits
        for key in [k for k, p in self._chats.items()
                    if p.paused_until <= now and not p.sent and not p.replies
                    and p.tokens + (now - p.updated) * lim.chat_per_second >= lim.chat_burst]:
            del self._chats[key]

    def _pause(self, chat_id: int | str, seconds: float) -> None:
        now = self._clock.monotonic()
        pace = self._pace(chat_id, now)
        pace.paused_until = max(pace.paused_until, now + seconds)
        self.chat_pauses += 1

    async def _wait_for_turn(self, chat_id: int | str) -> None:
        """Sleep until the chat may receive (pause, bucket, group window), then take the next
        overall slot. The chat's bucket and window are charged at the slot's time, when the
        message really leaves (a reply queued behind others must not count as sent earlier).
        Only this request's own coroutine sleeps: other chats go on meanwhile."""
        lim = self.limits
        is_group = isinstance(chat_id, str) or chat_id < 0
        while True:
            now = self._clock.monotonic()
            pace = self._pace(chat_id, now)
            since = max(now, pace.updated)  # the chat's last slot may still be ahead
            tokens = min(float(lim.chat_burst),
                         pace.tokens + (since - pace.updated) * lim.chat_per_second)
            ready = max(since + max(0.0, 1.0 - tokens) / lim.chat_per_second, pace.paused_until)
            if is_group:
                while pace.sent and pace.sent[0] <= now - lim.group_window:
                    pace.sent.popleft()
                if len(pace.sent) >= lim.group_per_minute:
                    ready = max(ready, pace.sent[-lim.group_per_minute] + lim.group_window)
            if ready <= now:
                break
            await self._clock.wait((), ready - now)
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / lim.overall_per_second
        pace.tokens = min(float(lim.chat_burst),
                          pace.tokens + (slot - pace.updated) * lim.chat_per_second) - 1.0
        pace.updated = slot
        if is_group:
            pace.sent.append(slot)  # slots only ever increase: the window stays in order
        if slot > now:
            await self._clock.wait((), slot - now)
        await self._within_second_cap()

    async def _within_second_cap(self) -> None:
        """The hard cap: fewer than ``overall_per_second`` sends started in the last second, by
        the clock, however the slots bunched (a busy event loop wakes several timers at once)."""
        cap = max(1, int(self.limits.overall_per_second))
        while True:
            now = self._clock.monotonic()
            while self._started and self._started[0] <= now - 1.0 + 1e-6:  # float rounding
                self._started.popleft()
            if len(self._started) < cap:
                self._started.append(now)
                return
            await self._clock.wait((), self._started[0] + 1.0 - now)
