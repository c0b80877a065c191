"""Run the delivery sender in its own process until the outbox is empty (benchmarks only).

    python -m tests.bench.delivery_runner --db URL --api http://127.0.0.1:PORT --token TOKEN

Prints one JSON line at the end: messages sent, wall and CPU seconds of the sending phase (from
sender start to an empty outbox), and CPU milliseconds per message. The benchmarks start it as a
subprocess so its CPU time is its own, and ``kill -9`` it to test crash recovery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery import DeliveryLimits, DeliverySender
from bot.telegram_aiohttp import delivery_request
from storage.database import Database
from storage.outbox import Outbox

CHECK_EVERY = 0.5  # seconds between "is the outbox empty yet?" checks (the runner, not the sender)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sys_seconds() -> float:
    """Kernel time: on loopback the receiving side's network stack is largely charged here."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


async def main(args: argparse.Namespace) -> dict[str, float]:
    db = Database(args.db)
    limits = DeliveryLimits(
        overall_per_second=args.rate,
        max_in_flight=args.max_in_flight,
        claim_lease=args.claim_lease,
        allow_paid_broadcast=args.paid,
        write_linger=args.write_linger,
    )
    request = (HTTPXRequest(connection_pool_size=args.max_in_flight + 4) if args.http == "httpx"
               else delivery_request(args.max_in_flight + 4))
    bot = Bot(args.token, base_url=f"{args.api}/bot", request=request)
    async with bot:
        sender = DeliverySender(db, bot, limits=limits)
        cpu0, sys0, wall0 = cpu_seconds(), sys_seconds(), time.perf_counter()
        await sender.start()
        print(json.dumps({"started": True}), flush=True)
        while True:
            await asyncio.sleep(CHECK_EVERY)
            async with db.session() as session:
                if await Outbox(session).open_count() == 0:
                    break
        await sender.stop()
        cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
        kernel = sys_seconds() - sys0
    await db.dispose()
    sent = sender.stats.messages_sent
    return {
        "messages_sent": sent,
        "throttled": sender.stats.throttled,
        "claims_released": sender.stats.claims_released,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_sys_s": round(kernel, 3),
        "cpu_ms_per_message": round(1000 * cpu / sent, 4) if sent else None,
        "process_cpu_s": round(cpu_seconds(), 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True, help="the Bot API server's root")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-in-flight", type=int, default=16)
    parser.add_argument("--claim-lease", type=float, default=30.0)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--http", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="PTB request backend (aiohttp: bot/telegram_aiohttp.py)")
    parser.add_argument("--write-linger", type=float, default=0.1)
    parser.add_argument("--log-level", default="WARNING")
    arguments = parser.parse_args()
    logging.basicConfig(level=arguments.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(json.dumps(asyncio.run(main(arguments))), flush=True)
