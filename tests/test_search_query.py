"""The query language: what readers type becomes terms and filters, or a clear QueryError."""

from __future__ import annotations

from datetime import date

import pytest

from bot.search.query import MAX_QUERY_CHARS, MAX_TERMS, QueryError, parse_date, parse_query


def _included(query: str) -> list[str]:
    return [term.folded for term in parse_query(query).include]


def test_terms_split_on_ascii_and_full_width_spaces() -> None:
    assert _included("台风 萧山\u3000经开") == ["台风", "萧山", "经开"]


def test_quotes_keep_a_phrase_with_spaces() -> None:
    assert _included('"new york" 台风') == ["new york", "台风"]
    assert _included("“防台风 应急响应”") == ["防台风 应急响应"]
    assert _included("「经开 区」") == ["经开 区"]
    assert _included("『亚运 会』") == ["亚运 会"]


def test_unclosed_quote_runs_to_the_end() -> None:
    assert _included('"经开 区') == ["经开 区"]


def test_minus_excludes_a_term_or_phrase() -> None:
    parsed = parse_query('台风 -暴雨 -"防汛 应急"')
    assert [t.folded for t in parsed.include] == ["台风"]
    assert [t.folded for t in parsed.exclude] == ["暴雨", "防汛 应急"]


def test_full_width_minus_also_excludes() -> None:
    assert [t.folded for t in parse_query("台风 －暴雨").exclude] == ["暴雨"]


def test_hyphen_inside_a_word_is_text() -> None:
    assert _included("covid-19") == ["covid-19"]


def test_section_filter_in_english_and_chinese() -> None:
    assert parse_query("台风 section:应急").section == "应急"
    assert parse_query("台风 板块:經濟").section == "经济"
    assert parse_query("台风 栏目：社会").section == "社会"


def test_date_filters() -> None:
    parsed = parse_query("台风 since:2023-07-01 until:2023/7/31")
    assert (parsed.since, parsed.until) == (date(2023, 7, 1), date(2023, 7, 31))
    one_day = parse_query("台风 date:20230731")
    assert one_day.since == one_day.until == date(2023, 7, 31)
    assert parse_query("台风 从:2023年7月1日").since == date(2023, 7, 1)


def test_keyword_arguments_win_over_filters_in_the_text() -> None:
    parsed = parse_query(
        "台风 section:经济 since:2023-01-01", section="应急", since=date(2023, 7, 1)
    )
    assert parsed.section == "应急"
    assert parsed.since == date(2023, 7, 1)


def test_unknown_key_with_colon_is_text() -> None:
    assert _included("foo:bar") == ["foo:bar"]


def test_duplicate_terms_are_kept_once() -> None:
    assert _included("台风 颱風 台风") == ["台风"]


def test_empty_query_is_an_error() -> None:
    for query in ("", "   ", "\u3000\t\n"):
        with pytest.raises(QueryError) as error:
            parse_query(query)
        assert error.value.key == "empty"


def test_query_with_only_punctuation_or_emoji_says_so() -> None:
    with pytest.raises(QueryError) as error:
        parse_query("!!! 😀 ……")
    assert error.value.key == "no_searchable_text"


def test_only_exclusions_is_an_error() -> None:
    with pytest.raises(QueryError) as error:
        parse_query("-台风")
    assert error.value.key == "only_exclusions"


def test_filters_alone_are_an_error() -> None:
    with pytest.raises(QueryError) as error:
        parse_query("section:经济")
    assert error.value.key == "filters_only"


def test_too_long_query_names_the_limit() -> None:
    with pytest.raises(QueryError) as error:
        parse_query("台" * 3000)
    assert error.value.key == "too_long"
    assert error.value.params == {"length": 3000, "max": MAX_QUERY_CHARS}
    assert str(MAX_QUERY_CHARS) in str(error.value)


def test_too_many_terms() -> None:
    with pytest.raises(QueryError) as error:
        parse_query(" ".join(f"词{i}" for i in range(MAX_TERMS + 1)))
    assert error.value.key == "too_many_terms"


def test_bad_dates_are_errors_with_the_value() -> None:
    with pytest.raises(QueryError) as error:
        parse_query("台风 since:2023-13-45")
    assert error.value.key == "bad_date"
    assert error.value.params["value"] == "2023-13-45"
    with pytest.raises(QueryError) as error:
        parse_query("台风 since:2023-08-01 until:2023-07-01")
    assert error.value.key == "bad_date_range"


def test_parse_date_accepts_common_forms() -> None:
    for text in ("2023-07-31", "2023/7/31", "2023.07.31", "20230731", "2023年7月31日"):
        assert parse_date(text) == date(2023, 7, 31)


def test_search_syntax_of_databases_is_plain_text() -> None:
    assert _included("NEAR(a b) OR c*") == ["near(a", "b)", "or", "c*"]
    assert _included("'a' <-> !b") == ["'a'", "!b"]
