"""The fake Bot API must refuse what Telegram refuses, in the shape PTB turns into the right
exception, or the end-to-end tests built on it would pass bugs that real Telegram rejects."""

from __future__ import annotations

import asyncio
import datetime as dtm
import re
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter

from tests.e2e.fake_bot_api import (
    DEFAULT_TOKEN,
    TELEGRAM_TEXT_LIMIT,
    EntityParseError,
    FakeBotApi,
    finish_text,
    parse_html,
    utf16_len,
)

# PTB itself touches the deprecated int form of RetryAfter.retry_after while building the error.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# ------------------------------------------------------------------------------------ HTML parser


def _types(entities: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(e["type"], e["offset"], e["length"]) for e in entities]


def test_html_every_supported_tag_becomes_its_entity() -> None:
    text, entities = parse_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><code>c</code><a href="https://x.org/">a</a>'
    )
    assert text == "bsieunskdpqca"
    assert [e["type"] for e in entities] == [
        "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough",
        "strikethrough", "strikethrough", "spoiler", "spoiler", "code", "text_link",
    ]  # fmt: skip
    assert entities[-1]["url"] == "https://x.org/"


def test_html_offsets_are_utf16_code_units() -> None:
    text, entities = parse_html("😀台风 <b>黄色预警</b> 🌀<i>x</i>")
    assert text == "😀台风 黄色预警 🌀x"
    assert _types(entities) == [("bold", 5, 4), ("italic", 12, 1)]


def test_html_pre_with_language_and_blockquotes() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>\n'
        '<code class="language-go">y</code>\n<blockquote>q</blockquote>\n'
        "<blockquote expandable>long</blockquote>"
    )
    assert text == "x = 1\ny\nq\nlong"
    assert entities[0] == {"type": "pre", "offset": 0, "length": 5, "language": "python"}
    assert entities[1] == {"type": "code", "offset": 6, "length": 1}  # no language outside <pre>
    assert _types(entities[2:]) == [("blockquote", 8, 1), ("expandable_blockquote", 10, 4)]


def test_html_entities_tags_case_and_nesting() -> None:
    text, entities = parse_html("<B>a &lt;&gt;&amp;&quot; &#20013;&#x6587; <I>n</I></B>")
    assert text == 'a <>&" 中文 n'
    assert _types(entities) == [("bold", 0, 11), ("italic", 10, 1)]


def test_html_custom_emoji_and_user_mention() -> None:
    text, entities = parse_html(
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> <a href="tg://user?id=42">Li</a>',
        resolve_user=lambda uid: {"id": uid, "is_bot": False, "first_name": "Li"},
    )
    assert text == "👍 Li"
    assert entities[0]["type"] == "custom_emoji"
    assert entities[0]["custom_emoji_id"] == "5368324170671202286"
    assert entities[1]["type"] == "text_mention" and entities[1]["user"]["id"] == 42


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("价格 < 100", 'Unsupported start tag "" at byte offset 7'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a<b", "Unclosed start tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<b bold>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("AT&T", 'Character "&" must be escaped as "&amp;" at byte offset 2'),
        (
            "&#xD800;",
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units",
        ),
    ],
)
def test_html_hostile_input_is_refused_like_telegram(html: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as info:
        parse_html(html)
    assert str(info.value) == reason


def test_html_bare_ampersand_passes_when_not_strict() -> None:
    assert parse_html("AT&T", strict_ampersand=False) == ("AT&T", [])


def test_trimming_moves_entities_like_telegram() -> None:
    text, entities = parse_html("  <b> hi </b>  \n")
    assert finish_text(text, entities) == ("hi", [{"type": "bold", "offset": 0, "length": 2}])


# ------------------------------------------------------------------------------------ helpers


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


@pytest.fixture
def no_flood_limits(fake_bot_api: FakeBotApi) -> FakeBotApi:
    fake_bot_api.rate_limits.enabled = False
    return fake_bot_api


# ------------------------------------------------------------------------------------ sending


async def test_get_me_reports_privacy_mode(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    me = await tg_bot.get_me()
    assert me.id == fake_bot_api.bot_id and me.username == "newsbrief_test_bot"
    assert me.can_read_all_group_messages is False


async def test_wrong_token_is_unauthorized(fake_bot_api: FakeBotApi) -> None:
    bot = Bot("123:wrong", base_url=fake_bot_api.base_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()


async def test_html_message_is_stored_as_plain_text_and_entities(
    tg_bot: Bot, fake_bot_api: FakeBotApi
) -> None:
    user = fake_bot_api.add_user("Li", language_code="zh-hans")
    sent = await tg_bot.send_message(
        user.id, "<b>台风</b> &lt;卡努&gt;", parse_mode="HTML", reply_markup=_keyboard("a:1")
    )
    assert sent.text == "台风 <卡努>"
    [stored] = fake_bot_api.messages_in(user.id)
    assert stored.text == "台风 <卡努>"
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert stored.buttons == [{"text": "a:1", "callback_data": "a:1"}]


async def test_unparseable_html_is_bad_request(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    with pytest.raises(BadRequest, match=r'(?i)can\'t parse entities: unsupported start tag "n"'):
        await tg_bot.send_message(user.id, "温度 <n> 度", parse_mode="HTML")
    assert fake_bot_api.messages_in(user.id) == []


async def test_text_limits_count_utf16_after_parsing(
    tg_bot: Bot, no_flood_limits: FakeBotApi
) -> None:
    api = no_flood_limits
    user = api.add_user()
    await tg_bot.send_message(
        user.id, "<b>" + "字" * TELEGRAM_TEXT_LIMIT + "</b>", parse_mode="HTML"
    )
    await tg_bot.send_message(user.id, "😀" * (TELEGRAM_TEXT_LIMIT // 2))
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg_bot.send_message(user.id, "😀" * (TELEGRAM_TEXT_LIMIT // 2) + "x")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await tg_bot.send_message(user.id, "<b> </b>\n", parse_mode="HTML")
    assert [utf16_len(m.text or "") for m in api.messages_in(user.id)] == [4096, 4096]


async def test_callback_data_is_limited_to_64_bytes(
    tg_bot: Bot, no_flood_limits: FakeBotApi
) -> None:
    user = no_flood_limits.add_user()
    await tg_bot.send_message(user.id, "ok", reply_markup=_keyboard("x" * 64))
    for data in ("x" * 65, "台风" * 11):  # 22 characters, 66 bytes
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await tg_bot.send_message(user.id, "no", reply_markup=_keyboard(data))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await tg_bot.send_message(
            user.id, "no", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("bare")]])
        )


async def test_reply_to_missing_message_is_refused(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await tg_bot.send_message(user.id, "x", reply_parameters=ReplyParameters(message_id=999))
    first = await tg_bot.send_message(user.id, "first")
    reply = await tg_bot.send_message(user.id, "re", reply_to_message_id=first.message_id)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == first.message_id


async def test_edits_deletes_and_not_modified(tg_bot: Bot, no_flood_limits: FakeBotApi) -> None:
    api = no_flood_limits
    user = api.add_user()
    sent = await tg_bot.send_message(user.id, "<b>v1</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg_bot.edit_message_text("<b>v1</b>", user.id, sent.message_id, parse_mode="HTML")
    await tg_bot.edit_message_text("v1", user.id, sent.message_id)  # entities differ: allowed
    await tg_bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=_keyboard("k"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg_bot.edit_message_reply_markup(
            user.id, sent.message_id, reply_markup=_keyboard("k")
        )
    [stored] = api.messages_in(user.id)
    assert (stored.text, len(stored.edits), stored.buttons[0]["callback_data"]) == ("v1", 2, "k")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg_bot.edit_message_text("x", user.id, 999)
    assert await tg_bot.delete_message(user.id, sent.message_id)
    assert api.messages_in(user.id) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg_bot.delete_message(user.id, sent.message_id)


async def test_callback_query_round_trip(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    await tg_bot.send_message(user.id, "pick", reply_markup=_keyboard("s:1", "s:2"))
    [message] = fake_bot_api.messages_in(user.id)
    pressed = fake_bot_api.press_button(user, message, "s:2")
    [update] = await tg_bot.get_updates()
    assert update.update_id == pressed["update_id"]
    assert update.callback_query is not None and update.callback_query.data == "s:2"
    await update.callback_query.answer("done", show_alert=True)
    answer = fake_bot_api.callback_answers[0]
    assert (answer.text, answer.show_alert) == ("done", True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer()
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await tg_bot.answer_callback_query("12345")
    with pytest.raises(ValueError, match="no button"):
        fake_bot_api.press_button(user, message, "s:3")


async def test_documents_upload_get_file_and_download(
    tg_bot: Bot, fake_bot_api: FakeBotApi
) -> None:
    admin = fake_bot_api.add_user("Admin")
    update = fake_bot_api.send_document(admin, admin.id, "xsrb-2023-07-31-01.txt", "版面".encode())
    assert update is not None
    file = await tg_bot.get_file(update["message"]["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == "版面".encode()
    sent = await tg_bot.send_document(
        admin.id, b"digest", filename="d.txt", caption="<i>c</i>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.caption == "c"
    with pytest.raises(BadRequest, match=r"(?i)wrong file_id"):
        await tg_bot.get_file("nope")


# ------------------------------------------------------------------------------------ refusals


async def test_blocked_deactivated_kicked_and_unknown_chats(
    tg_bot: Bot, fake_bot_api: FakeBotApi
) -> None:
    api = fake_bot_api
    blocker, gone, stranger = api.add_user(), api.add_user(), api.add_user(started=False)
    api.block(blocker)
    api.deactivate(gone)
    group = api.add_group("Kicked us", members=[gone], bot_status="kicked")
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await tg_bot.send_message(blocker.id, "x")
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await tg_bot.send_message(gone.id, "x")
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation"):
        await tg_bot.send_message(stranger.id, "x")
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await tg_bot.send_message(group.id, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg_bot.send_message(-42, "x")


async def test_block_and_unblock_send_my_chat_member(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    fake_bot_api.block(user)
    fake_bot_api.unblock(user)
    updates = await tg_bot.get_updates()
    statuses = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
        if u.my_chat_member
    ]
    assert statuses == [("member", "kicked"), ("kicked", "member")]
    await tg_bot.send_message(user.id, "welcome back")


async def test_migrated_group_raises_chat_migrated(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    owner = fake_bot_api.add_user("Owner")
    group = fake_bot_api.add_group("Residents", creator=owner)
    supergroup = fake_bot_api.migrate_group(group)
    with pytest.raises(ChatMigrated) as info:
        await tg_bot.send_message(group.id, "digest")
    assert info.value.new_chat_id == supergroup.id
    await tg_bot.send_message(supergroup.id, "digest")
    updates = await tg_bot.get_updates()
    service = [u.message for u in updates if u.message]
    assert (service[0].migrate_to_chat_id, service[1].migrate_from_chat_id) == (
        supergroup.id,
        group.id,
    )


async def test_channel_needs_post_rights(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    can = fake_bot_api.add_channel("News", username="news_channel")
    cannot = fake_bot_api.add_channel("Other", bot_status="member")
    await tg_bot.send_message("@news_channel", "post")
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
        await tg_bot.send_message(cannot.id, "post")
    member = await tg_bot.get_chat_member(can.id, fake_bot_api.bot_id)
    assert isinstance(member, ChatMemberAdministrator) and member.can_post_messages


async def test_get_chat_member_statuses(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    owner, admin, reader, outsider = (fake_bot_api.add_user(n) for n in "ORAX")
    group = fake_bot_api.add_group(
        "G", supergroup=True, creator=owner, admins=[admin], members=[reader]
    )
    assert isinstance(await tg_bot.get_chat_member(group.id, owner.id), ChatMemberOwner)
    assert isinstance(await tg_bot.get_chat_member(group.id, admin.id), ChatMemberAdministrator)
    assert (await tg_bot.get_chat_member(group.id, reader.id)).status == "member"
    assert isinstance(await tg_bot.get_chat_member(group.id, outsider.id), ChatMemberLeft)
    fake_bot_api.set_member(group, reader, "kicked")
    assert (await tg_bot.get_chat_member(group.id, reader.id)).status == "kicked"
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await tg_bot.get_chat_member(group.id, 5)
    chat = await tg_bot.get_chat(group.id)
    assert (chat.type, chat.title) == ("supergroup", "G")


# ------------------------------------------------------------------------------------ flood control


async def test_per_chat_burst_then_retry_after(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    for i in range(fake_bot_api.rate_limits.per_chat_burst):
        await tg_bot.send_message(user.id, f"m{i}")
    with pytest.raises(RetryAfter) as info:
        await tg_bot.send_message(user.id, "one too many")
    assert _seconds(info.value) >= 1
    assert [r.reason for r in fake_bot_api.throttle_log] == ["per_chat"]
    assert fake_bot_api.counters["accepted_sends"] == 3


async def test_group_limit_is_20_per_minute(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.rate_limits.per_chat_burst = 100
    group = fake_bot_api.add_group("Busy")
    for i in range(20):
        await tg_bot.send_message(group.id, f"m{i}")
    with pytest.raises(RetryAfter) as info:
        await tg_bot.send_message(group.id, "21st")
    assert 1 <= _seconds(info.value) <= 60
    assert fake_bot_api.counters["throttled_by_reason"] == {"group": 1}


async def test_global_limit(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.rate_limits.global_per_second = 5
    users = [fake_bot_api.add_user() for _ in range(6)]
    for user in users[:5]:
        await tg_bot.send_message(user.id, "hi")
    with pytest.raises(RetryAfter):
        await tg_bot.send_message(users[5].id, "hi")
    assert fake_bot_api.throttle_log[0].reason == "global"


async def test_storm_answers_429_to_a_seeded_fraction(
    tg_bot: Bot, no_flood_limits: FakeBotApi
) -> None:
    api = no_flood_limits
    user = api.add_user()
    api.start_storm(0.5, retry_after=3, seed=7)
    outcomes = []
    for i in range(40):
        try:
            await tg_bot.send_message(user.id, f"m{i}")
            outcomes.append(True)
        except RetryAfter as exc:
            assert _seconds(exc) == 3
            outcomes.append(False)
    api.stop_storm()
    await tg_bot.send_message(user.id, "calm again")
    assert 5 < outcomes.count(False) < 35
    assert api.counters["throttled_by_pacing"] == 0
    assert api.counters["accepted_sends"] == outcomes.count(True) + 1
    assert all(r.at <= time.monotonic() for r in api.sent_log)


# ------------------------------------------------------------------------------------ privacy


async def test_privacy_mode_in_groups(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    api = fake_bot_api
    reader = api.add_user("Reader")
    group = api.add_group("Neighbours", members=[reader])
    assert api.send_text(reader, group, "今天有台风吗") is None
    assert api.send_text(reader, group, "/search@other_bot 台风") is None
    assert api.send_text(reader, group, "/search 台风") is not None
    assert api.send_text(reader, group, "/search@Newsbrief_Test_Bot 台风") is not None
    bot_message = await tg_bot.send_message(group.id, "结果")
    assert api.send_text(reader, group, "谢谢", reply_to=bot_message.to_dict()) is not None
    updates = await tg_bot.get_updates()
    assert [u.message.text for u in updates if u.message] == [
        "/search 台风", "/search@Newsbrief_Test_Bot 台风", "谢谢",
    ]  # fmt: skip
    assert updates[0].message is not None
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.entities[0].length == len("/search")
    assert len(api.messages_in(group)) == 6  # the chat itself saw everything


async def test_bot_admins_and_service_messages_bypass_privacy(
    tg_bot: Bot, fake_bot_api: FakeBotApi
) -> None:
    api = fake_bot_api
    owner = api.add_user("Owner")
    group = api.add_group("New", creator=owner, bot_status="left")
    added = api.add_bot_to_group(group, owner)
    assert [next(k for k in u if k != "update_id") for u in added] == ["my_chat_member", "message"]
    assert api.send_text(owner, group, "plain chatter") is None
    admin_group = api.add_group("Admin", members=[owner], bot_status="administrator")
    assert api.send_text(owner, admin_group, "plain chatter") is not None
    updates = await tg_bot.get_updates()
    assert updates[1].message is not None
    assert updates[1].message.new_chat_members[0].id == api.bot_id


# ------------------------------------------------------------------------------------ long polling


async def test_long_poll_waits_for_an_update_and_offsets_confirm(
    tg_bot: Bot, fake_bot_api: FakeBotApi
) -> None:
    user = fake_bot_api.add_user()
    poll = asyncio.create_task(tg_bot.get_updates(timeout=10))
    await fake_bot_api.wait_for(lambda: fake_bot_api.active_polls == 1, what="a long poll")
    started = time.monotonic()
    first = fake_bot_api.send_text(user, user.id, "/start")
    [update] = await poll
    assert time.monotonic() - started < 5
    assert first is not None and update.update_id == first["update_id"]
    second = fake_bot_api.send_text(user, user.id, "/help")
    assert second is not None and second["update_id"] > first["update_id"]
    assert [u.update_id for u in await tg_bot.get_updates()] == [
        first["update_id"], second["update_id"],
    ]  # fmt: skip
    assert [u.update_id for u in await tg_bot.get_updates(offset=second["update_id"])] == [
        second["update_id"]
    ]
    assert await tg_bot.get_updates(offset=second["update_id"] + 1) == ()
    assert fake_bot_api.pending_updates == []


async def test_long_poll_times_out_empty(tg_bot: Bot) -> None:
    started = time.monotonic()
    assert await tg_bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.3


async def test_allowed_updates_filters_new_updates(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    await tg_bot.get_updates(allowed_updates=["callback_query"])
    assert fake_bot_api.send_text(user, user.id, "/start") is None
    assert await tg_bot.get_updates() == ()


async def test_second_poller_terminates_the_first(fake_bot_api: FakeBotApi) -> None:
    kwargs = {"base_url": fake_bot_api.base_url}
    async with (
        Bot(fake_bot_api.token, **kwargs) as first,
        Bot(fake_bot_api.token, **kwargs) as second,
    ):
        poll = asyncio.create_task(first.get_updates(timeout=10))
        await fake_bot_api.wait_for(lambda: fake_bot_api.active_polls == 1, what="a long poll")
        await second.get_updates(timeout=0)
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await poll


# ------------------------------------------------------------------------------------ webhooks

# (url, received (body, secret header) pairs, status codes to answer with before 200s)
Receiver = tuple[str, list[tuple[dict[str, Any], str]], list[int]]


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[Receiver]:
    """A loopback HTTP endpoint recording what it receives; answers with queued status codes."""
    received: list[tuple[dict[str, Any], str]] = []
    statuses: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))
        )
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook", received, statuses
    finally:
        await runner.cleanup()


async def test_webhook_delivers_with_secret_and_retries(
    tg_bot: Bot,
    fake_bot_api: FakeBotApi,
    webhook_receiver: Receiver,
) -> None:
    url, received, statuses = webhook_receiver
    user = fake_bot_api.add_user()
    statuses.append(500)  # the first attempt fails; Telegram retries the same update
    assert await tg_bot.set_webhook(url, secret_token="s3cret_token-1")
    with pytest.raises(Conflict, match="webhook is active"):
        await tg_bot.get_updates()
    update = fake_bot_api.send_text(user, user.id, "/start")
    assert update is not None
    await fake_bot_api.wait_for(lambda: fake_bot_api.pending_updates == [], what="delivery")
    assert [body["update_id"] for body, _ in received] == [update["update_id"]] * 2
    assert {secret for _, secret in received} == {"s3cret_token-1"}
    assert [d.ok for d in fake_bot_api.webhook_deliveries] == [False, True]
    info = await tg_bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500"
    assert await tg_bot.delete_webhook()
    assert await tg_bot.get_updates() == ()


async def test_webhook_must_be_loopback_and_secret_well_formed(tg_bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await tg_bot.set_webhook("https://example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await tg_bot.set_webhook("http://127.0.0.1:9/hook", secret_token="has space")


# ------------------------------------------------------------------------------------ commands


async def test_commands_per_scope_and_language(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    api = fake_bot_api
    zh_user, en_user = api.add_user(language_code="zh-hans"), api.add_user(language_code="en")
    await tg_bot.set_my_commands([BotCommand("search", "Search")])
    await tg_bot.set_my_commands([BotCommand("search", "搜索")], language_code="zh")
    await tg_bot.set_my_commands(
        [BotCommand("digest", "每日摘要")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="zh",
    )
    group = api.add_group("G", members=[zh_user])
    await tg_bot.set_my_commands(
        [BotCommand("alerts", "台风")], scope=BotCommandScopeChat(group.id)
    )
    assert [c.command for c in await tg_bot.get_my_commands(language_code="zh")] == ["search"]
    assert api.commands(language_code="zh") == [{"command": "search", "description": "搜索"}]
    assert api.commands_for(zh_user, zh_user.id)[0]["command"] == "digest"
    assert api.commands_for(en_user, en_user.id)[0]["description"] == "Search"
    assert api.commands_for(zh_user, group)[0]["command"] == "alerts"
    await tg_bot.delete_my_commands(scope=BotCommandScopeAllGroupChats())
    await tg_bot.delete_my_commands(language_code="zh")
    assert await tg_bot.get_my_commands(language_code="zh") == ()


@pytest.mark.parametrize(
    ("commands", "language_code", "reason"),
    [
        ([BotCommand("Search", "x")], None, "bot_command_invalid"),
        ([BotCommand("搜索", "x")], None, "bot_command_invalid"),
        ([BotCommand("a" * 33, "x")], None, "bot_command_invalid"),
        ([BotCommand("search", "")], None, "bot_command_description_invalid"),
        ([BotCommand("search", "x" * 257)], None, "bot_command_description_invalid"),
        ([BotCommand("search", "x")], "zh-hans", "invalid language code"),
    ],
)
async def test_invalid_commands_are_refused(
    tg_bot: Bot, commands: list[BotCommand], language_code: str | None, reason: str
) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){reason}"):
        await tg_bot.set_my_commands(commands, language_code=language_code)


async def test_wait_for_messages_is_event_driven(tg_bot: Bot, fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user()
    waiter = asyncio.create_task(fake_bot_api.wait_for_messages(user, 2, timeout=5))
    await tg_bot.send_message(user.id, "one")
    await tg_bot.send_message(user.id, "two")
    assert [m.text for m in await waiter] == ["one", "two"]
    with pytest.raises(TimeoutError, match="3 bot message"):
        await fake_bot_api.wait_for_messages(user, 3, timeout=0.05)


# ------------------------------------------------------------------------------- PTB Application


async def test_ptb_application_polls_replies_and_confirms(fake_bot_api: FakeBotApi) -> None:
    """The same path `newsbrief run` takes: Application + Updater long polling."""
    from telegram import Update
    from telegram.ext import Application, CommandHandler, ContextTypes

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "<b>欢迎</b>", parse_mode="HTML")

    app = (
        Application.builder()
        .token(fake_bot_api.token)
        .base_url(fake_bot_api.base_url)
        .base_file_url(fake_bot_api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    user = fake_bot_api.add_user()
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        await app.start()
        fake_bot_api.send_text(user, user.id, "/start")
        [reply] = await fake_bot_api.wait_for_messages(user, 1)
        await fake_bot_api.wait_until_consumed()
        await app.updater.stop()
        await app.stop()
    assert (reply.text, reply.entities[0]["type"]) == ("欢迎", "bold")
    assert fake_bot_api.counters["errors"] == {}


async def test_standalone_process_serves_on_loopback() -> None:
    """`python -m tests.e2e.fake_bot_api --port N` is what the delivery benchmark starts."""
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.fake_bot_api", "--port", "0",
        cwd=repo, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        root = line.split(" listening on ")[1].split()[0]
        assert root.startswith("http://127.0.0.1:")
        async with Bot(DEFAULT_TOKEN, base_url=f"{root}/bot") as bot:
            assert bot.username == "newsbrief_test_bot"
    finally:
        proc.terminate()
        await proc.wait()


# ------------------------------------------------------------------------------------ inline mode


def _article(result_id: str, text: str = "<b>标题</b> 正文", title: str = "标题") -> Any:
    return InlineQueryResultArticle(result_id, title,
                                    InputTextMessageContent(text, parse_mode="HTML"))


async def test_inline_queries_need_inline_mode(fake_bot_api: FakeBotApi) -> None:
    user = fake_bot_api.add_user("Ann")
    with pytest.raises(ValueError, match="setinline"):
        fake_bot_api.send_inline_query(user, "台风")
    fake_bot_api.inline_mode = True
    update = fake_bot_api.send_inline_query(user, "台风", offset="20")
    assert update["inline_query"]["query"] == "台风" and update["inline_query"]["offset"] == "20"
    with pytest.raises(ValueError):
        fake_bot_api.send_inline_query(user, "经" * 257)


async def test_answer_inline_query_is_checked_like_telegram(
    fake_bot_api: FakeBotApi, tg_bot: Bot
) -> None:
    fake_bot_api.inline_mode = True
    user = fake_bot_api.add_user("Ann")
    me = await tg_bot.get_me()
    assert me.supports_inline_queries

    def query_id() -> str:
        return str(fake_bot_api.send_inline_query(user, "q")["inline_query"]["id"])

    refusals = [
        ([_article(str(n)) for n in range(51)], {}, "RESULTS_TOO_MUCH"),
        ([_article("x" * 65)], {}, "RESULT_ID_INVALID"),
        ([_article("a"), _article("a")], {}, "RESULT_ID_DUPLICATE"),
        ([_article("a", "<b>unclosed")], {}, "can't parse entities"),
        ([_article("a", "字" * (TELEGRAM_TEXT_LIMIT + 1))], {}, "message is too long"),
        ([_article("a", "  ")], {}, "message text is empty"),
        ([_article("a")], {"next_offset": "9" * 65}, "NEXT_OFFSET_INVALID"),
    ]
    for results, extra, reason in refusals:
        with pytest.raises(BadRequest, match=f"(?i){re.escape(reason)}"):
            await tg_bot.answer_inline_query(query_id(), results, **extra)
    assert not fake_bot_api.inline_answers

    answered = query_id()
    long_ok = "<i>" + "字" * (TELEGRAM_TEXT_LIMIT - 10) + "</i>"  # tags don't count
    assert await tg_bot.answer_inline_query(
        answered, [_article("a1", long_ok), _article("a2")], cache_time=60, is_personal=True,
        next_offset="20",
    )
    (answer,) = fake_bot_api.inline_answers
    assert answer.next_offset == "20" and answer.cache_time == 60 and answer.is_personal
    assert [text[:2] for text, _ in answer.message_texts()] == ["字字", "标题"]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):  # answered once only
        await tg_bot.answer_inline_query(answered, [_article("a")])
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg_bot.answer_inline_query("12345", [_article("a")])
