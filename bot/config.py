"""Settings from environment variables and an optional ``.env`` file.

One frozen object built once at start-up and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite:///newsbrief.db"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_PAPER = "萧山日报"
DEFAULT_HOME_REGION = "萧山区"
DEFAULT_INBOX_POLL_SECONDS = 5.0
# A drop-folder file must look the same (size, mtime) for this long before it is read.
DEFAULT_INBOX_SETTLE_SECONDS = 10.0
DEFAULT_MAX_INPUT_MB = 200  # one .jsonl(.gz), decompressed; a year of a daily paper is ~60 MB
DEFAULT_SOURCES_CHECK_SECONDS = 5.0  # how often the bot looks for sources due to be polled
DEFAULT_ALERT_MAX_AGE_HOURS = 72
DEFAULT_DELIVERY_PER_SECOND = 25.0  # Telegram allows about 30 messages a second overall
TELEGRAM_FREE_MAX_PER_SECOND = 30.0
TELEGRAM_PAID_MAX_PER_SECOND = 1000.0  # with allow_paid_broadcast (Bot API 7.11), paid in Stars
DEFAULT_DELIVERY_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
# A response or warning not reported for this long is no longer shown as in force. On 新闻联播
# (2022–2026) a typhoon response still in force was never left unreported for more than 2 days
# (docs/quality.md, "Stale window"); 72 h leaves a day's slack for a weekly or late paper.
DEFAULT_ALERT_STALE_HOURS = 72


class SettingsError(ValueError):
    """A setting has a value the program cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    paper: str = DEFAULT_PAPER
    home_region: str | None = DEFAULT_HOME_REGION
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    inbox: Path | None = None
    inbox_poll_seconds: float = DEFAULT_INBOX_POLL_SECONDS
    inbox_settle_seconds: float = DEFAULT_INBOX_SETTLE_SECONDS
    # The largest article list read (after decompression), in bytes.
    max_input_bytes: int = DEFAULT_MAX_INPUT_MB * 1024 * 1024
    sources_check_seconds: float = DEFAULT_SOURCES_CHECK_SECONDS
    # Alert events older than this are stored but not pushed (None: push whatever is new).
    alert_max_age: timedelta | None = timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)
    # An alert event last reported longer ago than this is not "in force" (None: never stale).
    alert_stale_after: timedelta | None = timedelta(hours=DEFAULT_ALERT_STALE_HOURS)
    log_level: str = "INFO"
    digest_grace: timedelta = timedelta(hours=6)  # a digest missed while down is sent this late
    digest_empty_note: bool = False  # on quiet days send a short "nothing new" note
    # Pushes: overall sends a second, and with paid broadcast the Stars-paid rate (up to 1,000/s).
    delivery_per_second: float = DEFAULT_DELIVERY_PER_SECOND
    delivery_paid_broadcast: bool = False
    delivery_chat_interval: float = DEFAULT_DELIVERY_CHAT_INTERVAL
    # The operator's page -> section map for the paper (NEWSBRIEF_SECTION_PAGES="1-2:时政,3:经济"),
    # as written: bot.text.section_choice.parse_page_map reads it (this layer knows no sections),
    # and section_pages_setting checks it at start-up (bot.cli.main, `newsbrief doctor`).
    section_pages: str = ""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Real environment variables win over the ``.env`` file, which wins over defaults."""
        raw = raw_settings(environ, env_file)
        get = raw.get
        timezone = parse_timezone(get("NEWSBRIEF_TIMEZONE"))
        inbox = get("NEWSBRIEF_INBOX")
        return cls(
            database_url=get("NEWSBRIEF_DATABASE_URL") or DEFAULT_DATABASE_URL,
            timezone=timezone,
            paper=get("NEWSBRIEF_PAPER") or DEFAULT_PAPER,
            home_region=get("NEWSBRIEF_HOME_REGION") or DEFAULT_HOME_REGION,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            admin_ids=parse_admin_ids(get("NEWSBRIEF_ADMIN_IDS")),
            inbox=Path(inbox).expanduser() if inbox else None,
            inbox_poll_seconds=_parse_seconds(
                "NEWSBRIEF_INBOX_POLL_SECONDS", get("NEWSBRIEF_INBOX_POLL_SECONDS"),
                DEFAULT_INBOX_POLL_SECONDS,
            ),
            inbox_settle_seconds=_number(
                "NEWSBRIEF_INBOX_SETTLE_SECONDS", get("NEWSBRIEF_INBOX_SETTLE_SECONDS"),
                DEFAULT_INBOX_SETTLE_SECONDS, low=0, high=3600, unit="seconds",
            ),
            max_input_bytes=int(_number(
                "NEWSBRIEF_MAX_INPUT_MB", get("NEWSBRIEF_MAX_INPUT_MB"), DEFAULT_MAX_INPUT_MB,
                low=1, high=10_000, unit="MB",
            ) * 1024 * 1024),
            sources_check_seconds=_parse_seconds(
                "NEWSBRIEF_SOURCES_CHECK_SECONDS", get("NEWSBRIEF_SOURCES_CHECK_SECONDS"),
                DEFAULT_SOURCES_CHECK_SECONDS,
            ),
            alert_max_age=_parse_max_age(get("NEWSBRIEF_ALERT_MAX_AGE_HOURS")),
            alert_stale_after=_parse_stale_hours(get("NEWSBRIEF_ALERT_STALE_HOURS")),
            log_level=(get("NEWSBRIEF_LOG_LEVEL") or "INFO").upper(),
            digest_grace=_parse_hours(get("NEWSBRIEF_DIGEST_GRACE_HOURS")),
            digest_empty_note=_parse_flag(get("NEWSBRIEF_DIGEST_EMPTY_NOTE")),
            section_pages=get("NEWSBRIEF_SECTION_PAGES") or "",
            **_delivery_settings(get),
        )


def _parse_flag(raw: str | None) -> bool:
    return (raw or "").lower() in ("1", "true", "yes", "on")


def _delivery_settings(get: Callable[[str], str | None]) -> dict[str, float | bool]:
    """The push rate: at most Telegram's free 30/s, or its paid 1,000/s with paid broadcast."""
    paid = _parse_flag(get("NEWSBRIEF_PAID_BROADCAST"))
    rate_name = "NEWSBRIEF_DELIVERY_PER_SECOND"
    raw_rate = get(rate_name)
    if paid:
        rate = _number(rate_name, raw_rate, TELEGRAM_PAID_MAX_PER_SECOND, low=0.1,
                       high=TELEGRAM_PAID_MAX_PER_SECOND, unit="messages a second")
    else:
        try:
            rate = _number(rate_name, raw_rate, DEFAULT_DELIVERY_PER_SECOND, low=0.1,
                           high=TELEGRAM_FREE_MAX_PER_SECOND, unit="messages a second")
        except SettingsError as exc:
            raise SettingsError(f"{exc} (more than 30 needs NEWSBRIEF_PAID_BROADCAST=1)") from exc
    interval = _number("NEWSBRIEF_DELIVERY_CHAT_INTERVAL", get("NEWSBRIEF_DELIVERY_CHAT_INTERVAL"),
                       DEFAULT_DELIVERY_CHAT_INTERVAL, low=0, high=60, unit="seconds")
    return {"delivery_per_second": rate, "delivery_paid_broadcast": paid,
            "delivery_chat_interval": interval}


def raw_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """The non-blank values, stripped: the environment over the ``.env`` file. ``newsbrief
    doctor`` checks each setting from these one by one instead of stopping at the first bad one."""
    values: dict[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)
    return {
        name: value.strip() for name, value in values.items()
        if value is not None and value.strip()
    }


def parse_timezone(raw: str | None) -> ZoneInfo:
    """``NEWSBRIEF_TIMEZONE`` (default Asia/Shanghai) as a zone; SettingsError if not IANA."""
    tz_name = raw or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"NEWSBRIEF_TIMEZONE={tz_name!r} is not an IANA timezone (e.g. Asia/Shanghai)"
        ) from exc


def parse_admin_ids(raw: str | None) -> frozenset[int]:
    """``NEWSBRIEF_ADMIN_IDS``: user ids separated by commas, semicolons or spaces."""
    if not raw:
        return frozenset()
    ids: set[int] = set()
    for part in raw.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError as exc:
            raise SettingsError(
                f"NEWSBRIEF_ADMIN_IDS must list numeric Telegram user ids, got {part!r}"
            ) from exc
    return frozenset(ids)


def _number(
    name: str, raw: str | None, default: float, *, low: float, high: float, unit: str
) -> float:
    """A finite number within [low, high] (``default`` when unset); the error names the variable,
    its unit and its range."""
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of {unit}, got {raw!r}") from exc
    if not (math.isfinite(value) and low <= value <= high):
        raise SettingsError(f"{name} must be between {low:g} and {high:g} {unit}, got {raw!r}")
    return value


def _parse_hours(raw: str | None) -> timedelta:
    return timedelta(hours=_number("NEWSBRIEF_DIGEST_GRACE_HOURS", raw, 6, low=0, high=24,
                                   unit="hours"))


def _parse_seconds(name: str, raw: str | None, default: float) -> float:
    return _number(name, raw, default, low=0.1, high=3600, unit="seconds")


def _optional_hours(name: str, raw: str | None, default: float) -> timedelta | None:
    """Hours ≥ 0, where 0 switches the limit off (None)."""
    hours = _number(name, raw, default, low=0, high=math.inf, unit="hours")
    return timedelta(hours=hours) if hours else None


def _parse_max_age(raw: str | None) -> timedelta | None:
    return _optional_hours("NEWSBRIEF_ALERT_MAX_AGE_HOURS", raw, DEFAULT_ALERT_MAX_AGE_HOURS)


def _parse_stale_hours(raw: str | None) -> timedelta | None:
    """Hours since the latest report after which an alert is no longer in force; 0 = never."""
    return _optional_hours("NEWSBRIEF_ALERT_STALE_HOURS", raw, DEFAULT_ALERT_STALE_HOURS)
