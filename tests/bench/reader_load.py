"""Reader load benchmark (run by hand): a burst of updates from many readers, Telegram's limits on.

    /tmp/venv/bin/python -m tests.bench.reader_load [--users 50] [--per-user 10] [--write-doc]

Starts the real ``newsbrief run`` (polling) against the fake Bot API on loopback with Telegram's
flood limits enforced by the fake (30/s overall, ~1/s per chat with a burst of 3; it answers 429
like Telegram when one is exceeded), and in the same run:

1. **burst**: ``users × per_user`` ``/ping`` updates queued in well under a second; counts the
   429s the fake answered and each reply's latency (update queued → reply stored). At 30 msg/s
   overall, N replies take at least N/30 s, so the p90 can be no lower than 0.9·N/30 s: the
   report gives p90 / that floor (1.0 is as fast as Telegram allows).
2. **one chat flood-limited**: the same burst again, with the first reply to one reader answered
   429 ``retry_after=20``; the other readers' p90 against the burst's p90 (1.0: unaffected), and
   when the flooded reader got its replies.

``--write-doc`` puts the figures under ``## Reader load`` in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.bot_latency import _env, percentile, replace_doc_section
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

SECTION_TITLE = "## Reader load"
OVERALL_PER_SECOND = 30
TIMEOUT = 180.0
FLOOD_RETRY_AFTER = 20


async def burst(fake: FakeBotApi, users: list[Any], per_user: int,
                skip: frozenset[int] = frozenset()) -> dict[int, list[float]]:
    """Queue ``per_user`` /ping from every user at once; latency (s) of each reply, per chat."""
    chats = [fake.private_chat(u) for u in users]
    before = {c.id: len(fake.messages_in(c, from_bot=True)) for c in chats}
    sent: dict[int, list[float]] = {c.id: [] for c in chats}
    started = time.monotonic()
    for _ in range(per_user):
        for user, chat in zip(users, chats, strict=True):
            sent[chat.id].append(time.monotonic())
            fake.send_text(user, chat, "/ping")
    queued_s = time.monotonic() - started
    print(f"queued {len(users) * per_user} updates in {queued_s:.3f} s", file=sys.stderr)
    latencies: dict[int, list[float]] = {}
    for chat in chats:
        replies = await fake.wait_for_messages(chat, before[chat.id] + per_user, TIMEOUT)
        got = replies[before[chat.id]:before[chat.id] + per_user]
        latencies[chat.id] = [r.sent_at - s for r, s in zip(got, sent[chat.id], strict=True)]
    return latencies


async def run(args: argparse.Namespace) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="newsbrief-reader-load-"))
    db_url = f"sqlite:///{work / 'bot.db'}"
    fake = FakeBotApi(rate_limits=RateLimits(enabled=True))
    await fake.start()
    starter = fake.add_user("Starter", language_code="zh-hans")
    fake.send_text(starter, fake.private_chat(starter), "/ping")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(fake, db_url), cwd=work,
    )
    try:
        await fake.wait_for_messages(fake.private_chat(starter), 1, TIMEOUT)
        users = [fake.add_user(f"Reader{i}", language_code="zh-hans") for i in range(args.users)]
        total = args.users * args.per_user
        throttled_before = len(fake.throttle_log)
        plain = await burst(fake, users, args.per_user)
        plain_429 = len(fake.throttle_log) - throttled_before
        print("burst 429 reasons:", [t.reason for t in fake.throttle_log[throttled_before:]],
              file=sys.stderr)
        await asyncio.sleep(5)  # buckets refill between the two bursts
        flooded = fake.private_chat(users[0]).id
        fake.flood_chat(flooded, FLOOD_RETRY_AFTER)
        throttled_before = len(fake.throttle_log)
        second = await burst(fake, users, args.per_user)
        second_429 = list(fake.throttle_log[throttled_before:])
        print("flood run 429s:", [(t.reason, round(t.at - second_429[0].at, 2), t.chat_id)
                                  for t in second_429], file=sys.stderr)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await fake.stop()
    all_plain = [x for values in plain.values() for x in values]
    others = [x for chat, values in second.items() if chat != flooded for x in values]
    others_plain = [x for chat, values in plain.items() if chat != flooded for x in values]
    floor_p90 = 0.9 * total / OVERALL_PER_SECOND
    result: dict[str, object] = {
        "updates": total,
        "users": args.users,
        "burst_429": plain_429,
        "burst_p50_s": round(percentile(all_plain, 50), 2),
        "burst_p90_s": round(percentile(all_plain, 90), 2),
        "burst_max_s": round(max(all_plain), 2),
        "floor_p90_s": round(floor_p90, 2),
        "p90_over_floor": round(percentile(all_plain, 90) / floor_p90, 2),
        "flood_429_forced": sum(1 for t in second_429 if t.reason == "forced"),
        "flood_429_other": sum(1 for t in second_429 if t.reason != "forced"),
        "others_p90_s": round(percentile(others, 90), 2),
        "others_p90_without_flood_s": round(percentile(others_plain, 90), 2),
        "others_p90_ratio": round(percentile(others, 90) / percentile(others_plain, 90), 2),
        "flooded_first_reply_s": round(min(second[flooded]), 2),
    }
    return result


def write_doc(result: dict[str, object]) -> None:
    section = f"""{SECTION_TITLE}

Measured with `/tmp/venv/bin/python -m tests.bench.reader_load --write-doc` ({platform.machine()},
Python {platform.python_version()}, SQLite, 2 shared cores): the real `newsbrief run` (polling)
against the fake Bot API on loopback **with Telegram's flood limits enforced** (30/s overall,
~1/s per chat after a burst of 3; the fake answers 429 like Telegram). {result['updates']} `/ping`
updates from {result['users']} readers are queued at once; latency = update queued → reply stored.

| | figure |
|---|---|
| 429 answers during the burst | {result['burst_429']} (target 0) |
| reply latency p50 / p90 / max | {result['burst_p50_s']} s / {result['burst_p90_s']} s \
/ {result['burst_max_s']} s |
| physical floor for the p90 (0.9 × {result['updates']} / 30 per s) | {result['floor_p90_s']} s |
| p90 / floor | {result['p90_over_floor']}× (1.0 = as fast as Telegram allows; 1.2 = our 25/s) |
| same burst, one reader answered 429 `retry_after={FLOOD_RETRY_AFTER}`: other readers' p90 \
| {result['others_p90_s']} s vs {result['others_p90_without_flood_s']} s without \
({result['others_p90_ratio']}×) |
| 429s in that run: forced / from the limits | {result['flood_429_forced']} / \
{result['flood_429_other']} |
| the flooded reader's first reply | after {result['flooded_first_reply_s']} s |

Why the p90 cannot be ≤ 3 s for this burst: 500 replies at Telegram's 30 messages/s take at least
16.7 s, so the 90th percentile waits ≥ 15 s however the bot is built (at our 25/s a p90 ≤ 3 s
needs bursts of at most ~80 replies; not measured here). What the bot controls is shown by the
ratios: it sends at its 25/s without a 429 in the burst (p90 / floor), and a reader told to
wait 20 s waits alone
(others' p90 ratio ≈ 1.0) — before issue 18 one reader's 429 delayed another's reply by 19.5 s,
and the same burst drew 16 × 429 with a 17.5 s p90.

429s "from the limits" in the flooded run: an earlier run (2026-12-05) drew 14, from requests
bunched on the wire after a briefly blocked event loop (the bot then capped only the sends it
*started* in any second). Since 2026-12-06 a message counts against the bot's window from its start
until a second after its answer (`bot/delivery/send_window.py`, shared with the pushes), so
requests held up on their way can no longer crowd one of Telegram's seconds.

How: updates are handled concurrently across chats and in order within one
(`bot/app/updates.py`, `ChatOrderedUpdates`: one FIFO lock per chat, at most 32 handlers running,
a repeated `update_id` dropped); replies go through `bot/app/replies.py` `ReplyRateLimiter`
(25/s overall like the delivery sender, so the bot's own floor for this p90 is 18 s; a token
bucket per chat: 3 at once then 1/s, charged when the message really leaves; groups 20/min).
It replaces PTB's `AIORateLimiter` (issue 11), which pauses *every* request for the `retry_after`
of any 429: here a 429 pauses only the chat it was for, and that reply is retried after the wait
(at most 3 times, never for a wait over 60 s).
"""
    replace_doc_section(SECTION_TITLE, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=10)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))
    if args.write_doc:
        write_doc(result)


if __name__ == "__main__":
    main()
