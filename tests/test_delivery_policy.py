"""The error policy, one row per arm: which Telegram error leads to which decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery.limits import DeliveryLimits
from bot.delivery.policy import (
    Backoff,
    Deactivate,
    GiveUp,
    Migrate,
    ResendAsPlainText,
    SendDecision,
    Throttle,
    decide_after_error,
    refuses_the_text,
)

LIMITS = DeliveryLimits(global_pause_cap=5.0, network_max_attempts=3, backoff_base=2.0,
                        backoff_max=300.0)
ENTITIES = "Can't parse entities: unsupported start tag \"x\" at byte offset 0"

CASES: list[tuple[str, TelegramError, int, bool, SendDecision]] = [
    ("429 to a send holds that chat only", RetryAfter(3), 0, False, Throttle(3.0, 0.0)),
    ("group became a supergroup", ChatMigrated(-100123), 0, False, Migrate(-100123)),
    ("blocked by the user", Forbidden("Forbidden: bot was blocked by the user"), 0, False,
     Deactivate("Forbidden: bot was blocked by the user")),
    ("chat not found", BadRequest("Chat not found"), 0, False,
     Deactivate("BadRequest: Chat not found")),
    ("HTML Telegram cannot parse", BadRequest(ENTITIES), 0, False,
     ResendAsPlainText(f"BadRequest: {ENTITIES}")),
    ("HTML error once already plain", BadRequest(ENTITIES), 0, True,
     GiveUp(f"BadRequest: {ENTITIES}")),
    ("any other bad request", BadRequest("Message is too long"), 0, False,
     GiveUp("BadRequest: Message is too long")),
    ("first network error", NetworkError("connection reset"), 0, False,
     Backoff(2.0, 1, "NetworkError: connection reset")),
    ("timeouts back off, doubling", TimedOut("timed out"), 1, False,
     Backoff(4.0, 2, "TimedOut: timed out")),
    ("the last network attempt gives up", NetworkError("connection reset"), 2, False,
     GiveUp("gave up after 3 attempts: NetworkError: connection reset")),
    ("any other Telegram error", Conflict("terminated by other getUpdates"), 0, False,
     GiveUp("Conflict: terminated by other getUpdates")),
]


@pytest.mark.parametrize(("error", "attempts", "plain_text", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_error_policy(error: TelegramError, attempts: int, plain_text: bool,
                      expected: SendDecision) -> None:
    assert decide_after_error(error, attempts=attempts, plain_text=plain_text,
                              limits=LIMITS) == expected


@pytest.mark.parametrize(("retry_after", "expected"), [
    (RetryAfter(3), Throttle(3.0, 3.0)),
    (RetryAfter(timedelta(seconds=40)), Throttle(40.0, 5.0)),  # the pause for all is capped
])
def test_a_429_that_names_no_chat_pauses_everyone(retry_after: RetryAfter,
                                                   expected: Throttle) -> None:
    assert decide_after_error(retry_after, attempts=0, plain_text=False, limits=LIMITS,
                              chat_scoped=False) == expected


def test_backoff_is_capped() -> None:
    limits = DeliveryLimits(network_max_attempts=20, backoff_base=2.0, backoff_max=60.0)
    decision = decide_after_error(NetworkError("down"), attempts=10, plain_text=False,
                                  limits=limits)
    assert decision == Backoff(60.0, 11, "NetworkError: down")


@pytest.mark.parametrize(("message", "the_texts_fault"), [
    (ENTITIES, True),
    ("Bad Request: message is too long", True),
    ("Bad Request: message text is empty", True),
    ("Bad Request: chat not found", False),  # every text to that chat would fail the same
    ("Bad Request: wrong parameter action in request", False),
])
def test_a_refusal_of_the_text_is_told_from_one_of_the_chat(message: str,
                                                            the_texts_fault: bool) -> None:
    assert refuses_the_text(BadRequest(message)) is the_texts_fault
