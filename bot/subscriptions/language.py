"""The reply language a chat chose with /lang, stored, and read on every update.

A reader with an English phone who reads Chinese (or the reverse) picks the language once; it is
kept in ``chats.reply_language`` and survives restarts. ``auto`` clears the choice, so replies
follow the Telegram client again. Every update asks :meth:`LanguageService.choice`, so answers are
cached in memory (one bot process per database, and only this service writes the column).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.subscriptions.settings import ChatIdentity
from storage.chats import ChatRepository
from storage.database import Database, WriteSession

AUTO = "auto"
# The choices /lang offers, as language tags the translator reads, in button order.
LANGUAGE_CHOICES: tuple[str, ...] = ("zh-hans", "zh-hant", "en")
_ALIASES = {
    "auto": AUTO, "default": AUTO, "自动": AUTO, "自動": AUTO,
    "zh-hans": "zh-hans", "zh-cn": "zh-hans", "zh": "zh-hans", "hans": "zh-hans",
    "简体": "zh-hans", "簡體": "zh-hans", "简": "zh-hans",
    "zh-hant": "zh-hant", "zh-tw": "zh-hant", "zh-hk": "zh-hant", "hant": "zh-hant",
    "繁体": "zh-hant", "繁體": "zh-hant", "繁": "zh-hant",
    "en": "en", "english": "en", "英文": "en", "英语": "en", "英語": "en",
}
CACHE_SIZE = 10_000


class UnknownLanguageError(ValueError):
    """``/lang xx`` with a language we have no catalogue for; nothing is changed."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def parse_language_choice(text: str) -> str:
    """``en``, ``zh-hant``, ``繁體``, ``auto`` ... → a choice tag or :data:`AUTO`."""
    key = text.strip().replace("_", "-").lower()
    if key not in _ALIASES:
        raise UnknownLanguageError(text)
    return _ALIASES[key]


@dataclass(frozen=True)
class LanguageChange:
    choice: str | None  # None: auto
    changed: bool


class LanguageService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._cache: OrderedDict[int, str | None] = OrderedDict()

    async def choice(self, chat_id: int) -> str | None:
        """The chat's chosen language tag, or None (auto: the reader's client decides)."""
        if chat_id in self._cache:
            self._cache.move_to_end(chat_id)
            return self._cache[chat_id]
        async with self.db.session() as session:
            chat = await ChatRepository(session).get(chat_id)
        value = chat.reply_language if chat is not None else None
        self._remember(chat_id, value)
        return value

    async def choose(self, who: ChatIdentity, choice: str) -> LanguageChange:
        """Store ``choice`` (a tag from :data:`LANGUAGE_CHOICES`, or :data:`AUTO`) for the chat."""
        if choice != AUTO and choice not in LANGUAGE_CHOICES:
            raise UnknownLanguageError(choice)
        value = None if choice == AUTO else choice
        now = self.clock.now()

        async def work(session: WriteSession) -> bool:
            repo = ChatRepository(session)
            chat = await repo.get(who.chat_id)
            if chat is None:
                chat = await repo.upsert_seen(who.chat_id, now=now, type=who.chat_type,
                                              title=who.title, language=who.language)
            changed = chat.reply_language != value
            await repo.update_settings(who.chat_id, now=now, reply_language=value)
            return changed

        changed = await self.db.write(work)  # retried if an ingest holds SQLite's write lock
        self._remember(who.chat_id, value)
        return LanguageChange(value, changed)

    def _remember(self, chat_id: int, value: str | None) -> None:
        self._cache[chat_id] = value
        self._cache.move_to_end(chat_id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
