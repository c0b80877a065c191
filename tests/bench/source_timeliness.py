"""From a typhoon response published in a feed to its notice in every subscribed chat.

Run by hand (never by pytest):

    nice /tmp/venv/bin/python -m tests.bench.source_timeliness \
        [--rounds 12] [--every 30] [--chats 20]

The real ``newsbrief run`` process polls an RSS feed on a loopback server (in this process) every
``--every`` seconds and talks to the fake Bot API (also here) with Telegram's flood limits on. Each
round publishes one new item — a response for another storm, so each is a new alert event — at a
random moment of the poll cycle, and times it to the last subscribed chat's notice.

Reported, as a distribution over the rounds: publish → last notice (the figure the issue bounds by
the poll interval + 10 s); the baseline measured in the same run, publish → the bot's next GET of
the feed (the wait no implementation of polling can avoid); and the ratio of the two means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.sources.service import SourceService
from storage.database import Database
from tests.bench.delivery_common import subscribed_readers
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits
from tests.sources_site import SourcesSite, rss

REPO = Path(__file__).resolve().parents[2]
STORMS = ("杜苏芮", "卡努", "兰恩", "苏拉", "海葵", "鸿雁", "小犬", "玛娃", "古超", "泰利",
          "达维", "三巴", "珊珊", "格美", "摩羯", "贝碧嘉", "普拉桑", "康妮", "银杏", "桃芝")
ALLOWANCE_SECONDS = 10.0


def typhoon_item(round_number: int, published: datetime) -> dict[str, str]:
    storm = STORMS[round_number % len(STORMS)]
    body = (
        f"<p>根据《萧山区防汛防台抗旱应急预案》规定，区防指决定于{published:%m}月{published:%d}日"
        f"{published:%H}时启动防台风Ⅳ级应急响应。</p>"
        f"<p>今年第{round_number + 1}号台风“{storm}”正向我省靠近，"
        "预计将给我区带来强降雨和大风。</p>"
        "<p>区防指要求各镇街、各部门立即进入应急状态，加强值班值守，做好人员转移准备。</p>"
    )
    return {"title": f"区防指启动防台风Ⅳ级应急响应（{storm}）", "guid": f"bench-{round_number}",
            "link": f"http://127.0.0.1/news/{round_number}.html", "content": body,
            "date": format_datetime(published)}


async def prepare(fake: FakeBotApi, db_url: str, chats: int, feed_url: str,
                  every_seconds: float) -> list[int]:
    db = Database(db_url)
    await db.upgrade()
    subscribers = await subscribed_readers(fake, db, chats)
    await SourceService(db, Settings(), SystemClock()).add(
        feed_url, kind="feed", every_minutes=every_seconds / 60)
    await db.dispose()
    return subscribers


def notice_times(fake: FakeBotApi, storm: str) -> dict[int, float]:
    """When each chat got the notice naming ``storm`` (first send only)."""
    found: dict[int, float] = {}
    for record in fake.sent_log:
        message = fake.chats[record.chat_id].messages[record.message_id]
        if storm in (message.text or "") and "应急响应" in (message.text or ""):
            found.setdefault(record.chat_id, record.at)
    return found


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return (f"{name:<34} min {ordered[0]:6.2f}  median {statistics.median(ordered):6.2f}  "
            f"p90 {p90:6.2f}  max {ordered[-1]:6.2f}  mean {statistics.fmean(ordered):6.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--every", type=float, default=30.0, help="poll interval, seconds")
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="nb-source-bench-"))
    fake = FakeBotApi(rate_limits=RateLimits())
    await fake.start()
    site = SourcesSite()
    await site.start()
    items: list[dict[str, str]] = []
    site.put("/feed.xml", rss(items), "application/rss+xml")
    db_url = f"sqlite:///{work / 'bench.db'}"
    subscribers = await prepare(fake, db_url, args.chats, site.url("/feed.xml"), args.every)
    env = {
        **os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.root,
        "NEWSBRIEF_DATABASE_URL": db_url, "NEWSBRIEF_ALERT_MAX_AGE_HOURS": "0",
        "NEWSBRIEF_LOG_LEVEL": "WARNING", "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": str(REPO),
    }
    log = (work / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=work, stdout=log, stderr=log
    )
    latencies: list[float] = []
    first_chat: list[float] = []
    waits: list[float] = []
    try:
        await fake.wait_for(lambda: site.hits["/feed.xml"] >= 1, 120, "the first poll")
        for number in range(args.rounds):
            await asyncio.sleep(rng.uniform(0, args.every))
            published = datetime.now(UTC)
            items.insert(0, typhoon_item(number, published))
            hits_before = len([a for a in site.arrivals if a[0] == "/feed.xml"])
            site.put("/feed.xml", rss(items), "application/rss+xml")
            started = time.monotonic()
            storm = STORMS[number % len(STORMS)]
            await fake.wait_for(lambda s=storm: len(notice_times(fake, s)) >= len(subscribers),
                                args.every + 120, f"round {number}: every notice")
            times = notice_times(fake, storm)
            latencies.append(max(times.values()) - started)
            first_chat.append(min(times.values()) - started)
            next_poll = [a for a in site.arrivals if a[0] == "/feed.xml"][hits_before]
            waits.append(max(0.0, next_poll[1] - started))
        bound = args.every + ALLOWANCE_SECONDS
        print(f"rounds {args.rounds}, poll every {args.every:g} s, {len(subscribers)} chats, "
              f"bound poll + {ALLOWANCE_SECONDS:g} s = {bound:g} s")
        print(describe("publish → next poll (baseline)", waits))
        print(describe("publish → first chat's notice", first_chat))
        print(describe("publish → last chat's notice", latencies))
        overhead = [lat - wait for lat, wait in zip(latencies, waits, strict=True)]
        print(describe("last notice − next poll", overhead))
        print(f"ratio mean(last notice) / mean(baseline)  "
              f"{statistics.fmean(latencies) / max(statistics.fmean(waits), 1e-9):6.3f}")
        print(f"rounds within the bound                   "
              f"{sum(1 for lat in latencies if lat <= bound)}/{len(latencies)}")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 60)
        await site.stop()
        await fake.stop()
        log.close()


if __name__ == "__main__":
    asyncio.run(main())
