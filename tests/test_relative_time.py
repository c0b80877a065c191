"""Relative dates and times in articles resolve against the edition date, in the paper's zone."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.text.relative_time import PAPER_TZ, ResolvedTime, find_time_phrases, resolve_relative_time

SEED_EDITION = date(2023, 7, 31)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PAPER_TZ)


@pytest.mark.parametrize(
    ("phrase", "start", "end", "has_clock"),
    [
        ("28日", at(2023, 7, 28), None, False),
        ("29日", at(2023, 7, 29), None, False),
        ("昨日19时", at(2023, 7, 30, 19), None, True),
        ("昨日20时30分", at(2023, 7, 30, 20, 30), None, True),
        ("31日夜间至8月1日早晨", at(2023, 7, 31, 20), at(2023, 8, 1, 9), False),
        ("8月2—4日", at(2023, 8, 2), at(2023, 8, 5), False),
    ],
)
def test_seed_page_phrases_resolve_against_the_edition(
    phrase: str, start: datetime, end: datetime | None, has_clock: bool
) -> None:
    resolved = resolve_relative_time(phrase, SEED_EDITION)
    assert resolved == ResolvedTime(phrase, start, end, has_clock)


def test_response_start_time_is_iso_with_offset() -> None:
    resolved = resolve_relative_time("昨日20时30分", SEED_EDITION)
    assert resolved.start.isoformat() == "2023-07-30T20:30:00+08:00"


@pytest.mark.parametrize(
    ("phrase", "start"),
    [
        ("昨日", at(2023, 7, 30)),
        ("昨天", at(2023, 7, 30)),
        ("今日", at(2023, 7, 31)),
        ("今天", at(2023, 7, 31)),
        ("明日", at(2023, 8, 1)),
        ("明天", at(2023, 8, 1)),
        ("前日", at(2023, 7, 29)),
        ("前天", at(2023, 7, 29)),
        ("后天", at(2023, 8, 2)),
        ("20时30分", at(2023, 7, 31, 20, 30)),
        ("7月31日", at(2023, 7, 31)),
        ("2023年7月31日", at(2023, 7, 31)),
        ("二十八日", at(2023, 7, 28)),
        ("七月三十一日", at(2023, 7, 31)),
        ("２８日", at(2023, 7, 28)),
        ("昨日１９时", at(2023, 7, 30, 19)),
        ("下午3时", at(2023, 7, 31, 15)),
        ("昨晚8点半", at(2023, 7, 30, 20, 30)),
        ("今日凌晨2时", at(2023, 7, 31, 2)),
        ("20:30", at(2023, 7, 31, 20, 30)),
    ],
)
def test_day_words_dates_and_clocks(phrase: str, start: datetime) -> None:
    assert resolve_relative_time(phrase, SEED_EDITION).start == start


@pytest.mark.parametrize(
    "phrase", ["8月2—4日", "8月2–4日", "8月2-4日", "8月2～4日", "8月2日至4日", "8月2日到4日"]
)
def test_day_range_separators_agree(phrase: str) -> None:
    resolved = resolve_relative_time(phrase, SEED_EDITION)
    assert (resolved.start, resolved.end) == (at(2023, 8, 2), at(2023, 8, 5))


def test_bare_day_range_is_in_the_edition_month() -> None:
    resolved = resolve_relative_time("2—4日", SEED_EDITION)
    assert (resolved.start, resolved.end) == (at(2023, 7, 2), at(2023, 7, 5))


def test_part_of_day_is_an_interval_without_a_clock() -> None:
    resolved = resolve_relative_time("昨日夜间", SEED_EDITION)
    assert (resolved.start, resolved.end, resolved.has_clock) == (
        at(2023, 7, 30, 20),
        at(2023, 7, 31, 6),
        False,
    )


def test_clock_range_on_one_day() -> None:
    resolved = resolve_relative_time("今日8时至20时", SEED_EDITION)
    assert (resolved.start, resolved.end, resolved.has_clock) == (
        at(2023, 7, 31, 8),
        at(2023, 7, 31, 20),
        True,
    )


@pytest.mark.parametrize(
    ("phrase", "edition", "start"),
    [
        ("31日", date(2023, 1, 2), at(2022, 12, 31)),
        ("12月30日", date(2023, 1, 2), at(2022, 12, 30)),
        ("1月3日", date(2022, 12, 30), at(2023, 1, 3)),
        ("31日", date(2023, 3, 2), at(2023, 1, 31)),  # February has no 31st
        ("29日", date(2023, 8, 1), at(2023, 7, 29)),
        ("1日", date(2023, 8, 1), at(2023, 8, 1)),
        ("昨日", date(2023, 1, 1), at(2022, 12, 31)),
    ],
)
def test_month_and_year_roll_over(phrase: str, edition: date, start: datetime) -> None:
    assert resolve_relative_time(phrase, edition).start == start


def test_range_closing_day_rolls_into_next_month() -> None:
    resolved = resolve_relative_time("12月30日至2日", date(2023, 1, 2))
    assert (resolved.start, resolved.end) == (at(2022, 12, 30), at(2023, 1, 3))


def test_other_timezones_are_respected() -> None:
    tz = PAPER_TZ.__class__("Europe/London")
    resolved = resolve_relative_time("昨日20时30分", SEED_EDITION, tz)
    assert resolved.start == datetime(2023, 7, 30, 20, 30, tzinfo=tz)


@pytest.mark.parametrize(
    "phrase", ["", "   ", "会议", "hello", "25时", "2月30日", "32日", "28日会议"]
)
def test_non_time_text_is_refused_with_a_message(phrase: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        resolve_relative_time(phrase, SEED_EDITION)


def test_finds_every_phrase_of_the_seed_page_in_order(fixtures_dir: Path) -> None:
    page = (fixtures_dir / "xsrb-2023-07-31-01.txt").read_text(encoding="utf-8")
    # The parser joins these column breaks; here the text is joined by hand.
    text = page.replace("31\n\n日夜间", "31日夜间").replace("昨日\n\n20时", "昨日20时")
    found = find_time_phrases(text, SEED_EDITION)
    assert [resolved.text for _, _, resolved in found] == [
        "28日",
        "昨日19时",
        "31日夜间至8月1日早晨",
        "8月2—4日",
        "昨日20时30分",
        "29日",
    ]
    for start, end, resolved in found:
        assert text[start:end] == resolved.text
    assert found[4][2].start.isoformat() == "2023-07-30T20:30:00+08:00"


@pytest.mark.parametrize(
    "text",
    [
        "以每小时20—25公里的速度移动",
        "今年第6号台风",
        "2023年上半年国民经济",
        "通过3年努力",
        "同一时间召开",
        "目前日本方面",
        "以后天气转好",
        "一日三餐",
        "夜间施工",
    ],
)
def test_look_alikes_in_free_text_are_not_times(text: str) -> None:
    assert find_time_phrases(text, SEED_EDITION) == []
