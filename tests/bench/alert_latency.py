"""From a page landing in the inbox to its typhoon notice in 1,000 subscribed chats.

Run by hand (never by pytest):

    /tmp/venv/bin/python -m tests.bench.alert_latency [--chats 1000] [--digests 2000] [--poll 1]

The real ``newsbrief run`` process talks to the fake Bot API (in this process) with Telegram's
flood limits on. Before the page is dropped, a digest fan-out is already under way (one digest
queued for each subscriber and for as many other chats again), so the figure shows whether the
alert overtakes it. Reported: total time from the drop to the last notice sent, as a ratio to the
floor (poll interval + chats / 25 s); how many digests were sent while notices were still going
out; 429s caused by our own pacing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.database import Database
from storage.outbox import NewDelivery, Outbox
from tests.bench.delivery_common import digest_parts, subscribed_readers
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"
OVERALL_RATE = 25.0
NOTICE_MARK = "以官方发布为准"  # every notice ends so; the digests here do not


class SendTally:
    """Reads the fake's send log incrementally (a full scan per event would slow the server)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.seen = 0
        self.notice_times: list[float] = []
        self.notice_chats: list[int] = []
        self.other_times: list[float] = []

    def update(self) -> int:
        log = self.fake.sent_log
        for record in log[self.seen :]:
            message = self.fake.chats[record.chat_id].messages[record.message_id]
            if NOTICE_MARK in (message.text or ""):
                self.notice_times.append(record.at)
                self.notice_chats.append(record.chat_id)
            else:
                self.other_times.append(record.at)
        self.seen = len(log)
        return len(set(self.notice_chats))

    def repeated_chats(self) -> int:
        return len(self.notice_chats) - len(set(self.notice_chats))


async def prepare(fake: FakeBotApi, db_url: str, chats: int, digests: int) -> list[int]:
    db = Database(db_url)
    await db.upgrade()
    subscribers = await subscribed_readers(fake, db, chats)
    others = [fake.add_user(f"o{i}", language_code="zh-hans").id
              for i in range(max(0, digests - chats))]
    now = datetime.now(UTC)
    async with db.session() as session:
        await Outbox(session).enqueue_many(
            [NewDelivery(c, "digest", "2023-07-31", digest_parts(c))
             for c in (subscribers + others)[:digests]],
            now=now,
        )
    await db.dispose()
    return subscribers


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--digests", type=int, default=2000)
    parser.add_argument("--poll", type=float, default=1.0, help="inbox poll interval, seconds")
    parser.add_argument("--fanout-head-start", type=int, default=200,
                        help="digests sent before the page is dropped")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="nb-alert-bench-"))
    inbox = work / "inbox"
    inbox.mkdir()
    fake = FakeBotApi(rate_limits=RateLimits())
    await fake.start()
    db_url = f"sqlite:///{work / 'bench.db'}"
    subscribers = await prepare(fake, db_url, args.chats, args.digests)
    env = {
        **os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.root,
        "NEWSBRIEF_DATABASE_URL": db_url, "NEWSBRIEF_INBOX": str(inbox),
        "NEWSBRIEF_INBOX_POLL_SECONDS": str(args.poll), "NEWSBRIEF_ALERT_MAX_AGE_HOURS": "0",
        "NEWSBRIEF_LOG_LEVEL": "WARNING", "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": str(REPO),
    }
    log = (work / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=work, stdout=log, stderr=log
    )
    try:
        await fake.wait_for(lambda: len(fake.sent_log) >= args.fanout_head_start, 180,
                            "the digest fan-out to be under way")
        staging = work / SEED.name
        shutil.copy(SEED, staging)
        old = time.time() - 60
        os.utime(staging, (old, old))
        dropped = time.monotonic()
        staging.rename(inbox / SEED.name)

        tally = SendTally(fake)
        await fake.wait_for(lambda: tally.update() >= len(subscribers), 600, "every notice")
        sent = sorted(tally.notice_times)
        first, last = sent[0], sent[-1]
        digests_during = sum(1 for at in tally.other_times if first <= at <= last)
        total = last - dropped
        floor = args.poll + len(subscribers) / OVERALL_RATE
        counters = fake.counters
        print(f"chats {len(subscribers)}, digests queued {args.digests}, poll {args.poll} s")
        print(f"drop → first notice      {first - dropped:8.2f} s")
        print(f"drop → last notice       {total:8.2f} s")
        print(f"floor (poll + n/25)      {floor:8.2f} s")
        print(f"ratio total / floor      {total / floor:8.3f}")
        print(f"chats with >1 notice     {tally.repeated_chats():8d}")
        print(f"digests sent meanwhile   {digests_during:8d}")
        print(f"429s from our pacing     {counters['throttled_by_pacing']:8d}")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 60)
        await fake.stop()
        log.close()


if __name__ == "__main__":
    asyncio.run(main())
