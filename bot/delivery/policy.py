"""The error policy: what a failed send means, as a pure function from the error to a decision.

The sender applies the decision (pauses, database writes, counters); this module only decides, so
each arm is one row of a table-driven test (``tests/test_delivery_policy.py``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.limits import DeliveryLimits

CHAT_NOT_FOUND = "chat_not_found"
CANT_PARSE_ENTITIES = "cant_parse_entities"
TEXT_REFUSED = "text_refused"  # too long or empty: the text's fault, not the chat's


@dataclass(frozen=True)
class Throttle:
    """429: hold the chat ``retry_after`` seconds; ``pause_all`` > 0 also pauses every send that
    long (a 429 that names no chat; capped). Whether a burst of per-chat 429s pauses everyone is
    the pacer's call (``bot/delivery/pacing.py``): it needs the recent history."""

    retry_after: float
    pause_all: float = 0.0


@dataclass(frozen=True)
class Migrate:
    """The group became a supergroup: move its settings and pending pushes."""

    new_chat_id: int


@dataclass(frozen=True)
class Deactivate:
    """The chat blocked us, left, or no longer exists: mark it inactive, cancel its pushes."""

    reason: str


@dataclass(frozen=True)
class ResendAsPlainText:
    """Telegram could not parse our HTML: send the same part again as plain text, at once."""

    reason: str


@dataclass(frozen=True)
class Backoff:
    """A network error or timeout: try again after ``delay`` (counts an attempt)."""

    delay: float
    attempt: int
    reason: str


@dataclass(frozen=True)
class GiveUp:
    """No retry can help: the row fails with its reason kept."""

    reason: str


SendDecision = Throttle | Migrate | Deactivate | ResendAsPlainText | Backoff | GiveUp


def decide_after_error(
    exc: TelegramError, *, attempts: int, plain_text: bool, limits: DeliveryLimits,
    chat_scoped: bool = True,
) -> SendDecision:
    """What to do after ``exc``; ``attempts`` network attempts were made before this one and
    ``plain_text`` says the part was already sent without HTML. ``chat_scoped``: the call was
    about one chat (a send), so a 429 is that chat's; else a 429 pauses everyone."""
    if isinstance(exc, RetryAfter):
        seconds = retry_after_seconds(exc)
        return Throttle(seconds, 0.0 if chat_scoped else min(seconds, limits.global_pause_cap))
    if isinstance(exc, ChatMigrated):
        return Migrate(exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return Deactivate(describe(exc))
    if isinstance(exc, BadRequest):
        reason = bad_request_reason(exc)
        if reason == CHAT_NOT_FOUND:
            return Deactivate(describe(exc))
        if reason == CANT_PARSE_ENTITIES and not plain_text:
            return ResendAsPlainText(describe(exc))
        return GiveUp(describe(exc))
    if isinstance(exc, NetworkError):  # TimedOut is a NetworkError
        attempt = attempts + 1
        if attempt >= limits.network_max_attempts:
            return GiveUp(f"gave up after {attempt} attempts: {describe(exc)}")
        delay = min(limits.backoff_base * 2 ** (attempt - 1), limits.backoff_max)
        return Backoff(delay, attempt, describe(exc))
    return GiveUp(describe(exc))


def bad_request_reason(exc: BadRequest) -> str | None:
    """Which BadRequest this is, for those the policy and the reply pacer treat specially.

    PTB has no exception subtype for "chat not found", "can't parse entities" or a refused text
    (all arrive as a plain ``BadRequest``), so Telegram's message text is the only discriminator
    here. Keep every such string match in this one function.
    """
    text = exc.message.lower()
    if "chat not found" in text:
        return CHAT_NOT_FOUND
    if "can't parse entities" in text or "can't find end" in text:
        return CANT_PARSE_ENTITIES
    if any(refusal in text for refusal in ("message is too long", "message text is empty",
                                           "text must be non-empty")):
        return TEXT_REFUSED
    return None


def refuses_the_text(exc: BadRequest) -> bool:
    """Telegram refused the message for its text (its HTML, its length), not for its chat or
    options: the same chat takes another text."""
    return bad_request_reason(exc) in (CANT_PARSE_ENTITIES, TEXT_REFUSED)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that an int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(exc: TelegramError) -> str:
    """The error as Telegram said it, with its type ("Forbidden: bot was blocked by the user")."""
    name = type(exc).__name__
    return exc.message if exc.message.lower().startswith(name.lower()) else f"{name}: {exc.message}"
