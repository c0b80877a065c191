"""Storm: the server answers 429 (retry_after) to a fraction of sends for a while.

    python -m tests.bench.delivery_storm [--chats 1000] [--fraction 0.2] [--retry-after 2]
                                         [--duration 15] [--storm-after 5]

The storm starts ``--storm-after`` seconds after the first send, so the same run measures the
normal rate first (the baseline). Reports lost (must be 0), duplicated (must be 0), the 429s
answered, the finish time against the storm-free floor (chats / rate), and the rates during the
storm as ratios of that baseline: every accepted send, and the sends to chats never answered 429
(issue 18: held ≥ 0.8 of normal).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from tests.bench.delivery_common import Bench
from tests.e2e.fake_bot_api import RateLimits


async def main(args: argparse.Namespace) -> dict[str, object]:
    bench = await Bench.create(args.chats, args.db, RateLimits())
    fake = bench.fake
    try:
        proc = await bench.start_runner("--rate", str(args.rate))
        await fake.wait_for(lambda: fake.sent_log, 30.0, "the first send")
        first = fake.sent_log[0].at
        await asyncio.sleep(max(0.0, first + args.storm_after - time.monotonic()))
        storm_from = time.monotonic()
        fake.start_storm(args.fraction, retry_after=args.retry_after, duration=args.duration,
                         seed=1)
        storm_to = storm_from + args.duration
        runner = await bench.finish(proc)
        tally = bench.tally()
    finally:
        await bench.close()
    hit = {r.chat_id for r in fake.throttle_log if r.reason == "storm"}
    baseline = sum(1 for r in fake.sent_log if first <= r.at < storm_from) / (storm_from - first)
    during = [r for r in fake.sent_log if storm_from <= r.at < storm_to]
    all_rate = len(during) / args.duration
    never_hit_rate = sum(1 for r in during if r.chat_id not in hit) / args.duration
    return {
        "bench": "delivery_storm",
        "db": bench.db_url.split(":", 1)[0],
        "storm": {"fraction": args.fraction, "retry_after_s": args.retry_after,
                  "duration_s": args.duration},
        "floor_s": round(args.chats / args.rate, 2),
        "finish_s": runner["wall_s"],
        "sender_saw_429": runner["throttled"],
        "baseline_per_s": round(baseline, 2),
        "storm_all_sends_per_s": round(all_rate, 2),
        "storm_never_hit_chats_per_s": round(never_hit_rate, 2),
        "ratio_all_sends": round(all_rate / baseline, 3),
        "ratio_never_hit_chats": round(never_hit_rate / baseline, 3),
        "chats_hit": len(hit),
        **tally,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--retry-after", type=int, default=2)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--storm-after", type=float, default=5.0,
                        help="seconds of normal sending first (the baseline)")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
