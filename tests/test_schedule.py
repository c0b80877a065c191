"""When digests are due: local hour, timezones, grace window after a restart, daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.subscriptions.schedule import (
    ChatSchedule,
    InvalidDigestTimeError,
    UnknownTimezoneError,
    due_date,
    due_digests,
    local_slot,
    parse_digest_time,
    parse_timezone,
    slot_passed_today,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz).astimezone(UTC)


def chat(time: str = "07:30", tz: str = "Asia/Shanghai", last: date | None = None) -> ChatSchedule:
    return ChatSchedule(1, time, tz, last)


@pytest.mark.parametrize(("text", "stored"), [("7:30", "07:30"), ("07:30", "07:30"),
                                              ("23：05", "23:05"), (" 0:00 ", "00:00")])
def test_clock_times_are_read_in_the_forms_people_type(text: str, stored: str) -> None:
    assert parse_digest_time(text) == stored


@pytest.mark.parametrize("text", ["24:00", "7", "07:60", "seven", "", "7:5"])
def test_impossible_clock_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidDigestTimeError):
        parse_digest_time(text)


def test_timezones_are_iana_names_in_any_case() -> None:
    assert parse_timezone("Asia/Hong_Kong").key == "Asia/Hong_Kong"
    assert parse_timezone("asia/hong_kong").key == "Asia/Hong_Kong"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "GMT+8 please"):
        with pytest.raises(UnknownTimezoneError):
            parse_timezone(bad)


def test_digest_is_not_due_one_second_before_the_hour_and_due_at_it() -> None:
    assert due_date(chat(), at(SHANGHAI, 2023, 8, 1, 7, 29, 59)) is None
    due = due_date(chat(), at(SHANGHAI, 2023, 8, 1, 7, 30))
    assert due is not None and due.local_date == date(2023, 8, 1)


def test_digest_already_sent_for_the_date_is_never_due_again() -> None:
    assert due_date(chat(last=date(2023, 8, 1)), at(SHANGHAI, 2023, 8, 1, 7, 31)) is None


def test_restart_within_grace_window_still_sends_the_missed_digest() -> None:
    due = due_date(chat(last=date(2023, 7, 31)), at(SHANGHAI, 2023, 8, 1, 13, 0))
    assert due is not None and due.local_date == date(2023, 8, 1)


def test_restart_after_grace_window_skips_that_day() -> None:
    assert due_date(chat(), at(SHANGHAI, 2023, 8, 1, 13, 31)) is None
    assert due_date(chat(), at(SHANGHAI, 2023, 8, 1, 9, 0), grace=timedelta(hours=1)) is None


def test_late_evening_digest_missed_by_a_restart_after_midnight_is_sent() -> None:
    due = due_date(chat("23:30"), at(SHANGHAI, 2023, 8, 2, 1, 0))
    assert due is not None and due.local_date == date(2023, 8, 1)


def test_each_chat_is_due_at_its_own_local_hour() -> None:
    schedules = [
        ChatSchedule(1, "07:30", "Asia/Shanghai", None),
        ChatSchedule(2, "07:30", "Europe/London", None),
        ChatSchedule(3, "07:30", "America/New_York", None),
    ]
    now = at(SHANGHAI, 2023, 8, 1, 7, 30)  # 00:30 in London, 19:30 the day before in New York
    assert [d.chat_id for d in due_digests(schedules, now)] == [1]
    now = at(LONDON, 2023, 8, 1, 7, 30)
    assert [d.chat_id for d in due_digests(schedules, now)] == [2]


def test_london_spring_forward_day_sends_once_at_the_local_hour() -> None:
    # 26 March 2023: clocks go from 01:00 GMT to 02:00 BST.
    slot = local_slot(date(2023, 3, 26), "07:30", LONDON)
    assert slot == datetime(2023, 3, 26, 6, 30, tzinfo=UTC)
    assert due_date(chat(tz="Europe/London"), slot - timedelta(seconds=1)) is None
    assert due_date(chat(tz="Europe/London"), slot) is not None
    # The day before it was 07:30 GMT.
    assert local_slot(date(2023, 3, 25), "07:30", LONDON) == datetime(
        2023, 3, 25, 7, 30, tzinfo=UTC
    )


def test_wall_time_missing_on_spring_forward_day_fires_an_hour_later() -> None:
    slot = local_slot(date(2023, 3, 26), "01:30", LONDON)
    assert slot == datetime(2023, 3, 26, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert slot.astimezone(LONDON).hour == 2


def test_wall_time_repeated_on_fall_back_day_fires_once() -> None:
    # 29 October 2023: 01:00–02:00 happens twice in London.
    schedule = chat("01:30", "Europe/London")
    first = datetime(2023, 10, 29, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert local_slot(date(2023, 10, 29), "01:30", LONDON) == first
    due = due_date(schedule, first)
    assert due is not None and due.local_date == date(2023, 10, 29)
    sent = ChatSchedule(1, "01:30", "Europe/London", due.local_date)
    assert due_date(sent, first + timedelta(hours=1)) is None  # 01:30 GMT, the second time


def test_new_setting_after_todays_hour_starts_tomorrow() -> None:
    now = at(SHANGHAI, 2023, 8, 1, 10, 0)
    assert slot_passed_today("08:00", "Asia/Shanghai", now) == date(2023, 8, 1)
    assert slot_passed_today("20:00", "Asia/Shanghai", now) is None
