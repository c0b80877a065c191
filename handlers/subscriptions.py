"""/subscribe, /unsubscribe, /settings (and its buttons), /time, /tz; /watch, /watches, /unwatch.

Thin: read the update, check who may change the chat (private: the reader; groups: admins, asked
with getChatMember; channels: subscribed from a private chat by one of the channel's admins, with
the bot an admin allowed to post), call the subscription or watch service, reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.callback_data import SECTION_SLUGS, SLUG_SECTIONS
from bot.i18n import Html, Translator
from bot.rendering import Button, MessagePart
from bot.schedule import InvalidDigestTimeError, UnknownTimezoneError
from bot.search_query import QueryError
from bot.sections import SECTIONS
from bot.services import BotServices
from bot.subscriptions import ChatIdentity, ChatSettings
from bot.watches import MAX_WATCHES_PER_CHAT, WatchLimitError, WatchView
from handlers.common import edit, reply, services, translator
from handlers.views import query_error_text

logger = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
SETTINGS_PREFIX = "g:"
SETTINGS_PATTERN = r"^g:"
WATCHES_PREFIX = "w:"
WATCHES_PATTERN = r"^w:"
QUICK_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/London")
SECTIONS_PER_ROW = 3


def _identity(update: Update) -> ChatIdentity:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    return ChatIdentity(chat.id, chat.type, chat.title, user.language_code if user else None)


async def _may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Private chats: yes. Groups: only admins (an anonymous admin posts as the group itself)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except (BadRequest, Forbidden) as exc:
        logger.info("chat %s: cannot check whether %s is an admin: %s", chat.id, user.id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def _refuse(update: Update, tr: Translator) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(tr.text("admin.only"), show_alert=True)
        return
    await reply(update, [MessagePart(tr.html("admin.only"))])


def _say(tr: Translator, key: str, **params: object) -> list[MessagePart]:
    return [MessagePart(tr.html(key, **params))]


# --- subscriptions ------------------------------------------------------------------------------


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    if context.args and context.args[0].startswith("@"):
        await _channel(update, context, context.args[0], subscribe=True)
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    result = await deps.subscriptions.subscribe(_identity(update))
    key = "subscribe.done" if result.changed else "subscribe.already"
    s = result.settings
    await reply(update, _say(tr, key, time=s.digest_time, timezone=s.timezone))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    if context.args and context.args[0].startswith("@"):
        await _channel(update, context, context.args[0], subscribe=False)
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    await deps.subscriptions.settings(_identity(update))
    done = await deps.subscriptions.unsubscribe(_identity(update).chat_id)
    await reply(update, _say(tr, "unsubscribe.done" if done else "unsubscribe.not_subscribed"))


async def _channel(
    update: Update, context: ContextTypes.DEFAULT_TYPE, handle: str, *, subscribe: bool
) -> None:
    """``/subscribe @channel`` from a private chat: the user must be the channel's admin and the
    bot an admin there allowed to post."""
    tr, deps, bot = translator(update), services(context), context.bot
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        await reply(update, _say(tr, "channel.private_only"))
        return
    try:
        target = await bot.get_chat(handle)
    except (BadRequest, Forbidden):
        await reply(update, _say(tr, "channel.not_found", channel=handle))
        return
    if target.type != ChatType.CHANNEL:
        await reply(update, _say(tr, "channel.not_found", channel=handle))
        return
    try:
        me = await bot.get_chat_member(target.id, bot.id)
    except (BadRequest, Forbidden):  # the member list is closed to non-admin bots
        await reply(update, _say(tr, "channel.bot_not_admin", channel=handle))
        return
    if not (me.status == ChatMemberStatus.OWNER or (
        me.status == ChatMemberStatus.ADMINISTRATOR and getattr(me, "can_post_messages", False)
    )):
        await reply(update, _say(tr, "channel.bot_not_admin", channel=handle))
        return
    try:
        member = await bot.get_chat_member(target.id, user.id)
    except (BadRequest, Forbidden):
        member = None
    if member is None or member.status not in ADMIN_STATUSES:
        await reply(update, _say(tr, "channel.not_admin", channel=handle))
        return
    who = ChatIdentity(target.id, ChatType.CHANNEL, target.title, user.language_code)
    if subscribe:
        s = (await deps.subscriptions.subscribe(who)).settings
        await reply(update, _say(tr, "channel.subscribed", channel=handle, time=s.digest_time,
                                 timezone=s.timezone))
    else:
        await deps.subscriptions.settings(who)
        await deps.subscriptions.unsubscribe(target.id)
        await reply(update, _say(tr, "channel.unsubscribed", channel=handle))


async def set_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/time 07:30``: the digest's local hour."""
    await _change_schedule(
        update, context, "time", InvalidDigestTimeError,
        lambda deps, chat_id, text: deps.subscriptions.set_time(chat_id, text),
    )


async def set_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/tz Asia/Hong_Kong``: the IANA zone the digest hour is read in."""
    await _change_schedule(
        update, context, "tz", UnknownTimezoneError,
        lambda deps, chat_id, text: deps.subscriptions.set_timezone(chat_id, text),
    )


async def _change_schedule(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    key: str,
    invalid: type[Exception],
    change: Callable[[BotServices, int, str], Awaitable[Any]],
) -> None:
    """The shape /time and /tz share: usage without arguments, admins only in groups, a clear
    message for a value the service refuses, else the new hour and zone."""
    tr, deps = translator(update), services(context)
    if not context.args:
        await reply(update, _say(tr, f"{key}.usage"))
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    who = _identity(update)
    await deps.subscriptions.settings(who)
    text = " ".join(context.args)
    try:
        s = await change(deps, who.chat_id, text)
    except invalid:
        await reply(update, _say(tr, f"{key}.invalid", text=text))
        return
    await reply(update, _say(tr, f"{key}.done", time=s.digest_time, timezone=s.timezone))


# --- /settings and its keyboard -------------------------------------------------------------------


def _state(tr: Translator, on: bool) -> str:
    return tr.text("settings.on" if on else "settings.off")


def render_settings(s: ChatSettings, tr: Translator) -> MessagePart:
    """The settings text and its keyboard (callback data ``g:...``, ASCII, well under 64 bytes)."""
    sections = (
        tr.text("settings.section_separator").join(tr.section(name) for name in s.sections)
        if s.sections else tr.text("settings.all_sections")
    )
    text = tr.html(
        "settings.text",
        subscribed=tr.text("settings.subscribed" if s.subscribed else "settings.not_subscribed"),
        time=s.digest_time, timezone=s.timezone, sections=sections,
        alerts=_state(tr, s.alerts_enabled), silent=_state(tr, s.digest_silent),
    )
    rows: list[tuple[Button, ...]] = [
        (Button(tr.text("settings.button_unsubscribe" if s.subscribed
                        else "settings.button_subscribe"), "g:sub"),),
        (Button(tr.text("settings.button_earlier"), "g:h:-1"),
         Button(tr.text("settings.button_later"), "g:h:1")),
    ]
    section_buttons = [
        Button(tr.text("settings.button_section_on" if s.shows(name)
                       else "settings.button_section_off", section=tr.section(name)),
               f"g:s:{SECTION_SLUGS[name]}")
        for name in SECTIONS
    ]
    rows += [tuple(section_buttons[i : i + SECTIONS_PER_ROW])
             for i in range(0, len(section_buttons), SECTIONS_PER_ROW)]
    rows.append((Button(tr.text("settings.button_alerts", state=_state(tr, s.alerts_enabled)),
                        "g:a"),
                 Button(tr.text("settings.button_silent", state=_state(tr, s.digest_silent)),
                        "g:q")))
    rows.append((Button(tr.text("settings.button_other_hazards",
                                state=_state(tr, s.other_hazards)), "g:o"),))
    rows.append(tuple(Button(zone, f"g:z:{i}") for i, zone in enumerate(QUICK_ZONES)))
    return MessagePart(text, tuple(rows))


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anyone may look; only those who may change the chat can press the buttons."""
    tr, deps = translator(update), services(context)
    s = await deps.subscriptions.settings(_identity(update))
    await reply(update, [render_settings(s, tr)])


async def on_settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = translator(update), services(context)
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    subs = deps.subscriptions
    await subs.settings(_identity(update))
    kind, _, value = (query.data or "")[len(SETTINGS_PREFIX):].partition(":")
    try:
        if kind == "sub":
            current = await subs.settings(_identity(update))
            if current.subscribed:
                await subs.unsubscribe(chat.id)
            else:
                await subs.subscribe(_identity(update))
        elif kind == "h" and value in ("-1", "1"):
            await subs.shift_time(chat.id, int(value))
        elif kind == "s" and value in SLUG_SECTIONS:
            await subs.toggle_section(chat.id, SLUG_SECTIONS[value])
        elif kind == "a":
            await subs.toggle_alerts(chat.id)
        elif kind == "q":
            await subs.toggle_silent(chat.id)
        elif kind == "o":
            await subs.toggle_other_hazards(chat.id)
        elif kind == "z" and value.isdigit() and int(value) < len(QUICK_ZONES):
            await subs.set_timezone(chat.id, QUICK_ZONES[int(value)])
        else:
            raise ValueError(query.data)
    except ValueError:
        await query.answer(tr.text("callback.expired"))
        return
    await query.answer(tr.text("settings.updated"))
    await edit(update, render_settings(await subs.settings(_identity(update)), tr))


# --- watches ------------------------------------------------------------------------------------


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    if not context.args:
        await reply(update, _say(tr, "watch.usage"))
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    who = _identity(update)
    await deps.subscriptions.settings(who)
    try:
        added = await deps.watches.add(who.chat_id, " ".join(context.args))
    except QueryError as exc:
        await reply(update, _say(tr, "watch.invalid", reason=query_error_text(tr, exc)))
        return
    except WatchLimitError as exc:
        await reply(update, _say(tr, "watch.limit", max=exc.limit))
        return
    key = "watch.added" if added.created else "watch.exists"
    await reply(update, _say(tr, key, query=added.query))


def render_watches(watches: Sequence[WatchView], tr: Translator) -> MessagePart:
    """The chat's watches, numbered (for /unwatch N), with a remove button each."""
    if not watches:
        return MessagePart(tr.html("watches.empty"))
    lines = [tr.html("watches.header", count=len(watches), max=MAX_WATCHES_PER_CHAT)]
    lines += [tr.html("watches.line", number=i, query=w.query)
              for i, w in enumerate(watches, start=1)]
    rows = tuple((Button(tr.text("watches.button_remove", query=w.query[:40]),
                         f"{WATCHES_PREFIX}x:{w.id}"),) for w in watches)
    return MessagePart(Html("\n".join(lines)), rows)


async def watches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    chat = update.effective_chat
    assert chat is not None
    await reply(update, [render_watches(await deps.watches.list(chat.id), tr)])


async def unwatch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    tr, deps = translator(update), services(context)
    if not context.args:
        await reply(update, _say(tr, "unwatch.usage"))
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    chat = update.effective_chat
    assert chat is not None
    text = " ".join(context.args)
    removed = await deps.watches.remove(chat.id, text)
    if removed is None:
        await reply(update, _say(tr, "unwatch.unknown", query=text))
        return
    await reply(update, _say(tr, "unwatch.done", query=removed))


async def on_watches_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = translator(update), services(context)
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    kind, _, value = (query.data or "")[len(WATCHES_PREFIX):].partition(":")
    if kind != "x" or not value.isdigit():
        await query.answer(tr.text("callback.expired"))
        return
    removed = await deps.watches.remove_id(chat.id, int(value))
    await query.answer(tr.text("unwatch.done", query=removed) if removed
                       else tr.text("callback.expired"))
    await edit(update, render_watches(await deps.watches.list(chat.id), tr))


# Inline buttons this module answers (registered ahead of the general button handler).
BUTTON_HANDLERS = (
    (on_settings_button, SETTINGS_PATTERN),
    (on_watches_button, WATCHES_PATTERN),
)
