"""Settings from environment variables and an optional ``.env`` file.

One frozen object built once at start-up and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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
DEFAULT_SOURCES_CHECK_SECONDS = 5.0  # how often the bot looks for sources due to be polled
DEFAULT_ALERT_MAX_AGE_HOURS = 72


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
    sources_check_seconds: float = DEFAULT_SOURCES_CHECK_SECONDS
    # Alert events older than this are stored but not pushed (None: push whatever is new).
    alert_max_age: timedelta | None = timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)
    log_level: str = "INFO"
    digest_grace: timedelta = timedelta(hours=6)  # a digest missed while down is sent this late
    digest_empty_note: bool = False  # on quiet days send a short "nothing new" note

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Real environment variables win over the ``.env`` file, which wins over defaults."""
        values: dict[str, str | None] = {}
        if env_file is not None and env_file.is_file():
            values.update(dotenv_values(env_file))
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = values.get(name)
            return value.strip() if value is not None and value.strip() else None

        tz_name = get("NEWSBRIEF_TIMEZONE") or DEFAULT_TIMEZONE
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"NEWSBRIEF_TIMEZONE={tz_name!r} is not an IANA timezone (e.g. Asia/Shanghai)"
            ) from exc
        inbox = get("NEWSBRIEF_INBOX")
        return cls(
            database_url=get("NEWSBRIEF_DATABASE_URL") or DEFAULT_DATABASE_URL,
            timezone=timezone,
            paper=get("NEWSBRIEF_PAPER") or DEFAULT_PAPER,
            home_region=get("NEWSBRIEF_HOME_REGION") or DEFAULT_HOME_REGION,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            admin_ids=_parse_admin_ids(get("NEWSBRIEF_ADMIN_IDS")),
            inbox=Path(inbox).expanduser() if inbox else None,
            inbox_poll_seconds=_parse_seconds(
                "NEWSBRIEF_INBOX_POLL_SECONDS", get("NEWSBRIEF_INBOX_POLL_SECONDS"),
                DEFAULT_INBOX_POLL_SECONDS,
            ),
            sources_check_seconds=_parse_seconds(
                "NEWSBRIEF_SOURCES_CHECK_SECONDS", get("NEWSBRIEF_SOURCES_CHECK_SECONDS"),
                DEFAULT_SOURCES_CHECK_SECONDS,
            ),
            alert_max_age=_parse_max_age(get("NEWSBRIEF_ALERT_MAX_AGE_HOURS")),
            log_level=(get("NEWSBRIEF_LOG_LEVEL") or "INFO").upper(),
            digest_grace=_parse_hours(get("NEWSBRIEF_DIGEST_GRACE_HOURS")),
            digest_empty_note=(get("NEWSBRIEF_DIGEST_EMPTY_NOTE") or "").lower()
            in ("1", "true", "yes", "on"),
        )


def _parse_admin_ids(raw: str | None) -> frozenset[int]:
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


def _parse_hours(raw: str | None) -> timedelta:
    if raw is None:
        return timedelta(hours=6)
    try:
        hours = float(raw)
    except ValueError as exc:
        raise SettingsError(
            f"NEWSBRIEF_DIGEST_GRACE_HOURS must be a number of hours, got {raw!r}"
        ) from exc
    if not 0 <= hours <= 24:
        raise SettingsError("NEWSBRIEF_DIGEST_GRACE_HOURS must be between 0 and 24")
    return timedelta(hours=hours)


def _parse_seconds(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0.1 <= seconds <= 3600:
        raise SettingsError(f"{name} must be between 0.1 and 3600 seconds")
    return seconds


def _parse_max_age(raw: str | None) -> timedelta | None:
    if raw is None:
        return timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)
    try:
        hours = float(raw)
    except ValueError as exc:
        raise SettingsError(
            f"NEWSBRIEF_ALERT_MAX_AGE_HOURS must be a number of hours, got {raw!r}"
        ) from exc
    if hours < 0:
        raise SettingsError("NEWSBRIEF_ALERT_MAX_AGE_HOURS cannot be negative")
    return timedelta(hours=hours) if hours else None
