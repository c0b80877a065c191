"""Run the delivery sender in its own process until the outbox is empty (benchmarks only).

    python -m tests.bench.delivery_runner --db URL --api http://127.0.0.1:PORT --token TOKEN

Prints one JSON line at the end: messages sent, wall and CPU seconds of the sending phase (from
sender start to an empty outbox), and CPU milliseconds per message. The benchmarks start it as a
subprocess so its CPU time is its own, and ``kill -9`` it to test crash recovery. ``--lock`` takes
the single-instance lock as ``newsbrief run`` does, so claims left by a killed runner are released
at start instead of after the lease.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import sys
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.limits import DeliveryLimits
from bot.delivery.sender import DeliverySender
from bot.delivery.transport import bot_api_request
from storage.database import Database
from storage.instance_lock import InstanceLock
from storage.models import Delivery
from storage.outbox import OPEN_STATUSES

# The runner asks the database whether the outbox is empty only when the sender is idle, and
# looks again CHECK_EVERY seconds later if it was not (rows due later); while the sender works, it
# waits on the sender's progress (IDLE_WAIT: at most this long between checks).
CHECK_EVERY = 0.25
IDLE_WAIT = 5.0



async def open_rows(session: AsyncSession) -> int:
    """Rows still pending or claimed: the run ends when none is left."""
    count = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status.in_(OPEN_STATUSES))
    )
    return int(count or 0)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sleeps() -> int:
    """Times a thread of this process blocked and was woken again (voluntary context switches,
    all threads): the event loop per timer, answer and commit, the SQLite thread per commit."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


def sys_seconds() -> float:
    """Kernel time: on loopback the receiving side's network stack is largely charged here."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


async def main(args: argparse.Namespace) -> dict[str, float]:
    db = Database(args.db, schema=args.schema)
    lock = await InstanceLock.acquire(db) if args.lock else None
    try:
        return await run(args, db)
    finally:
        if lock is not None:
            await lock.release()
        await db.dispose()


async def run(args: argparse.Namespace, db: Database) -> dict[str, float]:
    limits = DeliveryLimits(
        overall_per_second=args.rate,
        max_in_flight=args.max_in_flight,
        claim_lease=args.claim_lease,
        allow_paid_broadcast=args.paid,
        **({} if args.write_linger is None else {"write_linger": args.write_linger}),
    )
    request = (HTTPXRequest(connection_pool_size=args.max_in_flight + 4) if args.http == "httpx"
               else bot_api_request(args.max_in_flight + 4))
    bot = Bot(args.token, base_url=f"{args.api}/bot", request=request)
    async with bot:
        sender = DeliverySender(db, bot, limits=limits, release_claims_on_start=args.lock)
        cpu0, sys0, wall0 = cpu_seconds(), sys_seconds(), time.perf_counter()
        loop0, sleeps0 = time.thread_time(), sleeps()
        await sender.start()
        print(json.dumps({"started": True}), flush=True)
        while True:
            # Re-checked after each of the sender's commits: no wake-ups of our own while it
            # works (they would be counted as the sender's CPU).
            with contextlib.suppress(TimeoutError):
                await sender.wait_for(lambda: sender.idle, timeout=IDLE_WAIT)
            if not sender.idle:
                continue
            async with db.session() as session:
                if await open_rows(session) == 0:
                    break
            await asyncio.sleep(CHECK_EVERY)  # rows due later (a retry): look again soon
        await sender.stop()
        cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
        kernel = sys_seconds() - sys0
        loop_cpu = time.thread_time() - loop0
        woken = sleeps() - sleeps0
    sent = sender.stats.messages_sent
    return {
        "messages_sent": sent,
        "throttled": sender.stats.throttled,
        "claims_released": sender.stats.claims_released,
        "peak_sends_per_second": sender.stats.peak_sends_per_second,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_sys_s": round(kernel, 3),
        "cpu_event_loop_thread_s": round(loop_cpu, 3),  # the rest: the database driver's thread
        "cpu_ms_per_message": round(1000 * cpu / sent, 4) if sent else None,
        "process_cpu_s": round(cpu_seconds(), 3),
        "wakeups_per_message": round(woken / sent, 3) if sent else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema", help="PostgreSQL schema holding the tables")
    parser.add_argument("--lock", action="store_true",
                        help="hold the instance lock; release every claim at start")
    parser.add_argument("--api", required=True, help="the Bot API server's root")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-in-flight", type=int, default=16)
    parser.add_argument("--claim-lease", type=float, default=30.0)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--http", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="PTB request backend (aiohttp: bot/delivery/transport.py)")
    parser.add_argument("--write-linger", type=float, default=None)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--profile", help="write cProfile stats of the whole run to this file")
    arguments = parser.parse_args()
    logging.basicConfig(level=arguments.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if arguments.profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # this thread's CPU, not wall time
        result = profiler.runcall(asyncio.run, main(arguments))
        profiler.dump_stats(arguments.profile)
    else:
        result = asyncio.run(main(arguments))
    print(json.dumps(result), flush=True)
