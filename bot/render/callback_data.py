"""Inline-button data: short, ASCII, signed, and checked before anything acts on it.

Telegram allows 64 bytes of ``callback_data`` and hands back whatever a client sends, so every
button carries a kind, a few ASCII fields and a 36-bit HMAC tag keyed by a secret derived from the
bot token (stable across restarts, so yesterday's buttons still work):

``a:<id>:<tag>``                    open article ``id``
``s:<slug>:<page>:<tag>``           a page of a section, in place (``slug``: SECTION_SLUGS)
``S:<slug>:<page>:<tag>``           ... as a new message (from a menu that should stay)
``p:<page>:=<b64>:<tag>``           a page of search results for a short query, encoded in place
``p:<page>:~<token>:<tag>``         ... for a longer query, kept in a bounded server-side cache
``k:<id>:<tag>``                    an admin's 版块 button: pick article ``id``'s section
``K:<id>:<slug>:<tag>``             ... file it under that section (the handler checks admin)

Settings buttons (``g:``, ``c:``) are the exception, unsigned: see :func:`parse_settings_data`.

Queries are recomputed from the button, not cached results: a short query (the usual case, up to
about 18 Chinese characters) survives restarts; only long queries can expire with the cache.
Anything malformed, unsigned or forgotten raises :class:`CallbackDataError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.text.sections import SECTIONS

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit
TAG_CHARS = 6
SHARE_TAG_CHARS = 10  # 60 bits: share links live long and travel far
QUERY_CACHE_SIZE = 4096
MAX_PAGE = 9999
QUERY_ENCODING = "gb18030"  # two bytes per Chinese character (UTF-8 needs three)

SECTION_SLUGS: Mapping[str, str] = {
    "时政": "politics",
    "经济": "econ",
    "社会": "society",
    "科教": "scitech",
    "文体": "culture",
    "应急": "emergency",
}
SLUG_SECTIONS: Mapping[str, str] = {slug: name for name, slug in SECTION_SLUGS.items()}
assert set(SECTION_SLUGS) == set(SECTIONS)


class CallbackDataError(ValueError):
    """Button data we did not make, or no longer understand: answer "expired", do nothing."""


class CallbackExpiredError(CallbackDataError):
    """Genuine button data whose server-side half (a long query) has been forgotten."""


@dataclass(frozen=True)
class OpenArticle:
    article_id: int


@dataclass(frozen=True)
class SectionPageRequest:
    section: str
    page: int
    new_message: bool = False


@dataclass(frozen=True)
class SectionPicker:
    """An admin pressed 版块 under an article: show the six sections to choose from."""

    article_id: int


@dataclass(frozen=True)
class SetArticleSection:
    """An admin chose a section for an article (kept as an operator correction)."""

    article_id: int
    section: str


@dataclass(frozen=True)
class SearchPageRequest:
    query: str
    page: int


@dataclass(frozen=True)
class EditionSectionRequest:
    """A page of one edition's articles in a section (the /today "all N" button)."""

    section: str
    edition: date
    page: int
    new_message: bool = False


ButtonAction = (
    OpenArticle | SectionPageRequest | SearchPageRequest | EditionSectionRequest
    | SectionPicker | SetArticleSection
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CallbackCodec:
    """Makes and reads button data for one bot (one secret)."""

    def __init__(self, secret: str | bytes, *, cache_size: int = QUERY_CACHE_SIZE) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        self._key = hashlib.sha256(b"newsbrief callback data\0" + raw).digest()
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size

    # --- making ---------------------------------------------------------------------------------

    def _sign(self, body: str) -> str:
        tag = hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
        data = f"{body}:{_b64(tag)[:TAG_CHARS]}"
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT, data
        return data

    def open_article(self, article_id: int) -> str:
        return self._sign(f"a:{int(article_id)}")

    def section_picker(self, article_id: int) -> str:
        return self._sign(f"k:{int(article_id)}")

    def set_section(self, article_id: int, section: str) -> str:
        return self._sign(f"K:{int(article_id)}:{SECTION_SLUGS[section]}")

    def section_page(self, section: str, page: int, *, new_message: bool = False) -> str:
        kind = "S" if new_message else "s"
        return self._sign(f"{kind}:{SECTION_SLUGS[section]}:{_page(page)}")

    def edition_section_page(
        self, section: str, edition: date, page: int, *, new_message: bool = False
    ) -> str:
        kind = "E" if new_message else "e"
        return self._sign(f"{kind}:{SECTION_SLUGS[section]}:{edition:%Y%m%d}:{_page(page)}")

    def search_page(self, query: str, page: int) -> str:
        prefix = f"p:{_page(page)}:"
        try:
            inline = "=" + _b64(query.encode(QUERY_ENCODING, errors="strict"))
        except UnicodeEncodeError:  # a lone surrogate: keep it server-side
            inline = "=" * CALLBACK_DATA_LIMIT
        if len(prefix) + len(inline) + 1 + TAG_CHARS <= CALLBACK_DATA_LIMIT:
            return self._sign(prefix + inline)
        return self._sign(prefix + "~" + self._remember(query))

    def share_payload(self, article_id: int) -> str:
        """The ``/start`` payload of an article's share link: ``a_<id>_<tag>`` (≤ 31 characters
        of ``[A-Za-z0-9_-]``), signed so a guessed or altered id opens nothing."""
        body = f"a_{int(article_id)}"
        payload = f"{body}_{self._share_tag(body)}"
        assert len(payload) <= DEEP_LINK_LIMIT and set(payload) <= _DEEP_LINK_CHARS, payload
        return payload

    def _share_tag(self, body: str) -> str:
        digest = hmac.new(self._key, b"share\0" + body.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest)[:SHARE_TAG_CHARS]

    def decode_start(self, payload: str) -> ButtonAction:
        """What a ``/start <payload>`` opens: a signed article link, or an unsigned section or
        search link. Raises :class:`DeepLinkError` for anything else."""
        if not payload or len(payload) > DEEP_LINK_LIMIT or not set(payload) <= _DEEP_LINK_CHARS:
            raise DeepLinkError("not a deep-link payload")
        if payload.startswith("a_"):
            number, _, tag = payload[2:].partition("_")
            if not _ROW_ID.fullmatch(number) or not hmac.compare_digest(
                tag, self._share_tag(f"a_{number}")
            ):
                raise DeepLinkError("article link signature does not match")
            return OpenArticle(int(number))
        action = parse_deep_link(payload)
        if action is None:
            raise DeepLinkError("unknown deep link")
        return action

    def _remember(self, query: str) -> str:
        token = _b64(hmac.new(self._key, query.encode(), hashlib.sha256).digest()[:9])
        self._queries[token] = query
        self._queries.move_to_end(token)
        while len(self._queries) > self._cache_size:
            self._queries.popitem(last=False)
        return token

    # --- reading --------------------------------------------------------------------------------

    def decode(self, data: str | None) -> ButtonAction:
        """What a pressed button asks for; raises :class:`CallbackDataError` for anything else."""
        if not data or len(data.encode("utf-8", errors="replace")) > CALLBACK_DATA_LIMIT:
            raise CallbackDataError("missing or oversized button data")
        if not data.isascii():
            raise CallbackDataError("button data is not ASCII")
        body, _, tag = data.rpartition(":")
        expected = self._sign(body).rpartition(":")[2] if body else ""
        if not body or not hmac.compare_digest(tag, expected):
            raise CallbackDataError("button data signature does not match")
        kind, *fields = body.split(":")
        try:
            if kind == "a" and len(fields) == 1:
                return OpenArticle(int(fields[0]))
            if kind == "k" and len(fields) == 1:
                return SectionPicker(int(fields[0]))
            if kind == "K" and len(fields) == 2:
                return SetArticleSection(int(fields[0]), SLUG_SECTIONS[fields[1]])
            if kind in ("s", "S") and len(fields) == 2:
                return SectionPageRequest(
                    SLUG_SECTIONS[fields[0]], _page(int(fields[1])), new_message=kind == "S"
                )
            if kind in ("e", "E") and len(fields) == 3:
                edition = _edition(fields[1])
                return EditionSectionRequest(
                    SLUG_SECTIONS[fields[0]], edition, _page(int(fields[2])),
                    new_message=kind == "E",
                )
            if kind == "p" and len(fields) == 2:
                return SearchPageRequest(self._query(fields[1]), _page(int(fields[0])))
        except (KeyError, ValueError) as exc:
            if isinstance(exc, CallbackDataError):
                raise
            raise CallbackDataError(f"unreadable button data ({type(exc).__name__})") from exc
        raise CallbackDataError(f"unknown button kind {kind!r}")

    def _query(self, field: str) -> str:
        if field.startswith("="):
            try:
                return _unb64(field[1:]).decode(QUERY_ENCODING, errors="strict")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise CallbackDataError("unreadable query in button data") from exc
        if field.startswith("~"):
            query = self._queries.get(field[1:])
            if query is None:
                raise CallbackExpiredError("the long query behind this button was forgotten")
            self._queries.move_to_end(field[1:])
            return query
        raise CallbackDataError("unknown query encoding")


def _page(page: int) -> int:
    if not 0 <= page <= MAX_PAGE:
        raise ValueError(f"page {page} out of range")
    return page


_EDITION = re.compile(r"[0-9]{8}")


def _edition(text: str) -> date:
    if not _EDITION.fullmatch(text):
        raise ValueError("not an edition date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


DEEP_LINK_LIMIT = 64  # /start payloads: up to 64 of [A-Za-z0-9_-]
_DEEP_LINK_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class DeepLinkError(ValueError):
    """A ``/start`` payload we did not make (forged, cut short, too long): a polite answer."""


def parse_deep_link(payload: str) -> ButtonAction | None:
    """What an unsigned ``t.me/<bot>?start=<payload>`` link opens: ``sec_<slug>`` a section,
    ``q_<base64url of UTF-8>`` a search. Anything else opens nothing. Article links are signed:
    :meth:`CallbackCodec.decode_start` reads those."""
    if not payload or len(payload) > DEEP_LINK_LIMIT or not set(payload) <= _DEEP_LINK_CHARS:
        return None
    kind, _, value = payload.partition("_")
    try:
        if kind == "sec":
            section = SLUG_SECTIONS.get(value.lower())
            return SectionPageRequest(section, 0) if section else None
        if kind == "q" and value:
            query = _unb64(value).decode("utf-8", errors="strict").strip()
            return SearchPageRequest(query, 0) if query else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return None


def search_deep_link(query: str) -> str | None:
    """The ``start`` payload that opens a search, or None when the query is too long for one."""
    payload = "q_" + _b64(query.encode("utf-8"))
    return payload if len(payload) <= DEEP_LINK_LIMIT else None


# --- settings buttons ---------------------------------------------------------------------------
# Not signed: they carry no secret and grant nothing. Who may press them is re-checked on every
# press (group admins; for a channel, getChatMember on the channel), so forged data gains nothing.

SETTINGS_PREFIX = "g:"  # ``g:<kind>[:<value>]``: the chat the panel is in
CHANNEL_SETTINGS_PREFIX = "c:"  # ``c:<chat_id>:<kind>[:<value>]``: a channel, from a private chat
_CHANNEL_ID = re.compile(r"-[1-9][0-9]{0,15}")
_FIELD = re.compile(r"[A-Za-z0-9-]{1,16}")


@dataclass(frozen=True)
class SettingsPress:
    """A settings button: what to change (``kind``, ``value``) and in which chat."""

    kind: str
    value: str = ""
    channel_id: int | None = None  # None: the chat the button was pressed in


def settings_data(kind: str, value: str = "", *, channel_id: int | None = None) -> str:
    """The callback data for a settings button (at most 28 bytes for a 13-digit channel id)."""
    body = f"{kind}:{value}" if value else kind
    data = (f"{SETTINGS_PREFIX}{body}" if channel_id is None
            else f"{CHANNEL_SETTINGS_PREFIX}{int(channel_id)}:{body}")
    assert data.isascii() and len(data) <= CALLBACK_DATA_LIMIT, data
    return data


def parse_settings_data(data: str | None) -> SettingsPress:
    """The inverse of :func:`settings_data`; a channel id must look like one (negative).

    Raises :class:`CallbackDataError` for anything else. Whether ``kind`` and ``value`` mean
    something is the handler's call; whether the presser may change that chat, Telegram's."""
    if not data or len(data) > CALLBACK_DATA_LIMIT or not data.isascii():
        raise CallbackDataError("missing, oversized or non-ASCII settings data")
    channel_id: int | None = None
    if data.startswith(SETTINGS_PREFIX):
        fields = data[len(SETTINGS_PREFIX):].split(":")
    elif data.startswith(CHANNEL_SETTINGS_PREFIX):
        chat, *fields = data[len(CHANNEL_SETTINGS_PREFIX):].split(":")
        if not _CHANNEL_ID.fullmatch(chat):
            raise CallbackDataError("settings data names no channel")
        channel_id = int(chat)
    else:
        raise CallbackDataError("not settings data")
    if not 1 <= len(fields) <= 2 or not all(_FIELD.fullmatch(f) for f in fields):
        raise CallbackDataError("unreadable settings data")
    return SettingsPress(fields[0], fields[1] if len(fields) == 2 else "", channel_id)


# --- watch buttons ------------------------------------------------------------------------------
# Unsigned for the same reason: a watch is removed only from the chat that owns it.

WATCHES_PREFIX = "w:"  # ``w:x:<watch id>``: remove that watch (from the /watches list)
_ROW_ID = re.compile(r"[1-9][0-9]{0,17}")  # ASCII digits only, within a 64-bit row id


def watch_remove_data(watch_id: int) -> str:
    return f"{WATCHES_PREFIX}x:{int(watch_id)}"


def parse_watch_remove(data: str | None) -> int:
    """The watch id a remove button names; :class:`CallbackDataError` for anything else."""
    if not data or not data.startswith(WATCHES_PREFIX) or len(data) > CALLBACK_DATA_LIMIT:
        raise CallbackDataError("not watch data")
    kind, _, value = data[len(WATCHES_PREFIX):].partition(":")
    if kind != "x" or not _ROW_ID.fullmatch(value):
        raise CallbackDataError("unreadable watch data")
    return int(value)


# --- language buttons ---------------------------------------------------------------------------
# Unsigned too: a language choice grants nothing, and in groups who may press is re-checked.

LANGUAGE_PREFIX = "l:"  # ``l:<choice>``: en, zh-hans, zh-hant or auto
_LANGUAGE_VALUE = re.compile(r"[a-z-]{2,8}")


def language_data(choice: str) -> str:
    data = f"{LANGUAGE_PREFIX}{choice}"
    assert data.isascii() and len(data) <= CALLBACK_DATA_LIMIT, data
    return data


def parse_language_data(data: str | None) -> str:
    """The choice a language button names; :class:`CallbackDataError` for anything else."""
    if not data or not data.startswith(LANGUAGE_PREFIX) or len(data) > CALLBACK_DATA_LIMIT:
        raise CallbackDataError("not language data")
    value = data[len(LANGUAGE_PREFIX):]
    if not _LANGUAGE_VALUE.fullmatch(value):
        raise CallbackDataError("unreadable language data")
    return value
