"""The one command table: it registers the handlers and publishes the Telegram menus.

Adding a command is one row: its name, handler, where it applies, and whether the menu shows it.
Its description is ``command.<name>`` in each catalogue (bot/render/locales), so the menu, /help
and the handler can never drift apart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MessageEntity,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.render.i18n import EN, ZH_HANS, Translator, echo
from bot.render.parts import MessagePart
from bot.render.views import render_help
from handlers import (
    admin,
    alerts,
    browse,
    buttons,
    errors,
    inline,
    language,
    search,
    sources,
    start,
    subscriptions,
    uploads,
)
from handlers.common import reply, translator_for
from handlers.context import NewsContext
from handlers.membership import membership_handler

logger = logging.getLogger(__name__)
COMMAND_ECHO_CHARS = 40  # an unknown /command shown back: Telegram commands have at most 32

HandlerCallback = Callable[[Update, NewsContext], Awaitable[None]]


class Scope(Enum):
    EVERYWHERE = "private and group chats"
    PRIVATE = "private chats"
    ADMIN = "admins' private chats"


@dataclass(frozen=True)
class Command:
    name: str
    callback: HandlerCallback
    scope: Scope
    in_menu: bool = True

    @property
    def description_key(self) -> str:
        return f"command.{self.name}"


async def help_command(update: Update, context: NewsContext) -> None:
    """Every command this reader can use here, from this table (so /help never drifts from it)."""
    tr = await translator_for(update, context)
    chat, user = update.effective_chat, update.effective_user
    is_admin = user is not None and user.id in context.services.settings.admin_ids
    private = chat is not None and chat.type == chat.PRIVATE
    entries = [(c.name, tr.text(c.description_key)) for c in menu_for(private, is_admin)]
    await reply(update, [render_help(tr, entries)])


COMMANDS: tuple[Command, ...] = (
    Command("start", start.start, Scope.EVERYWHERE),
    Command("today", browse.today, Scope.EVERYWHERE),
    Command("sections", browse.sections, Scope.EVERYWHERE),
    Command("section", browse.section, Scope.EVERYWHERE),
    Command("search", search.search_command, Scope.EVERYWHERE),
    Command("alerts", alerts.alerts, Scope.EVERYWHERE),
    Command("subscribe", subscriptions.subscribe, Scope.EVERYWHERE),
    Command("unsubscribe", subscriptions.unsubscribe, Scope.EVERYWHERE),
    Command("settings", subscriptions.settings, Scope.EVERYWHERE),
    Command("time", subscriptions.set_time, Scope.EVERYWHERE),
    Command("tz", subscriptions.set_timezone, Scope.EVERYWHERE),
    Command("watch", subscriptions.watch, Scope.EVERYWHERE),
    Command("watches", subscriptions.watches, Scope.EVERYWHERE),
    Command("unwatch", subscriptions.unwatch, Scope.EVERYWHERE),
    Command("help", help_command, Scope.EVERYWHERE),
    Command("lang", language.lang, Scope.EVERYWHERE),
    Command("language", language.lang, Scope.EVERYWHERE, in_menu=False),
    Command("status", admin.status, Scope.ADMIN),
    Command("sources", sources.sources, Scope.ADMIN),
    Command("source_add", sources.source_add, Scope.ADMIN),
    Command("ping", start.ping, Scope.EVERYWHERE, in_menu=False),
)

# setMyCommands takes two-letter languages only, so zh-Hans and zh-Hant readers (both "zh") can't
# get different menus: the default and "zh" menus are simplified, "en" is English. Traditional
# readers still get every reply in traditional characters.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, ZH_HANS), ("zh", ZH_HANS), ("en", EN))

_CHAT_FILTERS = {
    Scope.EVERYWHERE: filters.ChatType.PRIVATE | filters.ChatType.GROUPS,
    Scope.PRIVATE: filters.ChatType.PRIVATE,
}


def menu_for(private: bool, is_admin: bool) -> list[Command]:
    """The commands a reader can use in this kind of chat, in menu order."""
    allowed = {Scope.EVERYWHERE} | ({Scope.PRIVATE} if private else set())
    if private and is_admin:
        allowed.add(Scope.ADMIN)
    return [c for c in COMMANDS if c.in_menu and c.scope in allowed]


def register_handlers(application: Application, admin_ids: Collection[int]) -> None:
    """Every row becomes a CommandHandler; then plain text (private only), buttons, errors."""
    admins = filters.User(user_id=list(admin_ids))
    for command in COMMANDS:
        if command.scope is Scope.ADMIN:
            chat_filter = filters.ChatType.PRIVATE & admins
        else:
            chat_filter = _CHAT_FILTERS[command.scope]
        application.add_handler(
            CommandHandler(
                command.name, command.callback, filters=filters.UpdateType.MESSAGE & chat_filter
            )
        )
        if command.scope is Scope.ADMIN:  # anyone else is told so, not ignored
            application.add_handler(
                CommandHandler(
                    command.name, admin.not_admin,
                    filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~admins,
                )
            )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.Document.ALL,
            uploads.upload,
        )
    )
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT
            & ~filters.COMMAND,
            search.search_text,
        )
    )
    application.add_handler(  # after every command: what none of them took
        MessageHandler(
            filters.UpdateType.MESSAGE & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
            & filters.COMMAND,
            unknown_command,
        )
    )
    for callback, pattern in subscriptions.BUTTON_HANDLERS:  # before the catch-all below
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(
        CallbackQueryHandler(language.on_language_button, pattern=language.LANGUAGE_PATTERN)
    )
    application.add_handler(
        CallbackQueryHandler(sources.on_sources_button, pattern=sources.SOURCES_PATTERN)
    )
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(membership_handler())
    application.add_error_handler(errors.on_error)


async def unknown_command(update: Update, context: NewsContext) -> None:
    """A command no row took. Private chats: a short answer pointing to /help. Groups: only
    ``/cmd@thisbot`` is ours to answer; a bare ``/cmd`` or ``/cmd@otherbot`` is left alone."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text or not message.entities:
        return
    entity = message.entities[0]
    if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return
    name, _, target = message.parse_entity(entity)[1:].partition("@")
    if target and target.lower() != (context.bot.username or "").lower():
        return  # another bot's command
    if chat.type != chat.PRIVATE and not target:
        return
    tr = await translator_for(update, context)
    known = {c.name for c in COMMANDS}
    key = "command.not_here" if name.lower() in known else "command.unknown"
    await reply(update, [MessagePart(tr.html(key, command=echo(f"/{name}", COMMAND_ECHO_CHARS)))])


def _menu(commands: Sequence[Command], locale: str) -> list[BotCommand]:
    tr = Translator(locale)
    return [BotCommand(c.name, tr.text(c.description_key)) for c in commands]


async def publish_menus(bot: Bot, admin_ids: Collection[int]) -> None:
    """setMyCommands for each language × scope (default, private, groups, each admin's chat)."""
    scopes: list[tuple[BotCommandScope, list[Command]]] = [
        (BotCommandScopeDefault(), menu_for(private=False, is_admin=False)),
        (BotCommandScopeAllPrivateChats(), menu_for(private=True, is_admin=False)),
        (BotCommandScopeAllGroupChats(), menu_for(private=False, is_admin=False)),
    ]
    admin_menu = menu_for(private=True, is_admin=True)
    scopes += [(BotCommandScopeChat(admin_id), admin_menu) for admin_id in sorted(admin_ids)]

    async def publish(scope: BotCommandScope, commands: list[Command], language: str | None,
                      locale: str) -> None:
        try:
            await bot.set_my_commands(_menu(commands, locale), scope=scope,
                                      language_code=language)
        except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
            logger.warning("could not set the %s menu for %s: %s", language or "default",
                           scope.type, exc)

    await asyncio.gather(
        *(publish(scope, commands, language, locale)
          for scope, commands in scopes for language, locale in MENU_LANGUAGES)
    )
