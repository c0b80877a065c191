"""User-facing strings in three catalogues, and the script conversion for article text.

Every string a reader sees comes from ``bot/render/locales/<locale>.json``: zh-Hans is the default,
zh-Hant serves readers whose Telegram language is traditional Chinese (and sees article text
converted with OpenCC's regional variant), en serves English. Catalogue strings are HTML templates
for HTML messages; parameters are escaped on the way in unless they are already :class:`Html`,
and never carry control characters (a NUL or an ESC a reader typed is not echoed back). What a
reader typed is shown back through :func:`echo`, clipped, so a 4,000-character argument still gets
its refusal instead of "message is too long".
"""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

ZH_HANS = "zh-Hans"
ZH_HANT = "zh-Hant"
EN = "en"
LOCALES: tuple[str, ...] = (ZH_HANS, ZH_HANT, EN)
DEFAULT_LOCALE = ZH_HANS

# Telegram sends IETF tags ("zh-hans", "zh-hant", "zh-tw", "en", "en-gb"); regions that write
# traditional characters get zh-Hant, with the OpenCC config for their regional vocabulary.
_TRADITIONAL_REGIONS: Mapping[str, str] = {
    "hant": "s2t",
    "tw": "s2tw",
    "hk": "s2hk",
    "mo": "s2hk",
}


class Html(str):
    """A string that is already safe HTML (escaped text plus our own tags)."""

    __slots__ = ()


ECHO_CHARS = 200  # what a reader typed, shown back in a refusal, at most this long

# C0 and C1 controls (but the line break our templates and article text use), and the bidi
# overrides that would turn the rest of the line around.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def without_controls(text: str) -> str:
    """``text`` with control characters dropped (line breaks kept)."""
    return _CONTROL.sub("", text)


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """What a reader typed, fit to be shown back: one line, no control characters, at most
    ``limit`` characters (the cut marked with …)."""
    line = " ".join(without_controls(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def escape(text: str) -> Html:
    """Article and user text → HTML text; quotes too, so it is safe inside attributes."""
    return Html(html.escape(text, quote=True))


def locale_for(language_code: str | None) -> str:
    """The catalogue for a Telegram ``language_code``; unknown languages get the default."""
    if not language_code:
        return DEFAULT_LOCALE
    parts = language_code.replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return EN
    if parts[0] == "zh" and any(part in _TRADITIONAL_REGIONS for part in parts[1:]):
        return ZH_HANT
    return DEFAULT_LOCALE


def opencc_config_for(language_code: str | None) -> str | None:
    """OpenCC config turning simplified article text into the reader's traditional variant."""
    if locale_for(language_code) != ZH_HANT:
        return None
    parts = (language_code or "").replace("_", "-").lower().split("-")
    for part in reversed(parts[1:]):
        if part in ("tw", "hk", "mo"):
            return _TRADITIONAL_REGIONS[part]
    return "s2t"


@cache
def catalogue(locale: str) -> Mapping[str, str]:
    """One locale's strings, read once per process from the package data."""
    path = resources.files("bot.render") / "locales" / f"{locale}.json"
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {key: value for key, value in data.items() if not key.startswith("_")}


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` fields a template uses (the catalogue test compares them across locales)."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(template) if field)


@cache
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


@dataclass(frozen=True)
class Translator:
    """The strings and article-text script for one reader."""

    locale: str
    opencc_config: str | None = None

    @classmethod
    def for_language(cls, language_code: str | None) -> Translator:
        return cls(locale_for(language_code), opencc_config_for(language_code))

    def _template(self, key: str) -> str:
        strings = catalogue(self.locale)
        if key in strings:
            return strings[key]
        return catalogue(DEFAULT_LOCALE)[key]  # a KeyError here is a bug the catalogue test finds

    def text(self, key: str, **params: Any) -> str:
        """A plain-text string (buttons, callback answers, command menus): nothing escaped."""
        clean = {name: without_controls(value) if isinstance(value, str) else value
                 for name, value in params.items()}
        return self._template(key).format(**clean)

    def html(self, key: str, **params: Any) -> Html:
        """An HTML string: parameters are escaped unless they are :class:`Html` already."""
        safe = {
            name: value if isinstance(value, Html) or not isinstance(value, str)
            else escape(without_controls(value))
            for name, value in params.items()
        }
        return Html(self._template(key).format(**safe))

    def article_text(self, text: str) -> str:
        """Article text in the reader's script: traditional readers get OpenCC's conversion."""
        if self.opencc_config is None or not text:
            return text
        return _converter(self.opencc_config).convert(text)

    def date(self, value: date) -> str:
        return self.text("date.format", year=value.year, month=value.month, day=value.day)

    def section(self, name: str) -> str:
        """A section's display name (the catalogue has one per canonical section)."""
        key = f"section.{name}"
        if key in catalogue(DEFAULT_LOCALE):
            return self.text(key)
        return self.article_text(name)
