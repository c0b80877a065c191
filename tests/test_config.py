"""Settings from the environment: defaults, the push-rate settings and one clear error each."""

from __future__ import annotations

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
