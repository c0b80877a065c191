"""Resolve the relative dates and times a newspaper article uses into absolute instants.

A local paper writes "28日", "昨日20时30分" or "31日夜间至8月1日早晨": dates relative to the
edition it is printed in. Alerts and digests need absolute, timezone-aware instants, so this module
reads those phrases against the edition date in the paper's timezone.

Conventions (chosen so that downstream code can compare instants without special cases):

* A bare date ("28日", "昨日", "7月31日") is an instant at local midnight with ``end=None`` and
  ``has_clock=False``.
* A clock time ("20时30分", "下午3点", "8:30") is an instant with ``has_clock=True``.
* A part of day without a clock ("31日夜间") and every range ("8月2—4日",
  "31日夜间至8月1日早晨") are half-open intervals ``[start, end)``: a range of whole days ends at
  midnight after its last day, a part of day ends at its upper bound below.
* Parts of day (hours, local time; ``次日`` means the next day):

  ====================  ===============
  凌晨                  00:00 – 06:00
  清晨                  05:00 – 08:00
  早晨 / 早上 / 早 / 晨 06:00 – 09:00
  上午                  08:00 – 12:00
  中午                  11:00 – 13:00
  下午 / 午后           12:00 – 18:00
  傍晚                  17:00 – 19:00
  晚上 / 晚间 / 晚      18:00 – 次日 06:00
  夜间 / 夜里 / 夜晚 / 夜 20:00 – 次日 06:00
  白天                  08:00 – 20:00
  ====================  ===============

* A day number with no month ("28日") is in the edition's month, or in the previous month when
  that day would be after the edition date (a paper reports on days that have passed). A month
  and day with no year ("12月30日") is in whichever year puts it nearest to the edition date, so
  "12月30日" in a January edition is last year and "1月3日" in a late-December edition is next year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PAPER_TZ = ZoneInfo("Asia/Shanghai")

# Parts of day: (start hour, end hour, days the end lies after the start's date).
DAY_PARTS: dict[str, tuple[int, int, int]] = {
    "凌晨": (0, 6, 0),
    "清晨": (5, 8, 0),
    "早晨": (6, 9, 0),
    "早上": (6, 9, 0),
    "上午": (8, 12, 0),
    "中午": (11, 13, 0),
    "下午": (12, 18, 0),
    "午后": (12, 18, 0),
    "傍晚": (17, 19, 0),
    "晚上": (18, 6, 1),
    "晚间": (18, 6, 1),
    "夜间": (20, 6, 1),
    "夜里": (20, 6, 1),
    "夜晚": (20, 6, 1),
    "白天": (8, 20, 0),
    # Single-character forms only ever appear glued to a day word (今晨, 昨晚, 明早, 昨夜).
    "晨": (6, 9, 0),
    "早": (6, 9, 0),
    "晚": (18, 6, 1),
    "夜": (20, 6, 1),
}
# Parts of day in which "3时" means 15:00.
# Parts of day in which a small hour ("夜间2时") is already after midnight, on the next day.
NIGHT_PARTS = frozenset({"晚上", "晚间", "晚", "夜间", "夜里", "夜晚", "夜"})
AFTERNOON_PARTS = frozenset({"下午", "午后", "傍晚"}) | NIGHT_PARTS
EARLY_NIGHT_HOUR_LIMIT = 6

# Days relative to the edition date.
RELATIVE_DAYS: dict[str, int] = {
    "大前天": -3,
    "前天": -2,
    "前日": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "本日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
}
# One-character day prefixes that combine with a part of day: 今晨, 昨晚, 明早, 今夜.
RELATIVE_DAY_PREFIXES: dict[str, int] = {"昨": -1, "今": 0, "明": 1}

SEPARATORS = "至到—–-～~〜"
RANGE_DASHES = "—–\\-～~〜"
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９：", "0123456789:")
CHINESE_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
HOURS_PER_DAY = 24
MAX_DAY_OF_MONTH = 31

_DIGIT = "[0-9０-９]"
_CN_NUMERAL = "[〇零一二两三四五六七八九十]"
_NUMBER = f"(?:{_DIGIT}{{1,2}}|{_CN_NUMERAL}{{1,3}})"
# A Chinese-numeral day standing alone must be a two-character numeral (十五日, 二十八日): a lone
# "一日" is far more often the idiom ("一日三餐") than a date.
_CN_DAY_ALONE = "(?:[二三]十[一二三四五六七八九]?|十[一二三四五六七八九])"
_PART_WORDS = "|".join(sorted((w for w in DAY_PARTS if len(w) > 1), key=len, reverse=True))
_DAY_WORDS = "|".join(sorted(RELATIVE_DAYS, key=len, reverse=True))
_DAY_PREFIXED_PARTS = "(?:[昨今明](?:晨|早|晚|夜))"


def _point_pattern(prefix: str | None, *, strict: bool) -> str:
    """Regex for one point in time; named groups carry ``prefix`` when it is given.

    ``strict`` is the mode for scanning free text: clocks need Arabic digits and a bare day needs
    a digit or a two-character numeral, so words like "同一时间" are not read as times.
    """

    def group(name: str, body: str) -> str:
        return f"(?P<{prefix}{name}>{body})" if prefix is not None else f"(?:{body})"

    bare_day = f"(?:{_DIGIT}{{1,2}}|{_CN_DAY_ALONE})" if strict else _NUMBER
    clock_hour = f"{_DIGIT}{{1,2}}" if strict else _NUMBER
    absolute_date = (
        f"(?:(?:{group('year', f'{_DIGIT}{{4}}')}年)?{group('month', _NUMBER)}月"
        f"{group('mday', _NUMBER)}日"
        f"|{group('day', bare_day)}日)"
    )
    relative_word = f"(?<![目提之此以空先])(?:{_DAY_WORDS})(?![气然性])"
    glued_part = group("relpart", _DAY_PREFIXED_PARTS)
    date_part = f"(?:{absolute_date}|{group('rel', relative_word)}|{glued_part})"
    part = group("part", _PART_WORDS)
    clock = (
        f"(?:{group('hour', clock_hour)}[时点]"
        f"(?:{group('minute', _NUMBER)}分|{group('half', '半')})?"
        f"|{group('chour', f'{_DIGIT}{{1,2}}')}[:：]{group('cminute', f'{_DIGIT}{{2}}')})"
    )
    if prefix is None:
        return f"(?:{date_part}(?:{part})?(?:{clock})?|{part}(?:{clock})?|{clock})"
    anonymous = _point_pattern(None, strict=strict)
    return f"(?={anonymous})(?:{date_part})?(?:{part})?(?:{clock})?"


def _compact_range_pattern(*, strict: bool) -> str:
    """Regex for a day range written once: "8月2—4日", "2023年8月2-4日", "2—4日"."""
    number = f"{_DIGIT}{{1,2}}" if strict else _NUMBER
    return (
        f"(?:(?:(?P<cyear>{_DIGIT}{{4}})年)?(?P<cmonth>{_NUMBER})月)?"
        f"(?P<cfirst>{number})[{RANGE_DASHES}](?P<clast>{number})日"
    )


def _full_pattern(*, strict: bool) -> re.Pattern[str]:
    compact = _compact_range_pattern(strict=strict)
    first = _point_pattern("a_", strict=strict)
    second = _point_pattern("b_", strict=strict)
    return re.compile(
        f"(?<![0-9０-９])(?:(?P<compact>{compact})"
        f"|(?P<range>{first}[{re.escape(SEPARATORS)}]{second})"
        f"|(?P<point>{_point_pattern('p_', strict=strict)}))"
    )


_STRICT_PATTERN = _full_pattern(strict=True)
_LENIENT_PATTERN = _full_pattern(strict=False)


@dataclass(frozen=True)
class ResolvedTime:
    """A time phrase from an article and the absolute instant or interval it names."""

    text: str
    start: datetime
    end: datetime | None
    has_clock: bool


@dataclass(frozen=True)
class _Point:
    """One side of a phrase once resolved: its day, its clock or part of day."""

    day: date
    start: datetime
    end: datetime | None
    has_clock: bool
    explicit_day: bool


def _number(text: str) -> int:
    """Read "28", "２８", "二十八" or "十" as an int."""
    text = text.translate(FULLWIDTH_DIGITS)
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        tens_value = CHINESE_DIGITS[tens] if tens else 1
        units_value = CHINESE_DIGITS[units] if units else 0
        if len(units) > 1 or len(tens) > 1:
            raise ValueError(f"not a number: {text!r}")
        return tens_value * 10 + units_value
    value = 0
    for char in text:
        value = value * 10 + CHINESE_DIGITS[char]
    return value


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_in_recent_month(day: int, edition: date) -> date:
    """A day number alone: this month, or the latest earlier month where it is not in the future."""
    if not 1 <= day <= MAX_DAY_OF_MONTH:
        raise ValueError(f"day {day} is not a day of a month")
    for back in range(13):
        year, month = _add_months(edition.year, edition.month, -back)
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= edition:
            return candidate
    raise ValueError(f"day {day} cannot be placed before {edition.isoformat()}")


def _day_after(day: int, anchor: date) -> date:
    """A day number closing a range ("至4日"): in the anchor's month, else the following one."""
    for ahead in range(13):
        year, month = _add_months(anchor.year, anchor.month, ahead)
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= anchor:
            return candidate
    raise ValueError(f"day {day} cannot follow {anchor.isoformat()}")


def _nearest_year(month: int, day: int, edition: date) -> date:
    """A month and day with no year: the year that puts them nearest to the edition."""
    candidates = [
        candidate
        for year in (edition.year - 1, edition.year, edition.year + 1)
        if (candidate := _safe_date(year, month, day)) is not None
    ]
    if not candidates:
        raise ValueError(f"{month}月{day}日 is not a calendar date")
    return min(candidates, key=lambda candidate: abs((candidate - edition).days))


def _resolve_date(
    groups: dict[str, str | None], prefix: str, edition: date, anchor: date | None
) -> tuple[date, bool, str | None]:
    """The day a point names, whether the text named it, and a part of day glued to it (昨晚)."""

    def get(name: str) -> str | None:
        return groups.get(prefix + name)

    if get("mday") is not None:
        month, day = _number(get("month") or ""), _number(get("mday") or "")
        year_text = get("year")
        if year_text is not None:
            resolved = _safe_date(_number(year_text), month, day)
            if resolved is None:
                raise ValueError(f"{year_text}年{month}月{day}日 is not a calendar date")
            return resolved, True, None
        if anchor is not None:
            return _nearest_year(month, day, anchor), True, None
        return _nearest_year(month, day, edition), True, None
    if get("day") is not None:
        day = _number(get("day") or "")
        if anchor is not None:
            return _day_after(day, anchor), True, None
        return _day_in_recent_month(day, edition), True, None
    if get("rel") is not None:
        return edition + timedelta(days=RELATIVE_DAYS[get("rel") or ""]), True, None
    relpart = get("relpart")
    if relpart is not None:
        return edition + timedelta(days=RELATIVE_DAY_PREFIXES[relpart[0]]), True, relpart[1:]
    return (anchor if anchor is not None else edition), False, None


def _resolve_point(
    groups: dict[str, str | None],
    prefix: str,
    edition: date,
    tz: ZoneInfo,
    anchor: date | None = None,
) -> _Point:
    day, explicit_day, glued_part = _resolve_date(groups, prefix, edition, anchor)
    part = groups.get(prefix + "part") or glued_part
    hour_text = groups.get(prefix + "hour") or groups.get(prefix + "chour")
    if hour_text is not None:
        hour = _number(hour_text)
        minute_text = groups.get(prefix + "minute") or groups.get(prefix + "cminute")
        minute = _number(minute_text) if minute_text else 0
        if groups.get(prefix + "half"):
            minute = 30
        if part in NIGHT_PARTS and hour < EARLY_NIGHT_HOUR_LIMIT:
            day += timedelta(days=1)
        elif (part in AFTERNOON_PARTS and hour < 12) or (part == "中午" and hour < 3):
            hour += 12
        if hour == HOURS_PER_DAY and minute == 0:
            day, hour = day + timedelta(days=1), 0
        if not (0 <= hour < HOURS_PER_DAY and 0 <= minute < 60):
            raise ValueError(f"{hour_text}时{minute_text or ''} is not a time of day")
        start = datetime.combine(day, time(hour, minute), tzinfo=tz)
        return _Point(day, start, None, True, explicit_day)
    if part is not None:
        start_hour, end_hour, end_offset = DAY_PARTS[part]
        start = datetime.combine(day, time(start_hour), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=end_offset), time(end_hour), tzinfo=tz)
        return _Point(day, start, end, False, explicit_day)
    return _Point(day, datetime.combine(day, time(0), tzinfo=tz), None, False, explicit_day)


def _point_end(point: _Point, tz: ZoneInfo) -> datetime:
    """Where a range closing on this point ends: its own end, its instant, or the day's end."""
    if point.end is not None:
        return point.end
    if point.has_clock:
        return point.start
    return datetime.combine(point.day + timedelta(days=1), time(0), tzinfo=tz)


def _resolve_match(match: re.Match[str], edition: date, tz: ZoneInfo) -> ResolvedTime:
    groups = match.groupdict()
    text = match.group(0)
    if match.group("compact") is not None:
        first_day, last_day = _number(groups["cfirst"] or ""), _number(groups["clast"] or "")
        if groups["cmonth"] is not None:
            month = _number(groups["cmonth"])
            if groups["cyear"] is not None:
                start_day = _safe_date(_number(groups["cyear"]), month, first_day)
            else:
                start_day = _nearest_year(month, first_day, edition)
        else:
            start_day = _day_in_recent_month(first_day, edition)
        if start_day is None:
            raise ValueError(f"{text!r} does not start on a calendar date")
        last = _day_after(last_day, start_day)
        start = datetime.combine(start_day, time(0), tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
        return ResolvedTime(text, start, end, False)
    if match.group("range") is not None:
        first = _resolve_point(groups, "a_", edition, tz)
        second = _resolve_point(groups, "b_", edition, tz, anchor=first.day)
        end = _point_end(second, tz)
        if end < first.start:
            raise ValueError(f"{text!r} ends before it starts")
        return ResolvedTime(text, first.start, end, first.has_clock or second.has_clock)
    point = _resolve_point(groups, "p_", edition, tz)
    return ResolvedTime(text, point.start, point.end, point.has_clock)


def resolve_relative_time(phrase: str, edition: date, tz: ZoneInfo = PAPER_TZ) -> ResolvedTime:
    """Resolve one whole time phrase ("昨日20时30分", "8月2—4日") against the edition date.

    Raises ValueError when the phrase is not, as a whole, a date or time phrase.
    """
    text = phrase.strip()
    match = _LENIENT_PATTERN.fullmatch(text) if text else None
    if match is None or not match.group(0):
        raise ValueError(f"not a date or time phrase: {phrase!r}")
    return _resolve_match(match, edition, tz)


def _is_bare_part_of_day(match: re.Match[str]) -> bool:
    """A part of day alone ("夜间施工", "下午") is too vague to report from free text."""
    if match.group("point") is None:
        return False
    groups = match.groupdict()
    named = ("p_mday", "p_day", "p_rel", "p_relpart", "p_hour", "p_chour")
    return all(groups.get(name) is None for name in named)


def find_time_phrases(
    text: str, edition: date, tz: ZoneInfo = PAPER_TZ
) -> list[tuple[int, int, ResolvedTime]]:
    """Every date or time phrase in ``text`` with its character span, in reading order.

    Scanning is stricter than :func:`resolve_relative_time` (Arabic-digit clocks, no lone
    part-of-day words) because free text holds many look-alikes; phrases that match the shape but
    name no real date (a "31日" in a month without one, "25时") are skipped.
    """
    found: list[tuple[int, int, ResolvedTime]] = []
    for match in _STRICT_PATTERN.finditer(text):
        if not match.group(0) or _is_bare_part_of_day(match):
            continue
        try:
            resolved = _resolve_match(match, edition, tz)
        except ValueError:
            continue
        found.append((match.start(), match.end(), resolved))
    return found
