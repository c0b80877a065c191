"""/subscribe, /unsubscribe, /settings (and its buttons), /time, /tz; /watch, /watches, /unwatch.

Thin: read the update, check who may change the chat (private: the reader; groups: admins, asked
with getChatMember; channels: managed from a private chat by one of the channel's admins, with the
bot an admin allowed to post, asked again on every change), call the subscription or watch
service, reply. ``/subscribe``, ``/unsubscribe``, ``/settings``, ``/time`` and ``/tz`` take an
optional ``@channel`` first argument; the channel's settings buttons carry its id (``c:...``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.render.callback_data import (
    SECTION_SLUGS,
    SLUG_SECTIONS,
    CallbackDataError,
    SettingsPress,
    parse_settings_data,
    settings_data,
)
from bot.render.i18n import Html, Translator
from bot.render.views import Button, MessagePart
from bot.search.query import QueryError
from bot.services import BotServices
from bot.subscriptions.schedule import InvalidDigestTimeError, UnknownTimezoneError
from bot.subscriptions.settings import (
    ADMIN_STATUSES,
    BotNotChannelAdminError,
    ChannelAccessError,
    ChannelNotFoundError,
    ChannelRef,
    ChatIdentity,
    ChatSettings,
    NotChannelAdminError,
    SubscriptionService,
    check_channel_admin,
)
from bot.subscriptions.watches import MAX_WATCHES_PER_CHAT, WatchLimitError, WatchView
from bot.text.sections import SECTIONS
from handlers.common import edit, reply, services, translator
from handlers.views import query_error_text

logger = logging.getLogger(__name__)

SETTINGS_PATTERN = r"^g:"
CHANNEL_SETTINGS_PATTERN = r"^c:"
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


_CHANNEL_REFUSALS: tuple[tuple[type[ChannelAccessError], str], ...] = (
    (ChannelNotFoundError, "channel.not_found"),
    (BotNotChannelAdminError, "channel.bot_not_admin"),
    (NotChannelAdminError, "channel.not_admin"),
)


def _refusal_key(exc: ChannelAccessError) -> str:
    return next(key for kind, key in _CHANNEL_REFUSALS if isinstance(exc, kind))


async def _managed_channel(
    update: Update, context: ContextTypes.DEFAULT_TYPE, handle: str
) -> ChannelRef | None:
    """``/<command> @channel ...``: the channel, when the reader wrote from a private chat and may
    manage it; else the refusal is sent and None returned. Every @channel form goes through here."""
    tr = translator(update)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        await reply(update, _say(tr, "channel.private_only"))
        return None
    try:
        return await check_channel_admin(context.bot, handle, user.id)
    except ChannelAccessError as exc:
        await reply(update, _say(tr, _refusal_key(exc), channel=handle))
        return None


async def _channel(
    update: Update, context: ContextTypes.DEFAULT_TYPE, handle: str, *, subscribe: bool
) -> None:
    """``/subscribe @channel`` and ``/unsubscribe @channel``."""
    tr, deps, user = translator(update), services(context), update.effective_user
    channel = await _managed_channel(update, context, handle)
    if channel is None:
        return
    who = channel.identity(user.language_code if user else None)
    if subscribe:
        s = (await deps.subscriptions.subscribe(who)).settings
        await reply(update, _say(tr, "channel.subscribed", channel=handle, time=s.digest_time,
                                 timezone=s.timezone))
    else:
        await deps.subscriptions.settings(who)
        await deps.subscriptions.unsubscribe(channel.chat_id)
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
    """The shape /time and /tz share: usage without arguments, admins only in groups (a channel:
    its admins, from a private chat), a clear message for a value the service refuses, else the
    new hour and zone."""
    tr, deps, user = translator(update), services(context), update.effective_user
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
        await reply(update, _say(tr, f"{key}.invalid", text=text))
        return
    await reply(update, _say(tr, f"{key}.done", time=s.digest_time, timezone=s.timezone))


# --- /settings and its keyboard -------------------------------------------------------------------


def _state(tr: Translator, on: bool) -> str:
    return tr.text("settings.on" if on else "settings.off")


def render_settings(
    s: ChatSettings, tr: Translator, channel: ChannelRef | None = None
) -> MessagePart:
    """The settings text and its keyboard: ``g:...`` buttons change the chat they are in,
    ``c:<id>:...`` buttons (``channel`` given) that channel (ASCII, at most 28 bytes)."""
    def data(kind: str, value: str = "") -> str:
        return settings_data(kind, value, channel_id=channel.chat_id if channel else None)

    sections = (
        tr.text("settings.section_separator").join(tr.section(name) for name in s.sections)
        if s.sections else tr.text("settings.all_sections")
    )
    if channel is None:
        title, hint = tr.html("settings.title"), tr.html("settings.hint")
    else:
        title = tr.html("channel.settings_title", channel=channel.handle)
        hint = tr.html("channel.settings_hint", channel=channel.handle)
    text = tr.html(
        "settings.text", title=title, hint=hint,
        subscribed=tr.text("settings.subscribed" if s.subscribed else "settings.not_subscribed"),
        time=s.digest_time, timezone=s.timezone, sections=sections,
        alerts=_state(tr, s.alerts_enabled), silent=_state(tr, s.digest_silent),
    )
    rows: list[tuple[Button, ...]] = [
        (Button(tr.text("settings.button_unsubscribe" if s.subscribed
                        else "settings.button_subscribe"), data("sub")),),
        (Button(tr.text("settings.button_earlier"), data("h", "-1")),
         Button(tr.text("settings.button_later"), data("h", "1"))),
    ]
    section_buttons = [
        Button(tr.text("settings.button_section_on" if s.shows(name)
                       else "settings.button_section_off", section=tr.section(name)),
               data("s", SECTION_SLUGS[name]))
        for name in SECTIONS
    ]
    rows += [tuple(section_buttons[i : i + SECTIONS_PER_ROW])
             for i in range(0, len(section_buttons), SECTIONS_PER_ROW)]
    rows.append((Button(tr.text("settings.button_alerts", state=_state(tr, s.alerts_enabled)),
                        data("a")),
                 Button(tr.text("settings.button_silent", state=_state(tr, s.digest_silent)),
                        data("q"))))
    rows.append((Button(tr.text("settings.button_other_hazards",
                                state=_state(tr, s.other_hazards)), data("o")),))
    rows.append(tuple(Button(zone, data("z", str(i))) for i, zone in enumerate(QUICK_ZONES)))
    return MessagePart(text, tuple(rows))


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anyone may look; only those who may change the chat can press the buttons.
    ``/settings @channel``: that channel's panel, for its admins, in a private chat."""
    tr, deps, user = translator(update), services(context), update.effective_user
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


async def _apply(subs: SubscriptionService, who: ChatIdentity, press: SettingsPress) -> None:
    """One settings button's change; ValueError for a kind or value no button carries."""
    kind, value, chat_id = press.kind, press.value, who.chat_id
    if kind == "sub" and not value:
        if (await subs.settings(who)).subscribed:
            await subs.unsubscribe(chat_id)
        else:
            await subs.subscribe(who)
    elif kind == "h" and value in ("-1", "1"):
        await subs.shift_time(chat_id, int(value))
    elif kind == "s" and value in SLUG_SECTIONS:
        await subs.toggle_section(chat_id, SLUG_SECTIONS[value])
    elif kind == "a" and not value:
        await subs.toggle_alerts(chat_id)
    elif kind == "q" and not value:
        await subs.toggle_silent(chat_id)
    elif kind == "o" and not value:
        await subs.toggle_other_hazards(chat_id)
    elif kind == "z" and value.isdigit() and int(value) < len(QUICK_ZONES):
        await subs.set_timezone(chat_id, QUICK_ZONES[int(value)])
    else:
        raise ValueError(f"no settings button {kind!r}:{value!r}")


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
    await subs.settings(who)
    try:
        await _apply(subs, who, press)
    except ValueError:
        await query.answer(tr.text("callback.expired"))
        return
    await query.answer(tr.text("settings.updated"))
    await edit(update, render_settings(await subs.settings(who), tr, channel))


async def on_settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``g:`` button: change the chat it was pressed in."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    tr, deps = translator(update), services(context)
    if not await _may_change(update, context):
        await _refuse(update, tr)
        return
    try:
        press = parse_settings_data(query.data)
    except CallbackDataError:
        await query.answer(tr.text("callback.expired"))
        return
    await _press_and_redraw(update, tr, deps.subscriptions, _identity(update), press)


async def on_channel_settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``c:<id>:`` button: change that channel, if the presser still administers it and the bot
    can still post there. The id comes from the client, so it is trusted for nothing else."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    tr, deps = translator(update), services(context)
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
    (on_channel_settings_button, CHANNEL_SETTINGS_PATTERN),
    (on_watches_button, WATCHES_PATTERN),
)
