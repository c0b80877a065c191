"""/lang's store: a chat's reply language is kept (SQLite and PostgreSQL), survives a restart,
``auto`` goes back to the client's language, and pushes follow the choice too."""

from __future__ import annotations

import pytest

from bot.pushes.digests import preferences
from bot.render.i18n import EN, ZH_HANT, Translator
from bot.subscriptions.language import (
    AUTO,
    LanguageService,
    UnknownLanguageError,
    parse_language_choice,
)
from bot.subscriptions.settings import ChatIdentity, SubscriptionService
from storage.chats import ChatRepository
from storage.database import Database


@pytest.mark.parametrize(("text", "choice"), [
    ("en", "en"), ("EN", "en"), ("zh-hant", "zh-hant"), ("zh_Hant", "zh-hant"), ("繁體", "zh-hant"),
    ("zh-hans", "zh-hans"), ("简体", "zh-hans"), ("auto", AUTO), ("自动", AUTO),
])
def test_language_arguments(text: str, choice: str) -> None:
    assert parse_language_choice(text) == choice


@pytest.mark.parametrize("text", ["klingon", "", "zh-xx", "en;drop", "fr"])
def test_unknown_languages_are_refused(text: str) -> None:
    with pytest.raises(UnknownLanguageError):
        parse_language_choice(text)


async def test_choice_is_stored_and_survives_a_restart(db: Database) -> None:
    who = ChatIdentity(501, "private", None, "en")
    service = LanguageService(db)
    assert await service.choice(501) is None  # never seen: auto
    change = await service.choose(who, "zh-hant")
    assert change.changed and change.choice == "zh-hant"
    assert not (await service.choose(who, "zh-hant")).changed

    restarted = LanguageService(db)  # a new process: nothing cached
    assert await restarted.choice(501) == "zh-hant"
    assert Translator.for_language(await restarted.choice(501)).locale == ZH_HANT
    settings = await SubscriptionService(db).settings(who)
    assert settings.reply_language == "zh-hant" and settings.language == "zh-hant"

    await restarted.choose(who, AUTO)
    assert await LanguageService(db).choice(501) is None
    settings = await SubscriptionService(db).settings(who)
    assert settings.reply_language is None and settings.language == "en"  # the client again


async def test_refused_choice_changes_nothing(db: Database) -> None:
    who = ChatIdentity(502, "private", None, "en")
    service = LanguageService(db)
    await service.choose(who, "zh-hans")
    with pytest.raises(UnknownLanguageError):
        await service.choose(who, "fr")
    assert await LanguageService(db).choice(502) == "zh-hans"


async def test_pushes_use_the_chosen_language(db: Database) -> None:
    who = ChatIdentity(-1003, "supergroup", "读者群", "zh-hans")
    await SubscriptionService(db).subscribe(who)
    await LanguageService(db).choose(who, "en")
    async with db.session() as session:
        chat = await ChatRepository(session).get(-1003)
        assert chat is not None
        assert preferences(chat).language == "en"
        assert Translator.for_language(chat.reader_language).locale == EN
