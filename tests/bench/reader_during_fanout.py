"""Readers during a fan-out (run by hand): replies and pushes share the bot's 30 messages/s.

    /tmp/venv/bin/python -m tests.bench.reader_during_fanout [--chats 1500] [--users 50]
        [--per-user 4]

Telegram's overall limit is per bot. The real ``newsbrief run`` (polling) starts with a digest
queued for ``--chats`` subscribers, so its sender fans out at 25/s; once that is under way,
``users × per_user`` ``/ping`` updates arrive at once. The fake Bot API on loopback enforces
Telegram's flood limits (30/s overall, ~1/s per chat after a burst of 3) and answers 429 like
Telegram. Reported, for the time from the burst to its last reply: the 429s by reason, the most
messages the fake accepted in any one second, the replies' latency (update queued → the message
holding the answer stored; waiting answers to one chat are merged) and the pushes' rate meanwhile.
Figures and commands: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

from tests.bench.bot_latency import _env, percentile
from tests.bench.delivery_common import Bench, busiest_second
from tests.bench.reader_load import TIMEOUT, burst
from tests.e2e.fake_bot_api import RateLimits

PUSHES_BEFORE_BURST = 50  # the fan-out is under way


async def run(args: argparse.Namespace) -> dict[str, object]:
    bench = await Bench.create(args.chats, None, RateLimits(enabled=True))
    fake = bench.fake
    pushed = set(bench.chat_ids)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(fake, bench.db_url), cwd=bench.workdir,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            while sum(1 for r in fake.sent_log if r.chat_id in pushed) < PUSHES_BEFORE_BURST:
                await asyncio.sleep(0.05)
        users = [fake.add_user(f"Reader{i}", language_code="zh-hans") for i in range(args.users)]
        throttled_before, sent_before = len(fake.throttle_log), len(fake.sent_log)
        started = time.monotonic()
        answered = await burst(fake, users, args.per_user)
        elapsed = time.monotonic() - started
        throttled = fake.throttle_log[throttled_before:]
        sent = fake.sent_log[sent_before:]
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await bench.close()
    replies = [x for values in answered.latencies.values() for x in values]
    pushes = sum(1 for r in sent if r.chat_id in pushed)
    return {
        "replies": len(replies),
        "reply_messages": answered.total_messages,
        "fan_out_chats": args.chats,
        "burst_s": round(elapsed, 2),
        "throttled_by_reason": dict(Counter(t.reason for t in throttled)),
        "busiest_second": busiest_second([r.at for r in sent]),
        "reply_p50_s": round(percentile(replies, 50), 2),
        "reply_p90_s": round(percentile(replies, 90), 2),
        "reply_max_s": round(max(replies), 2),
        "pushes_during_burst": pushes,
        "pushes_per_second_during_burst": round(pushes / elapsed, 2),
        "all_per_second_during_burst": round(len(sent) / elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1500)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=4)
    print(json.dumps(asyncio.run(run(parser.parse_args())), ensure_ascii=False))


if __name__ == "__main__":
    main()
