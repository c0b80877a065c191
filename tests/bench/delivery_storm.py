"""Storm: the server answers 429 (retry_after) to a fraction of sends for a while.

    python -m tests.bench.delivery_storm [--chats 1000] [--fraction 0.2] [--retry-after 2]
                                         [--duration 20]

Reports lost (must be 0), duplicated (must be 0), the 429s answered, and the finish time against
the storm-free floor (chats / rate).
"""

from __future__ import annotations

import argparse
import asyncio
import json

from tests.bench.delivery_common import Bench
from tests.e2e.fake_bot_api import RateLimits


async def main(args: argparse.Namespace) -> dict[str, object]:
    bench = await Bench.create(args.chats, args.db, RateLimits())
    try:
        bench.fake.start_storm(args.fraction, retry_after=args.retry_after,
                               duration=args.duration, seed=1)
        runner = await bench.finish(await bench.start_runner("--rate", str(args.rate)))
        tally = bench.tally()
    finally:
        await bench.close()
    return {
        "bench": "delivery_storm",
        "db": bench.db_url.split(":", 1)[0],
        "storm": {"fraction": args.fraction, "retry_after_s": args.retry_after,
                  "duration_s": args.duration},
        "floor_s": round(args.chats / args.rate, 2),
        "finish_s": runner["wall_s"],
        "sender_saw_429": runner["throttled"],
        **tally,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--retry-after", type=int, default=2)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
