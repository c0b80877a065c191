"""Crash: kill -9 the sender mid fan-out, restart it, and count lost and repeated digests,
and how soon after the restart's first send the chats whose row was in flight at the kill get theirs
(they keep their place in the queue: at the front).

    python -m tests.bench.delivery_crash [--chats 1000] [--kill-after 400] [--without-lock]

Every chat must end with its digest (lost = 0). A chat may get it twice only if its send was in
flight at the kill: the repeats must not exceed the rows the database showed claimed right after
the kill (itself ≤ max_in_flight). The runner holds the instance lock as ``newsbrief run`` does,
so the restart releases the dead run's claims at once; ``--without-lock`` shows the lease path
(claims released only after ``--claim-lease`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from sqlalchemy import select

from storage.models import Delivery
from storage.outbox import CLAIMED, Outbox
from tests.bench.delivery_common import Bench
from tests.e2e.fake_bot_api import RateLimits


async def main(args: argparse.Namespace) -> dict[str, object]:
    bench = await Bench.create(args.chats, args.db, RateLimits())
    extra = ["--rate", str(args.rate), "--max-in-flight", str(args.max_in_flight),
             "--claim-lease", str(args.claim_lease)]
    if not args.without_lock:
        extra.append("--lock")
    try:
        proc = await bench.start_runner(*extra)
        await bench.fake.wait_for(lambda: len(bench.fake.sent_log) >= args.kill_after,
                                  timeout=args.chats, what="sends before the kill")
        proc.kill()  # SIGKILL: no clean-up runs in the sender
        await proc.wait()
        sent_at_kill = len(bench.fake.sent_log)
        db = bench.database()
        async with db.session() as session:
            counts = await Outbox(session).counts()
            crashed = set((await session.scalars(
                select(Delivery.chat_id).where(Delivery.status == CLAIMED))).all())
        await db.dispose()
        claimed_at_kill = counts.get("digest", {}).get(CLAIMED, 0)
        restarted = time.monotonic()
        runner = await bench.finish(await bench.start_runner(*extra))
        recovery = time.monotonic() - restarted
        tally = bench.tally()
        after = [r for r in bench.fake.sent_log if r.at >= restarted]
        first_after = after[0].at if after else restarted
        crashed_served = [r.at - first_after for r in after if r.chat_id in crashed]
    finally:
        await bench.close()
    return {
        "bench": "delivery_crash",
        "db": bench.db_url.split(":", 1)[0],
        "kill_after_sends": sent_at_kill,
        "claimed_at_kill": claimed_at_kill,
        "max_in_flight": args.max_in_flight,
        "instance_lock": not args.without_lock,
        "claim_lease_s": args.claim_lease,
        "claims_released_on_restart": runner["claims_released"],
        "second_run_wall_s": round(recovery, 2),
        # issue 18 point 14: the chats whose row was in flight at the kill get theirs first
        "crashed_chats": len(crashed),
        "crashed_chats_last_served_s": round(max(crashed_served), 2) if crashed_served else None,
        "crashed_chats_last_served_of_second_run": round(
            max(crashed_served) / max(recovery, 1e-9), 3) if crashed_served else None,
        "second_run_floor_s": round((args.chats - sent_at_kill) / args.rate, 2),
        **tally,
        "duplicates_within_bound": tally["duplicated"] <= claimed_at_kill,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--kill-after", type=int, default=400, help="sends before kill -9")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-in-flight", type=int, default=16)
    parser.add_argument("--claim-lease", type=float, default=30.0)
    parser.add_argument("--without-lock", action="store_true",
                        help="no instance lock: claims wait for the lease")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False))
