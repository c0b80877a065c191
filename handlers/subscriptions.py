"""/subscribe, /unsubscribe, /settings (and its buttons), /time, /tz; /watch, /watches, /unwatch.

Thin: read the update, check who may change the chat (private: the reader; groups: admins, asked
with getChatMember; channels: managed from a private chat by one of the channel's admins, with the
bot an admin allowed to post, asked again on every change), call the subscription or watch
service, reply. ``/subscribe``, ``/unsubscribe``, ``/settings``, ``/time`` and ``/tz`` take an
optional ``@channel`` first argument; the channel's settings buttons carry its id (``c:...``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot.render.callback_data import (
    SLUG_SECTIONS,
    CallbackDataError,
    SettingsPress,
    parse_settings_data,
    parse_watch_remove,
)
from bot.render.i18n import Translator, echo
from bot.render.parts import MessagePart
from bot.render.settings import render_settings
from bot.render.watches import render_watches
from bot.search.query import QueryError
from bot.services import BotServices
from bot.subscriptions.schedule import InvalidDigestTimeError, UnknownTimezoneError
from bot.subscriptions.settings import (
    BotNotChannelAdminError,
    ChannelAccessError,
    ChannelNotFoundError,
    ChannelRef,
    ChatIdentity,
    NotChannelAdminError,
    SubscriptionService,
    UnknownSettingError,
)
from bot.subscriptions.watches import WatchLimitError
from handlers.channels import ADMIN_STATUSES, check_channel_admin
from handlers.common import edit, reply, translator_for
from handlers.context import NewsContext
from handlers.views import query_error_text

logger = logging.getLogger(__name__)

SETTINGS_PATTERN = r"^g:"
CHANNEL_SETTINGS_PATTERN = r"^c:"
WATCHES_PATTERN = r"^w:"


def _identity(update: Update) -> ChatIdentity:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    return ChatIdentity(chat.id, chat.type, chat.title, user.language_code if user else None)


async def _may_change(update: Update, context: NewsContext) -> bool:
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


async def subscribe(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
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


async def unsubscribe(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    if context.args and context.args[0].startswith("@"):
        await _channel(update, context, context.args[0], subscribe=False)
        return
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    await deps.subscriptions.settings(_identity(update))
    done = await deps.subscriptions.unsubscribe(_identity(update).chat_id)
    await reply(update, _say(tr, "unsubscribe.done" if done else "unsubscribe.not_subscribed"))


_CHANNEL_REFUSALS: tuple[tuple[type[ChannelAccessError], str], ...] = (
    (ChannelNotFoundError, "channel.not_found"),
    (BotNotChannelAdminError, "channel.bot_not_admin"),
    (NotChannelAdminError, "channel.not_admin"),
)


def _refusal_key(exc: ChannelAccessError) -> str:
    return next(key for kind, key in _CHANNEL_REFUSALS if isinstance(exc, kind))


async def _managed_channel(
    update: Update, context: NewsContext, handle: str
) -> ChannelRef | None:
    """``/<command> @channel ...``: the channel, when the reader wrote from a private chat and may
    manage it; else the refusal is sent and None returned. Every @channel form goes through here."""
    tr = await translator_for(update, context)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        await reply(update, _say(tr, "channel.private_only"))
        return None
    try:
        return await check_channel_admin(context.bot, handle, user.id)
    except ChannelAccessError as exc:
        await reply(update, _say(tr, _refusal_key(exc), channel=echo(handle)))
        return None


async def _channel(
    update: Update, context: NewsContext, handle: str, *, subscribe: bool
) -> None:
    """``/subscribe @channel`` and ``/unsubscribe @channel``."""
    tr, deps, user = await translator_for(update, context), context.services, update.effective_user
    channel = await _managed_channel(update, context, handle)
    if channel is None:
        return
    who = channel.identity(user.language_code if user else None)
    if subscribe:
        s = (await deps.subscriptions.subscribe(who)).settings
        await reply(update, _say(tr, "channel.subscribed", channel=echo(handle), time=s.digest_time,
                                 timezone=s.timezone))
    else:
        await deps.subscriptions.settings(who)
        await deps.subscriptions.unsubscribe(channel.chat_id)
        await reply(update, _say(tr, "channel.unsubscribed", channel=echo(handle)))


async def set_time(update: Update, context: NewsContext) -> None:
    """``/time 07:30``: the digest's local hour."""
    await _change_schedule(
        update, context, "time", InvalidDigestTimeError,
        lambda deps, chat_id, text: deps.subscriptions.set_time(chat_id, text),
    )


async def set_timezone(update: Update, context: NewsContext) -> None:
    """``/tz Asia/Hong_Kong``: the IANA zone the digest hour is read in."""
    await _change_schedule(
        update, context, "tz", UnknownTimezoneError,
        lambda deps, chat_id, text: deps.subscriptions.set_timezone(chat_id, text),
    )


async def _change_schedule(
    update: Update,
    context: NewsContext,
    key: str,
    invalid: type[Exception],
    change: Callable[[BotServices, int, str], Awaitable[Any]],
) -> None:
    """The shape /time and /tz share: usage without arguments, admins only in groups (a channel:
    its admins, from a private chat), a clear message for a value the service refuses, else the
    new hour and zone."""
    tr, deps, user = await translator_for(update, context), context.services, update.effective_user
    args = list(context.args or ())
    handle = args.pop(0) if args and args[0].startswith("@") else None
    if not args:
        await reply(update, _say(tr, f"{key}.usage"))
        return
    if handle is not None:
        channel = await _managed_channel(update, context, handle)
        if channel is None:
            return
        who = channel.identity(user.language_code if user else None)
    elif await _may_change(update, context):
        who = _identity(update)
    else:
        await _refuse(update, tr)
        return
    await deps.subscriptions.settings(who)
    text = " ".join(args)
    try:
        s = await change(deps, who.chat_id, text)
    except invalid:
        await reply(update, _say(tr, f"{key}.invalid", text=echo(text)))
        return
    await reply(update, _say(tr, f"{key}.done", time=s.digest_time, timezone=s.timezone))


# --- /settings and its keyboard -------------------------------------------------------------------


async def settings(update: Update, context: NewsContext) -> None:
    """Anyone may look; only those who may change the chat can press the buttons.
    ``/settings @channel``: that channel's panel, for its admins, in a private chat."""
    tr, deps, user = await translator_for(update, context), context.services, update.effective_user
    if context.args and context.args[0].startswith("@"):
        channel = await _managed_channel(update, context, context.args[0])
        if channel is None:
            return
        who = channel.identity(user.language_code if user else None)
        s = await deps.subscriptions.settings(who)
        await reply(update, [render_settings(s, tr, channel)])
        return
    s = await deps.subscriptions.settings(_identity(update))
    await reply(update, [render_settings(s, tr)])


async def _press_and_redraw(
    update: Update,
    tr: Translator,
    subs: SubscriptionService,
    who: ChatIdentity,
    press: SettingsPress,
    channel: ChannelRef | None = None,
) -> None:
    """Apply a settings button to ``who`` and redraw its panel; a kind or value no button carries
    is answered as expired and changes nothing."""
    query = update.callback_query
    assert query is not None
    value = SLUG_SECTIONS.get(press.value, "") if press.kind == "s" else press.value
    try:
        settings = await subs.apply_setting(who, press.kind, value)
    except UnknownSettingError:
        await query.answer(tr.text("callback.expired"))
        return
    await query.answer(tr.text("settings.updated"))
    await edit(update, render_settings(settings, tr, channel))


async def on_settings_button(update: Update, context: NewsContext) -> None:
    """A ``g:`` button: change the chat it was pressed in."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = await translator_for(update, context), context.services
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    try:
        press = parse_settings_data(query.data)
    except CallbackDataError:
        await query.answer(tr.text("callback.expired"))
        return
    await _press_and_redraw(update, tr, deps.subscriptions, _identity(update), press)


async def on_channel_settings_button(update: Update, context: NewsContext) -> None:
    """A ``c:<id>:`` button: change that channel, if the presser still administers it and the bot
    can still post there. The id comes from the client, so it is trusted for nothing else."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    tr, deps = await translator_for(update, context), context.services
    try:
        press = parse_settings_data(query.data)
    except CallbackDataError as exc:
        logger.info("refused channel settings data %r from %s: %s", query.data, user.id, exc)
        await query.answer(tr.text("callback.expired"))
        return
    if chat.type != ChatType.PRIVATE or press.channel_id is None:
        await query.answer(tr.text("channel.private_only"), show_alert=True)
        return
    try:
        channel = await check_channel_admin(context.bot, press.channel_id, user.id)
    except ChannelNotFoundError:
        await query.answer(tr.text("callback.expired"))
        return
    except ChannelAccessError as exc:
        await query.answer(tr.text(_refusal_key(exc), channel=exc.channel), show_alert=True)
        return
    who = channel.identity(user.language_code)
    await _press_and_redraw(update, tr, deps.subscriptions, who, press, channel)


# --- watches ------------------------------------------------------------------------------------


async def watch(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
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


async def watches(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
    chat = update.effective_chat
    assert chat is not None
    await reply(update, [render_watches(await deps.watches.list(chat.id), tr)])


async def unwatch(update: Update, context: NewsContext) -> None:
    tr, deps = await translator_for(update, context), context.services
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
        await reply(update, _say(tr, "unwatch.unknown", query=echo(text)))
        return
    await reply(update, _say(tr, "unwatch.done", query=removed))


async def on_watches_button(update: Update, context: NewsContext) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = await translator_for(update, context), context.services
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    try:
        watch_id = parse_watch_remove(query.data)
    except CallbackDataError:
        await query.answer(tr.text("callback.expired"))
        return
    removed = await deps.watches.remove_id(chat.id, watch_id)
    await query.answer(tr.text("unwatch.done", query=removed) if removed
                       else tr.text("callback.expired"))
    await edit(update, render_watches(await deps.watches.list(chat.id), tr))


# Inline buttons this module answers (registered ahead of the general button handler).
BUTTON_HANDLERS = (
    (on_settings_button, SETTINGS_PATTERN),
    (on_channel_settings_button, CHANNEL_SETTINGS_PATTERN),
    (on_watches_button, WATCHES_PATTERN),
)


# /lang (handlers/language.py) changes a chat setting too: the same identity and the same rule
# for who may change it, under public names.
chat_identity = _identity
may_change_settings = _may_change
refuse_change = _refuse
