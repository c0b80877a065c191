"""The three catalogues stay in step, and readers get the script their language asks for."""

from __future__ import annotations

import pytest

from bot.render.i18n import (
    EN,
    LOCALES,
    ZH_HANS,
    ZH_HANT,
    Translator,
    catalogue,
    locale_for,
    placeholders,
)
from handlers.commands import COMMANDS


def test_every_key_exists_in_all_catalogues() -> None:
    keys = {locale: set(catalogue(locale)) for locale in LOCALES}
    for locale in LOCALES:
        missing = keys[ZH_HANS] ^ keys[locale]
        assert not missing, f"{locale} differs from zh-Hans in {sorted(missing)}"


def test_placeholders_agree_across_catalogues() -> None:
    for key, template in catalogue(ZH_HANS).items():
        for locale in LOCALES:
            assert placeholders(catalogue(locale)[key]) == placeholders(template), (locale, key)


def test_every_menu_command_has_a_description_in_every_language() -> None:
    for command in COMMANDS:
        for locale in LOCALES:
            description = catalogue(locale).get(command.description_key)
            if command.in_menu:
                assert description and len(description) <= 256, (locale, command.name)


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        (None, ZH_HANS), ("zh-hans", ZH_HANS), ("zh", ZH_HANS), ("zh-cn", ZH_HANS),
        ("zh-hant", ZH_HANT), ("zh-TW", ZH_HANT), ("zh-hk", ZH_HANT), ("zh-mo", ZH_HANT),
        ("en", EN), ("en-GB", EN), ("fr", ZH_HANS),
    ],
)
def test_telegram_language_picks_catalogue(code: str | None, locale: str) -> None:
    assert locale_for(code) == locale


def test_traditional_readers_get_their_regional_variant() -> None:
    assert Translator.for_language("zh-tw").article_text("台风来了，里面") == "颱風來了，裡面"
    assert Translator.for_language("zh-hk").article_text("里面") == "裏面"
    assert Translator.for_language("zh-hant").article_text("经济") == "經濟"
    assert Translator.for_language("en").article_text("经济") == "经济"


def test_html_parameters_are_escaped() -> None:
    tr = Translator(ZH_HANS)
    assert "&lt;script&gt;" in tr.html("search.none", query="<script>")
    assert tr.text("search.none", query="<b>").count("<b>") == 1
