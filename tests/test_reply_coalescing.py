"""Replies to a chat that are still waiting in the reply pacer are merged into one message.

A real PTB bot with the bot's :class:`ReplyRateLimiter` posts over HTTP to the fake Bot API on
loopback (its flood limits on, scaled like the end-to-end tests'). The pacer lets a chat have one
message at once and then one every 0.1 s, so the first message of a test goes out at once and the
next ones wait their turn: the replies sent together meanwhile are what gets merged. No timing is
asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Defaults, ExtBot

from bot.app.replies import ReplyLimits, ReplyRateLimiter
from bot.app.updates import ChatOrderedUpdates
from bot.render.i18n import Html
from bot.render.parts import Button, MessagePart
from handlers.common import reply
from tests.e2e.conftest import E2E_CHAT_PER_SECOND
from tests.e2e.fake_bot_api import Chat, FakeBotApi, User
from tests.test_reader_concurrency import VirtualTime, _update

ONE_AT_A_TIME = ReplyLimits(chat_burst=1, chat_per_second=10.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """The fake Telegram with its flood limits on, a chat's pace scaled as the e2e tests'."""
    async with FakeBotApi() as api:
        api.rate_limits.per_chat_per_second = E2E_CHAT_PER_SECOND
        yield api


@pytest.fixture
async def paced(fake: FakeBotApi) -> AsyncIterator[ExtBot[Any]]:
    """The bot as ``NewsBot`` builds it: HTML by default, no link previews, the reply pacer."""
    bot: ExtBot[Any] = ExtBot(
        fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url,
        defaults=Defaults(parse_mode=ParseMode.HTML,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
        rate_limiter=ReplyRateLimiter(ONE_AT_A_TIME),
    )
    async with bot:
        yield bot


@pytest.fixture
def reader(fake: FakeBotApi) -> tuple[User, Chat]:
    user = fake.add_user("Reader")
    return user, fake.private_chat(user)


def _keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label)]])


def _texts(fake: FakeBotApi, chat: Chat) -> list[str]:
    return [m.text or "" for m in fake.messages_in(chat, from_bot=True)]


def _merged(bot: ExtBot[Any]) -> int:
    limiter = bot.rate_limiter
    assert isinstance(limiter, ReplyRateLimiter)
    return limiter.merged


def _updates_of(bot: ExtBot[Any], chat: Chat, *numbers: int) -> list[Update]:
    """Updates from ``chat`` whose replies go out through ``bot``, as PTB's own would."""
    updates = [_update(n, chat.id) for n in numbers]
    for update in updates:
        assert update.effective_chat is not None
        update.effective_chat.set_bot(bot)
    return updates


async def _answer(update: Update, *texts: str) -> None:
    """A handler's last step: its reply, one part per text, through ``handlers.common.reply``."""
    await reply(update, [MessagePart(Html(text)) for text in texts])


async def _together(bot: ExtBot[Any], chat: Chat, *texts: str,
                    markups: dict[str, InlineKeyboardMarkup] | None = None) -> list[Message]:
    """Send ``texts`` to ``chat`` at once, after one message that leaves at once (the chat's
    burst), so that these wait for the chat's next second."""
    await bot.send_message(chat.id, "first")
    markups = markups or {}
    return list(await asyncio.gather(*(
        bot.send_message(chat.id, text, reply_markup=markups.get(text)) for text in texts)))


async def test_replies_waiting_for_their_chat_leave_as_one_message(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    sent = await _together(paced, chat, "<b>two</b>", "three", "four")
    # the old pacer sent four messages, the last three a second apart
    assert _texts(fake, chat) == ["first", "two\n\nthree\n\nfour"]
    assert _merged(paced) == 2
    # every caller gets the message its text went out in
    assert all(isinstance(m, Message) for m in sent)
    assert {m.message_id for m in sent} == {fake.messages_in(chat, from_bot=True)[1].message_id}
    assert fake.messages_in(chat, from_bot=True)[1].entities[0]["type"] == "bold"


async def test_a_reply_already_sent_is_not_merged_into(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    await paced.send_message(chat.id, "first")  # on the wire at once: nothing waits
    await paced.send_message(chat.id, "second")  # waits its second, alone
    await paced.send_message(chat.id, "third")
    assert _texts(fake, chat) == ["first", "second", "third"]
    assert _merged(paced) == 0


async def test_replies_are_merged_only_within_telegrams_length_once_parsed(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    entities = "&lt;" * 1500  # 6000 characters of HTML, 1500 once parsed
    await _together(paced, chat, entities, entities, "x" * 3000)
    assert _texts(fake, chat) == ["first", "<" * 1500 + "\n\n" + "<" * 1500, "x" * 3000]


async def test_a_message_with_a_keyboard_is_never_merged(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    # a button's callback edits the whole message it sits under: merged with another answer,
    # paging a search would wipe that answer away
    _, chat = reader
    await _together(paced, chat, "plain", "menu", "second menu", "after", "last",
                    markups={"menu": _keyboard("a"), "second menu": _keyboard("b")})
    messages = fake.messages_in(chat, from_bot=True)
    assert [m.text for m in messages] == ["first", "plain", "menu", "second menu", "after\n\nlast"]
    assert [[b["text"] for b in m.buttons] for m in messages] == [[], [], ["a"], ["b"], []]


async def test_different_options_are_not_merged(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    await paced.send_message(chat.id, "first")
    await asyncio.gather(paced.send_message(chat.id, "loud"),
                         paced.send_message(chat.id, "quiet", disable_notification=True),
                         paced.send_message(chat.id, "*plain*", parse_mode=None))
    assert _texts(fake, chat) == ["first", "loud", "quiet", "*plain*"]


async def test_a_chats_replies_keep_their_order(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    numbers = [str(i) for i in range(12)]
    menus = {n: _keyboard(n) for n in numbers if int(n) % 4 == 3}  # some cannot take followers
    await _together(paced, chat, *numbers, markups=menus)
    texts = _texts(fake, chat)
    assert [n for text in texts[1:] for n in text.split("\n\n")] == numbers
    assert len(texts) < 1 + len(numbers)


async def test_a_failed_merged_message_fails_every_caller(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    user, chat = reader
    await paced.send_message(chat.id, "first")
    fake.block(user)
    results = await asyncio.gather(paced.send_message(chat.id, "two"),
                                   paced.send_message(chat.id, "three"), return_exceptions=True)
    assert _merged(paced) == 1
    assert all(isinstance(r, Forbidden) for r in results), results


async def test_a_flood_limited_merged_message_is_retried_once_for_all(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    fake.flood_chat(chat, retry_after=1)
    first = asyncio.ensure_future(paced.send_message(chat.id, "a"))
    await fake.wait_for(lambda: fake.throttle_log, 5.0, "the 429")
    # "a" waits out its chat's pause: the replies that come meanwhile join it
    sent = [*await asyncio.gather(*(paced.send_message(chat.id, t) for t in ("b", "c"))),
            await first]
    assert _texts(fake, chat) == ["a\n\nb\n\nc"]
    assert len(fake.throttle_log) == 1  # one 429, one retry of the merged message
    assert len({m.message_id for m in sent}) == 1


async def test_a_chats_next_update_starts_while_its_reply_waits(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    """Updates of one chat run one at a time; a handler whose reply is queued hands the chat on,
    so a reader's burst of commands is answered in one message. The old processor held the chat
    until the reply had gone: ten /ping, ten messages, one per turn."""
    _, chat = reader
    processor = ChatOrderedUpdates()
    await paced.send_message(chat.id, "first")

    async def ping(n: int) -> None:
        await paced.send_message(chat.id, f"pong {n}")

    await asyncio.gather(*(processor.process_update(_update(n, chat.id), ping(n))
                           for n in range(10)))
    assert _texts(fake, chat) == ["first", "\n\n".join(f"pong {n}" for n in range(10))]
    assert processor.waiting_chats == 0


async def test_the_parts_of_one_reply_stay_apart_and_the_next_update_follows_them(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    """A reply's parts were cut apart on purpose: they are not merged with each other, and the
    chat's next update (started while they wait) comes after the last of them, not in between."""
    _, chat = reader
    processor = ChatOrderedUpdates()
    await paced.send_message(chat.id, "first")
    updates = _updates_of(paced, chat, 1, 2)
    await asyncio.gather(
        processor.process_update(updates[0], _answer(updates[0], "part 1", "part 2", "part 3")),
        processor.process_update(updates[1], _answer(updates[1], "pong")))
    assert _texts(fake, chat) == ["first", "part 1", "part 2", "part 3\n\npong"]


async def test_a_caller_that_stops_waiting_takes_back_only_its_own_text(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    await paced.send_message(chat.id, "first")
    sends = [asyncio.ensure_future(paced.send_message(chat.id, t)) for t in ("a", "b", "c")]
    await asyncio.sleep(0)  # all three queued: "b" and "c" merged into "a"
    sends[0].cancel()  # the message's own first caller gives up: the others' texts still go
    await asyncio.gather(*sends, return_exceptions=True)
    assert _texts(fake, chat) == ["first", "b\n\nc"]
    assert sends[0].cancelled() and sends[1].result().message_id == sends[2].result().message_id


async def test_after_a_failed_part_the_rest_of_that_reply_is_withdrawn_but_not_others_replies(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    _, chat = reader
    processor = ChatOrderedUpdates()
    await paced.send_message(chat.id, "first")
    updates = _updates_of(paced, chat, 1, 2)
    outcomes = await asyncio.gather(
        processor.process_update(updates[0], _answer(updates[0], "<b>unclosed", "two", "three")),
        processor.process_update(updates[1], _answer(updates[1], "pong")),
        return_exceptions=True)
    assert isinstance(outcomes[0], BadRequest) and outcomes[1] is None
    # "pong" was merged into "three": it goes out alone
    assert _texts(fake, chat) == ["first", "pong"]


async def test_a_message_refused_for_its_text_sends_each_merged_answer_alone(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    """A 400 is about the request: one update's malformed answer must not take down the other
    answers merged into its message. The old pacer failed them all with its BadRequest."""
    _, chat = reader
    await paced.send_message(chat.id, "first")
    results = await asyncio.gather(*(paced.send_message(chat.id, text)
                                     for text in ("one", "<b>unclosed", "three")),
                                   return_exceptions=True)
    assert isinstance(results[1], BadRequest)
    assert isinstance(results[0], Message) and isinstance(results[2], Message), results
    assert _texts(fake, chat) == ["first", "one", "three"]


async def test_a_chat_flooding_answers_that_cannot_merge_is_paced_by_its_replies() -> None:
    """A chat's next update starts while its reply waits; but answers that cannot merge (a
    search with its buttons) queue one message each, so a chat flooding the bot would have all
    its handlers run at once and their messages held for minutes. Past a short backlog the next
    update waits for the reply, as before merging. Unbounded, all 20 handlers ran at once."""
    time = VirtualTime()
    limits = ReplyLimits()
    limiter = ReplyRateLimiter(limits, clock=time)
    processor = ChatOrderedUpdates()
    started = sent = ahead = 0

    async def post(data: dict[str, Any]) -> bool:
        nonlocal sent
        sent += 1
        return True

    async def search(n: int) -> None:
        nonlocal started, ahead
        started += 1
        ahead = max(ahead, started - sent)  # handlers run whose reply has not gone yet
        data = {"chat_id": 7, "text": f"results {n}", "reply_markup": {"inline_keyboard": []}}
        await limiter.process_request(post, (data,), {}, "sendMessage", data, None)

    await time.run(asyncio.gather(*(processor.process_update(_update(n, 7), search(n))
                                    for n in range(1, 21))))
    assert sent == 20
    assert ahead <= limits.chat_backlog + 1


async def test_an_earlier_updates_late_message_is_not_merged_into_a_later_answer(
        fake: FakeBotApi, reader: tuple[User, Chat]) -> None:
    """A reply fails on the wire after its chat was handed on: the error handler's notice (still
    the earlier update's) must not be appended to the next update's answer, where it would read
    as that answer going wrong. The old pacer merged it: "b\\n\\nc\\n\\nerror"."""
    _, chat = reader
    bot: ExtBot[Any] = ExtBot(fake.token, base_url=fake.base_url,
                              base_file_url=fake.base_file_url,
                              defaults=Defaults(parse_mode=ParseMode.HTML),
                              rate_limiter=ReplyRateLimiter(
                                  ReplyLimits(chat_burst=1, chat_per_second=2.0)))
    processor = ChatOrderedUpdates()
    updates = _updates_of(bot, chat, 1, 2, 3)

    async def failing(update: Update) -> None:
        try:  # a menu (it cannot take other answers in) whose HTML Telegram refuses
            await reply(update, [MessagePart(Html("<b>unclosed"), keyboard=((Button("x", "x"),),))])
        except BadRequest:  # what handlers.errors.on_error does, in the update's own context
            await reply(update, [MessagePart(Html("error"))])

    async with bot:
        await bot.send_message(chat.id, "first")
        await asyncio.gather(processor.process_update(updates[0], failing(updates[0])),
                             processor.process_update(updates[1], _answer(updates[1], "b")),
                             processor.process_update(updates[2], _answer(updates[2], "c")))
    assert _texts(fake, chat) == ["first", "b\n\nc", "error"]


async def test_a_merged_message_refused_for_its_chat_is_not_sent_again_per_answer(
        fake: FakeBotApi, paced: ExtBot[Any]) -> None:
    """Only a refusal of the text is one answer's: "chat not found" is every answer's, and
    sending each again would cost the chat a second per answer to learn the same."""
    gone = 424242  # no such chat
    with pytest.raises(BadRequest):
        await paced.send_message(gone, "first")
    results = await asyncio.gather(*(paced.send_message(gone, t) for t in ("a", "b", "c")),
                                   return_exceptions=True)
    assert all(isinstance(r, BadRequest) for r in results), results
    assert len([c for c in fake.api_log if c.method == "sendMessage"]) == 2


async def test_a_chat_action_before_the_work_does_not_hand_the_chat_on(
        fake: FakeBotApi, paced: ExtBot[Any], reader: tuple[User, Chat]) -> None:
    """ "typing…" is sent before a handler's work, not as its last step: the chat's next update
    must not start meanwhile (a /subscribe's write racing the /unsubscribe after it). Handing
    over on any paced request started update 2 while update 1 still worked."""
    _, chat = reader
    processor = ChatOrderedUpdates()
    log: list[str] = []

    async def slow(n: int) -> None:
        log.append(f"{n} start")
        await paced.send_chat_action(chat.id, "typing")
        log.append(f"{n} work")  # the handler's state change, after its chat action
        await paced.send_message(chat.id, f"done {n}")

    await asyncio.gather(*(processor.process_update(_update(n, chat.id), slow(n))
                           for n in (1, 2)))
    assert log == ["1 start", "1 work", "2 start", "2 work"]
