"""Fan-out: N subscribed chats, one digest each, through the fake Bot API with Telegram's limits on.

    python -m tests.bench.delivery_fanout [--chats 10000] [--rate 25] [--db URL]

Reports the sending time against the floor set by the overall limit (chats / rate), the 429s the
server answered (zero expected: our pacing stays under its limits), and the sender process's CPU
time per message sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from tests.bench.delivery_common import Bench
from tests.e2e.fake_bot_api import RateLimits


async def main(args: argparse.Namespace) -> dict[str, object]:
    # Telegram's documented limits (≈30/s overall); paid broadcast lifts the overall one.
    overall = 1000 if args.paid else 30
    bench = await Bench.create(args.chats, args.db, RateLimits(global_per_second=overall))
    try:
        extra = ["--rate", str(args.rate), "--max-in-flight", str(args.max_in_flight),
                 "--http", args.http]
        if args.write_linger is not None:
            extra += ["--write-linger", str(args.write_linger)]
        if args.paid:
            extra.append("--paid")
        if args.profile:
            extra += ["--profile", args.profile]
        runner = await bench.finish(await bench.start_runner(*extra))
        tally = bench.tally()
    finally:
        await bench.close()
    floor = args.chats / args.rate
    sending = tally["first_to_last_send_s"] or 0.0
    return {
        "bench": "delivery_fanout",
        "db": bench.db_url.split(":", 1)[0],
        "rate_limit_per_s": args.rate,
        "floor_s": round(floor, 3),
        "runner_wall_s": runner["wall_s"],
        "achieved_rate_per_s": round(args.chats / sending, 2) if sending else None,
        "fraction_of_allowed_rate": round(floor / runner["wall_s"], 4),
        "http": args.http,
        "write_linger_s": args.write_linger,
        "cpu_s": runner["cpu_s"],
        "cpu_sys_s": runner["cpu_sys_s"],
        "cpu_event_loop_thread_s": runner["cpu_event_loop_thread_s"],
        "cpu_ms_per_message": runner["cpu_ms_per_message"],
        "wakeups_per_message": runner["wakeups_per_message"],
        "sender_peak_sends_in_1s": runner["peak_sends_per_second"],
        "server_peak_sends_in_1s": bench.peak_per_second(),
        **tally,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-in-flight", type=int, default=16)
    parser.add_argument("--paid", action="store_true", help="allow_paid_broadcast (server 1000/s)")
    parser.add_argument("--http", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--write-linger", type=float, default=None,
                        help="seconds (default: DeliveryLimits' own)")
    parser.add_argument("--profile", help="cProfile the sender process into this file")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
