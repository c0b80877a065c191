"""Issue 18 point 9: crafted input gets a clear refusal, never the error handler.

Digits are read only when ASCII (``str.isdigit`` accepts ``²``), ids must fit a signed 64-bit
column, what a reader typed is echoed clipped and without control characters, and ``/tz`` takes
only the names of real places."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.render.callback_data import (
    CallbackCodec,
    CallbackDataError,
    DeepLinkError,
    parse_settings_data,
    parse_watch_remove,
)
from bot.render.i18n import ECHO_CHARS, Translator, echo
from bot.search.query import QueryError, parse_date
from bot.subscriptions.schedule import (
    InvalidDigestTimeError,
    UnknownTimezoneError,
    parse_digest_time,
    parse_timezone,
    stored_timezone,
)
from bot.subscriptions.watches import WatchService
from storage.database import Database

REPO = Path(__file__).resolve().parents[1]
CODEC = CallbackCodec("test-token")
NOW = datetime(2023, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize("payload", [
    "a_999999999999999999999999999999",  # overflows SQLite's 64-bit integer
    "a_9223372036854775808_AAAAAAAAAA",  # 2**63
    "a_²³_AAAAAAAAAA",
    "a_-1_AAAAAAAAAA",
])
def test_start_payloads_with_impossible_ids_are_refused(payload: str) -> None:
    with pytest.raises(DeepLinkError):
        CODEC.decode_start(payload)


@pytest.mark.parametrize("data", [
    "w:x:²³", "w:x:٣", "w:x:99999999999999999999", "w:x:-1", "w:x:0", "w:x:",
])
def test_watch_buttons_with_impossible_ids_are_refused(data: str) -> None:
    with pytest.raises(CallbackDataError):
        parse_watch_remove(data)


@pytest.mark.parametrize("data", ["c:-²:a", "c:-99999999999999999999:a", "c:-١٢:a"])
def test_channel_buttons_with_impossible_ids_are_refused(data: str) -> None:
    with pytest.raises(CallbackDataError):
        parse_settings_data(data)


async def test_unwatch_by_a_number_that_is_not_ascii_is_a_no_match(db: Database) -> None:
    service = WatchService(db, ManualClock(NOW))
    await service.add(1, "台风")
    # today's code: int("²") → ValueError → the error handler
    assert await service.remove(1, "²") is None
    assert await service.remove(1, "٣") is None
    assert await service.remove(1, "99999999999999999999999999") is None
    assert await service.remove(1, "1") == "台风"


@pytest.mark.parametrize("text", ["١٢:٣٠", "7:²³", "²:30"])
def test_clock_times_are_ascii_digits(text: str) -> None:
    with pytest.raises(InvalidDigestTimeError):
        parse_digest_time(text)


def test_clock_times_typed_with_a_chinese_input_method_still_work() -> None:
    assert parse_digest_time("０７：３０") == "07:30"


def test_search_dates_are_ascii_digits() -> None:
    with pytest.raises(QueryError):
        parse_date("٢٠٢٣-٠٧-٣١")
    assert parse_date("2023-07-31").isoformat() == "2023-07-31"


@pytest.mark.parametrize("name", [
    "posixrules", "localtime", "right/UTC", "posix/Asia/Shanghai", "Factory", "factory",
])
def test_tz_takes_only_names_of_places(name: str) -> None:
    with pytest.raises(UnknownTimezoneError):
        parse_timezone(name)


def test_real_zones_still_work_and_a_stored_odd_zone_falls_back() -> None:
    assert parse_timezone("asia/hong_kong").key == "Asia/Hong_Kong"
    assert parse_timezone("UTC").key == "UTC"
    assert stored_timezone("posixrules").key == "Asia/Shanghai"


def test_echo_is_clipped_one_line_and_free_of_control_characters() -> None:
    shown = echo("\x1b[31mred\x00 \u202eevil\n" + "x" * 5000)
    assert len(shown) == ECHO_CHARS and shown.endswith("…")
    assert "\x1b" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert "\n" not in shown and shown.startswith("[31mred evil x")


def test_translator_never_passes_control_characters_on() -> None:
    tr = Translator.for_language("en")
    assert "\x00" not in tr.html("lang.unknown", text="a\x00b\x1bc")
    assert "\x07" not in tr.text("unwatch.done", query="a\x07b")


def test_crafted_commands_get_a_refusal_not_the_generic_error(tmp_path: Path) -> None:
    """The whole bot (``newsbrief chat``): each line a reader could send, each answered."""
    long_arg = "长" * 4090
    script = "\n".join([
        "/watch 台风",
        "/unwatch ²",
        f"/unwatch {long_arg}",
        f"/section {long_arg}",
        f"/tz {long_arg}",
        "/tz posixrules",
        "/tz right/UTC",
        "/tz \x1b[2Jwipe\x00",
        "/start a_999999999999999999999999999999",
        "/time ١٢:٣٠",
        "",
    ])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    env.update(PYTHONPATH=str(REPO), NEWSBRIEF_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
               NEWSBRIEF_CHAT_HISTORY=str(tmp_path / "history"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "en"], input=script, capture_output=True,
        text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = [line for line in result.stdout.splitlines() if line.startswith("bot ▸")]
    assert len(answers) == 10, result.stdout[-2000:]
    assert "Traceback" not in result.stderr
    assert not any("went wrong" in a for a in answers), answers
    assert all(len(a) < 600 for a in answers)  # 4,090 characters echoed back: too long to send
    assert not any("\x1b" in a or "\x00" in a for a in answers)
    assert "posixrules" in answers[5] and not answers[5].startswith("bot ▸ Done")
