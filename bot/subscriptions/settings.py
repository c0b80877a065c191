"""Subscription settings: subscribe, the digest hour and timezone, sections, alerts, silence.

Plain values in and out (:class:`ChatSettings`); who may change a group's or a channel's settings
is decided by the handlers, which can ask Telegram (``handlers/channels.py``). One scheduling rule
lives here:
when a chat subscribes or moves its hour to one already gone today, today's slot counts as handled,
so it starts tomorrow instead of getting a surprise digest now (or a second one today).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, SystemClock
from bot.subscriptions.schedule import parse_digest_time, parse_timezone, slot_passed_today
from bot.text.sections import SECTIONS
from storage.chats import ChatRepository
from storage.database import Database, WriteSession
from storage.models import Chat

CHANNEL = "channel"  # Bot API chat type
# The zones the /settings panel offers as one-tap buttons (any IANA zone works with /tz).
QUICK_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/London")

_Change = Callable[[Chat, datetime], "bool | None"]


class UnknownSettingError(ValueError):
    """A settings change no button offers (forged or outdated button data)."""


class UnknownChatError(LookupError):
    """Settings asked for a chat the bot has never seen."""


class ChannelAccessError(Exception):
    """The reader may not manage this channel through the bot; ``channel`` names it for them."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.channel = channel


class ChannelNotFoundError(ChannelAccessError):
    """No such chat, or not a channel (Telegram says the same to bots that are not in it)."""


class BotNotChannelAdminError(ChannelAccessError):
    """The bot is not an admin allowed to post there: a digest could not be delivered."""


class NotChannelAdminError(ChannelAccessError):
    """The reader is not (or no longer) one of the channel's admins."""


@dataclass(frozen=True)
class ChatSettings:
    chat_id: int
    chat_type: str
    title: str | None
    subscribed: bool
    digest_time: str
    timezone: str
    sections: tuple[str, ...]  # empty: every section
    alerts_enabled: bool
    digest_silent: bool
    language: str | None
    other_hazards: bool = False  # flood and rainstorm alerts too, not only typhoons
    reply_language: str | None = None  # the /lang choice; None: the client's language

    @classmethod
    def of(cls, chat: Chat) -> ChatSettings:
        return cls(
            chat_id=chat.id, chat_type=chat.type, title=chat.title, subscribed=chat.subscribed,
            digest_time=chat.digest_time, timezone=chat.timezone,
            sections=tuple(chat.sections or ()), alerts_enabled=chat.alerts_enabled,
            digest_silent=chat.digest_silent, language=chat.reader_language,
            other_hazards=chat.other_hazards, reply_language=chat.reply_language,
        )

    def shows(self, section: str) -> bool:
        return not self.sections or section in self.sections


@dataclass(frozen=True)
class ChatIdentity:
    """Who the chat is, as the update says (recorded on first contact)."""

    chat_id: int
    chat_type: str = "private"
    title: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class ChannelRef:
    """A channel the reader was just confirmed to administer."""

    chat_id: int
    title: str | None
    username: str | None

    @property
    def handle(self) -> str:
        """How to name it to the reader: ``@username``, else its title."""
        return f"@{self.username}" if self.username else (self.title or str(self.chat_id))

    def identity(self, language: str | None) -> ChatIdentity:
        return ChatIdentity(self.chat_id, CHANNEL, self.title, language)


@dataclass(frozen=True)
class SubscribeResult:
    settings: ChatSettings
    changed: bool  # False: it was already subscribed


class SubscriptionService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def settings(self, who: ChatIdentity) -> ChatSettings:
        """The chat's settings, registering it (or making it active again) first: a write, so
        it waits out another writer's lock like every other change."""

        async def work(session: WriteSession) -> ChatSettings:
            return ChatSettings.of(await self._seen(ChatRepository(session), who))

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def subscribe(self, who: ChatIdentity) -> SubscribeResult:
        now = self.clock.now()

        async def work(session: WriteSession) -> SubscribeResult:
            chat = await self._seen(ChatRepository(session), who)
            if chat.subscribed:
                return SubscribeResult(ChatSettings.of(chat), changed=False)
            chat.subscribed = True
            _skip_passed_slot(chat, now)
            chat.updated_at = now
            return SubscribeResult(ChatSettings.of(chat), changed=True)

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock

    async def unsubscribe(self, chat_id: int) -> bool:
        """False when the chat was not subscribed."""
        return await self._change(chat_id, _unsubscribe)

    async def set_time(self, chat_id: int, text: str) -> ChatSettings:
        """Raises :class:`InvalidDigestTimeError` for anything but a clock time."""
        digest_time = parse_digest_time(text)

        def apply(chat: Chat, now: datetime) -> None:
            chat.digest_time = digest_time
            _skip_passed_slot(chat, now)

        await self._change(chat_id, apply)
        return await self._get(chat_id)

    async def shift_time(self, chat_id: int, hours: int) -> ChatSettings:
        def apply(chat: Chat, now: datetime) -> None:
            hour, minute = (int(p) for p in chat.digest_time.split(":"))
            moved = (datetime(2000, 1, 1, hour, minute) + timedelta(hours=hours)).time()
            chat.digest_time = f"{moved.hour:02d}:{moved.minute:02d}"
            _skip_passed_slot(chat, now)

        await self._change(chat_id, apply)
        return await self._get(chat_id)

    async def set_timezone(self, chat_id: int, name: str) -> ChatSettings:
        """Raises :class:`UnknownTimezoneError` for a name that is not IANA's."""
        zone = parse_timezone(name).key

        def apply(chat: Chat, now: datetime) -> None:
            chat.timezone = zone
            _skip_passed_slot(chat, now)

        await self._change(chat_id, apply)
        return await self._get(chat_id)

    async def toggle_section(self, chat_id: int, section: str) -> ChatSettings:
        """Turn one section off or on; turning the last one off means "all" again."""
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")

        def apply(chat: Chat, now: datetime) -> None:
            chosen = list(chat.sections or SECTIONS)
            if section in chosen:
                chosen.remove(section)
            else:
                chosen.append(section)
            ordered = [s for s in SECTIONS if s in chosen]
            chat.sections = [] if len(ordered) in (0, len(SECTIONS)) else ordered

        await self._change(chat_id, apply)
        return await self._get(chat_id)

    async def toggle_alerts(self, chat_id: int) -> ChatSettings:
        await self._change(chat_id, _toggle("alerts_enabled"))
        return await self._get(chat_id)

    async def toggle_other_hazards(self, chat_id: int) -> ChatSettings:
        """Flood and rainstorm notices are opt-in: typhoon alerts are what every reader wants."""
        await self._change(chat_id, _toggle("other_hazards"))
        return await self._get(chat_id)

    async def toggle_silent(self, chat_id: int) -> ChatSettings:
        await self._change(chat_id, _toggle("digest_silent"))
        return await self._get(chat_id)

    # --- plumbing ----------------------------------------------------------------------------

    async def apply_setting(self, who: ChatIdentity, kind: str, value: str = "") -> ChatSettings:
        """One change from the /settings panel: ``sub`` (un)subscribe, ``h`` ±1 hour, ``s`` a
        section on/off, ``a`` alerts, ``q`` silent digest, ``o`` flood/rainstorm alerts, ``z`` a
        :data:`QUICK_ZONES` index. Raises :class:`UnknownSettingError` for anything else, before
        changing anything."""
        chat_id = who.chat_id
        await self.settings(who)
        if kind == "sub" and not value:
            if (await self._get(chat_id)).subscribed:
                await self.unsubscribe(chat_id)
            else:
                await self.subscribe(who)
        elif kind == "h" and value in ("-1", "1"):
            await self.shift_time(chat_id, int(value))
        elif kind == "s" and value in SECTIONS:
            await self.toggle_section(chat_id, value)
        elif kind == "a" and not value:
            await self.toggle_alerts(chat_id)
        elif kind == "q" and not value:
            await self.toggle_silent(chat_id)
        elif kind == "o" and not value:
            await self.toggle_other_hazards(chat_id)
        elif kind == "z" and value in {str(i) for i in range(len(QUICK_ZONES))}:
            await self.set_timezone(chat_id, QUICK_ZONES[int(value)])
        else:
            raise UnknownSettingError(f"no settings button {kind!r}:{value!r}")
        return await self._get(chat_id)

    async def _seen(self, repo: ChatRepository, who: ChatIdentity) -> Chat:
        existing = await repo.get(who.chat_id)
        if existing is not None and existing.active:
            return existing
        return await repo.upsert_seen(
            who.chat_id, now=self.clock.now(), type=who.chat_type, title=who.title,
            language=who.language,
        )

    async def _get(self, chat_id: int) -> ChatSettings:
        async with self.db.session() as session:
            chat = await ChatRepository(session).get(chat_id)
            if chat is None:
                raise UnknownChatError(chat_id)
            return ChatSettings.of(chat)

    async def _change(self, chat_id: int, apply: _Change) -> bool:
        now = self.clock.now()

        async def work(session: WriteSession) -> bool:
            chat = await ChatRepository(session).get(chat_id)
            if chat is None:
                raise UnknownChatError(chat_id)
            changed = apply(chat, now)
            chat.updated_at = now
            return changed is not False

        return await self.db.write(work)  # retried if an ingest holds SQLite's write lock


def _unsubscribe(chat: Chat, now: datetime) -> bool:
    was = chat.subscribed
    chat.subscribed = False
    return was


def _toggle(field: str) -> _Change:
    def apply(chat: Chat, now: datetime) -> None:
        setattr(chat, field, not getattr(chat, field))

    return apply


def _skip_passed_slot(chat: Chat, now: datetime) -> None:
    """Today's hour already gone under the new settings: the next digest is tomorrow's."""
    passed = slot_passed_today(chat.digest_time, chat.timezone, now)
    if passed is not None and (chat.last_digest_date is None or chat.last_digest_date < passed):
        chat.last_digest_date = passed
