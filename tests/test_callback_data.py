"""Button data is short, ASCII and signed; anything else is refused, never acted on."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.render.callback_data import (
    CALLBACK_DATA_LIMIT,
    CallbackCodec,
    CallbackDataError,
    CallbackExpiredError,
    DeepLinkError,
    EditionSectionRequest,
    OpenArticle,
    SearchPageRequest,
    SectionPageRequest,
    language_data,
    parse_deep_link,
    parse_language_data,
    search_deep_link,
)


@pytest.fixture
def codec() -> CallbackCodec:
    return CallbackCodec("123:token")


def test_buttons_round_trip_within_64_ascii_bytes(codec: CallbackCodec) -> None:
    for query in ("台风", "萧山经开区 专精特新", "x" * 10, "经" * 200, "🌀 typhoon"):
        data = codec.search_page(query, 3)
        assert data.isascii() and len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert codec.decode(data) == SearchPageRequest(query, 3)
    assert codec.decode(codec.open_article(123456)) == OpenArticle(123456)
    assert codec.decode(codec.section_page("经济", 2)) == SectionPageRequest("经济", 2)


def test_short_queries_survive_a_restart(codec: CallbackCodec) -> None:
    data = codec.search_page("萧山经开区", 1)
    assert CallbackCodec("123:token").decode(data) == SearchPageRequest("萧山经开区", 1)


def test_long_query_forgotten_by_a_new_process_is_expired(codec: CallbackCodec) -> None:
    data = codec.search_page("经" * 100, 0)
    with pytest.raises(CallbackExpiredError):
        CallbackCodec("123:token").decode(data)


@pytest.mark.parametrize(
    "data", ["", "a:1", "a:1:AAAAAA", "x" * 65, "a:2:" + "A" * 6, "经济", "s:econ:0:zzzzzz"]
)
def test_tampered_data_is_refused(codec: CallbackCodec, data: str) -> None:
    with pytest.raises(CallbackDataError):
        codec.decode(data)


def test_changing_a_signed_field_is_refused(codec: CallbackCodec) -> None:
    data = codec.open_article(5)
    with pytest.raises(CallbackDataError):
        codec.decode(data.replace("a:5:", "a:6:"))
    with pytest.raises(CallbackDataError):
        CallbackCodec("other:token").decode(data)


def test_deep_links() -> None:
    assert parse_deep_link("sec_econ") == SectionPageRequest("经济", 0)
    assert parse_deep_link("a_42") is None  # article links are signed: CallbackCodec reads them
    payload = search_deep_link("台风")
    assert payload is not None and parse_deep_link(payload) == SearchPageRequest("台风", 0)
    for junk in ("", "sec_nope", "a_x", "q_%%%", "经济", "q_" + "A" * 70):
        assert parse_deep_link(junk) is None


def test_share_links_are_signed_short_and_url_safe(codec: CallbackCodec) -> None:
    for article_id in (1, 42, 999_999_999_999_999_999):
        payload = codec.share_payload(article_id)
        assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        assert codec.decode_start(payload) == OpenArticle(article_id)
    assert codec.decode_start("sec_econ") == SectionPageRequest("经济", 0)


@pytest.mark.parametrize("payload", [
    "a_42", "a_999999999999999999999999999999", "a_43_" + "A" * 10, "", "x" * 65, "a_-1_abc",
    "a_42_" + "A" * 59, "经济", "hello world",
])
def test_forged_or_overflowing_start_payloads_are_refused(codec: CallbackCodec,
                                                          payload: str) -> None:
    with pytest.raises(DeepLinkError):
        codec.decode_start(payload)
    forged = codec.share_payload(42).replace("a_42_", "a_43_")
    with pytest.raises(DeepLinkError):
        codec.decode_start(forged)
    with pytest.raises(DeepLinkError):
        CallbackCodec("other:token").decode_start(codec.share_payload(42))


def test_edition_section_buttons_round_trip(codec: CallbackCodec) -> None:
    data = codec.edition_section_page("时政", date(2023, 7, 31), 6, new_message=True)
    assert data.isascii() and len(data) <= CALLBACK_DATA_LIMIT
    assert codec.decode(data) == EditionSectionRequest("时政", date(2023, 7, 31), 6, True)
    with pytest.raises(CallbackDataError):
        codec.decode(data.replace("20230731", "20231331"))


def test_language_buttons() -> None:
    for choice in ("en", "zh-hans", "zh-hant", "auto"):
        assert parse_language_data(language_data(choice)) == choice
    for junk in (None, "", "l:", "l:EN!", "g:sub", "l:" + "x" * 70):
        with pytest.raises(CallbackDataError):
            parse_language_data(junk)


def test_section_buttons_round_trip_and_refuse_tampering() -> None:
    from bot.render.callback_data import SectionPicker, SetArticleSection

    codec = CallbackCodec("secret")
    assert codec.decode(codec.section_picker(12)) == SectionPicker(12)
    data = codec.set_section(12, "文体")
    assert codec.decode(data) == SetArticleSection(12, "文体")
    with pytest.raises(CallbackDataError):
        codec.decode(data.replace("culture", "econ"))
    with pytest.raises(CallbackDataError):
        CallbackCodec("other").decode(data)
