"""Settings from the environment: defaults, the push-rate settings and one clear error each."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError
from bot.delivery.limits import DeliveryLimits


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ, env_file=None)


def test_defaults_keep_under_telegrams_free_limits() -> None:
    limits = DeliveryLimits.from_settings(settings())
    assert (limits.overall_rate, limits.per_chat_interval) == (25.0, 1.0)
    assert not limits.allow_paid_broadcast


def test_paid_broadcast_lifts_the_rate_to_telegrams_paid_limit() -> None:
    limits = DeliveryLimits.from_settings(settings(NEWSBRIEF_PAID_BROADCAST="1"))
    assert limits.allow_paid_broadcast and limits.overall_rate == 1000.0
    slower = DeliveryLimits.from_settings(
        settings(NEWSBRIEF_PAID_BROADCAST="true", NEWSBRIEF_DELIVERY_PER_SECOND="200")
    )
    assert slower.overall_rate == 200.0


def test_the_rate_and_chat_spacing_can_be_set() -> None:
    limits = DeliveryLimits.from_settings(
        settings(NEWSBRIEF_DELIVERY_PER_SECOND="10", NEWSBRIEF_DELIVERY_CHAT_INTERVAL="0")
    )
    assert (limits.overall_rate, limits.per_chat_interval) == (10.0, 0.0)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"NEWSBRIEF_DELIVERY_PER_SECOND": "31"}, "NEWSBRIEF_PAID_BROADCAST"),
        ({"NEWSBRIEF_DELIVERY_PER_SECOND": "fast"}, "NEWSBRIEF_DELIVERY_PER_SECOND"),
        ({"NEWSBRIEF_DELIVERY_PER_SECOND": "nan"}, "NEWSBRIEF_DELIVERY_PER_SECOND"),
        ({"NEWSBRIEF_DELIVERY_PER_SECOND": "2000", "NEWSBRIEF_PAID_BROADCAST": "1"}, "1000"),
        ({"NEWSBRIEF_DELIVERY_CHAT_INTERVAL": "-1"}, "NEWSBRIEF_DELIVERY_CHAT_INTERVAL"),
        ({"NEWSBRIEF_TIMEZONE": "Mars/Olympus"}, "NEWSBRIEF_TIMEZONE"),
        ({"NEWSBRIEF_ADMIN_IDS": "12,abc"}, "NEWSBRIEF_ADMIN_IDS"),
    ],
)
def test_an_unusable_value_names_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        settings(**environ)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1-2", "has no section"),
        ("x:时政", "bad page range 'x'"),
        ("3-1:经济", "bad page range '3-1'"),
        ("0:时政", "bad page range '0'"),
        ("1-2:时政,3:八卦", "unknown section '八卦'"),
    ],
)
def test_a_malformed_page_map_names_its_variable(raw: str, reason: str) -> None:
    """NEWSBRIEF_SECTION_PAGES is read by bot.text (this layer knows no sections), but checked
    at start-up like every other setting: SettingsError naming the variable and the entry."""
    from bot.text.section_choice import section_pages_setting

    with pytest.raises(SettingsError, match=f"^NEWSBRIEF_SECTION_PAGES=.*{reason}"):
        section_pages_setting(settings(NEWSBRIEF_SECTION_PAGES=raw).section_pages)


def test_a_good_page_map_is_read_in_either_script_and_punctuation() -> None:
    from bot.text.section_choice import section_pages_setting

    raw = settings(NEWSBRIEF_SECTION_PAGES="1-2:时政，3：經濟; 4:sports").section_pages
    assert section_pages_setting(raw) == {1: "时政", 2: "时政", 3: "经济", 4: "文体"}
    assert section_pages_setting(settings().section_pages) == {}


@pytest.mark.parametrize("argv", [["run"], ["sections"], ["ingest", "missing.txt"]])
def test_a_malformed_page_map_stops_run_and_every_command_with_exit_2(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    monkeypatch.setenv("NEWSBRIEF_SECTION_PAGES", "1-2:时政,3:八卦")
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("newsbrief: NEWSBRIEF_SECTION_PAGES=")
    assert "unknown section '八卦'" in err and not (tmp_path / "never.db").exists()
