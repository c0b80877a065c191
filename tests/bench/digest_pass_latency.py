"""Reply latency while the real bot composes a big digest pass (run by hand, not by pytest).

    python -m tests.bench.digest_pass_latency [--chats 100000] [--articles 60] [--interval 0.25]

Builds a SQLite store with one edition of synthetic articles and ``--chats`` subscribed chats whose
digest hour is the same minute a little after start-up (six timezones, three scripts, random
sections, as in ``digest_compose``), starts the real ``newsbrief run`` against the fake Bot API on
loopback with Telegram's limits on, and has probe readers (in turn) send ``/ping`` every
``--interval`` seconds throughout: first while the bot is idle (the baseline, same run), then
while the digest job composes and enqueues every chat's digest (and the sender starts on them).
Reports ping round trips (p50/p90/p99/max) in both phases, their ratio, and the pass's length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.database import Database
from storage.models import Chat, Delivery
from tests.bench.bot_latency import percentile
from tests.bench.digest_compose import load, random_preferences, synthetic_articles
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

REPO = Path(__file__).resolve().parents[2]
DIGEST_TICK = 60.0  # bot.app.jobs.DIGEST_INTERVAL_SECONDS: the job's first pass runs at start-up
TIMEOUT = 120.0
PROBES = 8


async def prepare(db_url: str, fake: FakeBotApi, chats: int, articles: int,
                  due: datetime) -> None:
    """Chats the fake knows (so sends succeed), all due at ``due`` in their own zone."""
    db = Database(db_url)
    await db.upgrade()
    await load(db, synthetic_articles(articles))
    rng = random.Random(13)
    now = datetime.now(UTC)
    async with db.session() as session:
        for index in range(chats):
            user = fake.add_user(f"r{index}", language_code="zh-hans")
            prefs, zone = random_preferences(user.id, rng)
            local = due.astimezone(ZoneInfo(zone))
            session.add(Chat(id=user.id, type="private", language=prefs.language, active=True,
                             subscribed=True, digest_time=f"{local.hour:02d}:{local.minute:02d}",
                             timezone=zone, sections=list(prefs.sections), alerts_enabled=True,
                             other_hazards=prefs.other_hazards, digest_silent=prefs.silent,
                             created_at=now, updated_at=now))
            if index % 5000 == 4999:
                await session.flush()
    await db.dispose()


async def digests_enqueued(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.kind == "digest")
        ) or 0)


async def ping(fake: FakeBotApi, user: object) -> tuple[float, float]:
    """(sent at, round trip in ms) for one /ping."""
    chat = fake.private_chat(user)  # type: ignore[arg-type]
    before = len(fake.messages_in(chat, include_deleted=True, from_bot=True))
    sent = time.monotonic()
    fake.send_text(user, chat, "/ping")  # type: ignore[arg-type]
    messages = await fake.wait_for_messages(chat, before + 1, TIMEOUT)
    return sent, (messages[before].sent_at - sent) * 1000


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"n": len(values), "p50_ms": round(percentile(values, 50), 1),
            "p90_ms": round(percentile(values, 90), 1),
            "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1),
            "mean_ms": round(statistics.fmean(values), 1)}


async def run(args: argparse.Namespace) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="nb-digest-pass-"))
    db_url = f"sqlite:///{work / 'bench.db'}"
    fake = FakeBotApi(rate_limits=RateLimits())
    await fake.start()
    # Several probe readers in turn, so no chat gets more than one reply a second (Telegram's
    # per-chat limit, which the bot's rate limiter keeps to, would otherwise set the latency).
    probes = [fake.add_user(f"Probe{i}", language_code="zh-hans") for i in range(PROBES)]
    # Due at the job's third tick: the first two (start-up, +60 s) give the idle baseline.
    due = (datetime.now(UTC) + timedelta(seconds=DIGEST_TICK + args.setup_allowance)).replace(
        second=0, microsecond=0) + timedelta(minutes=1)
    started_prep = time.monotonic()
    await prepare(db_url, fake, args.chats, args.articles, due)
    prep_s = time.monotonic() - started_prep
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.root,
           "NEWSBRIEF_DATABASE_URL": db_url, "NEWSBRIEF_LOG_LEVEL": "WARNING",
           "NO_PROXY": "127.0.0.1,localhost", "PYTHONPATH": str(REPO)}
    log = (work / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=work, stdout=log, stderr=log)
    db = Database(db_url)
    samples: list[tuple[float, float]] = []  # (sent at, round trip ms)
    first_enqueued = pass_ended = None
    try:
        await ping(fake, probes[0])  # the bot is up
        deadline = time.monotonic() + args.limit
        while time.monotonic() < deadline:
            samples.append(await ping(fake, probes[len(samples) % PROBES]))
            enqueued = await digests_enqueued(db)
            if enqueued and first_enqueued is None:
                first_enqueued = time.monotonic()
            if enqueued >= args.chats:
                pass_ended = time.monotonic()
                break
            await asyncio.sleep(args.interval)
    finally:
        await db.dispose()
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await fake.stop()
    # Idle: pings before the due minute. During: from a little before the first batch committed
    # (its composition started up to one batch earlier) to the last; the gap between is dropped.
    due_mono = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
    idle = [trip for sent, trip in samples if sent < due_mono]
    pass_started = None if first_enqueued is None else first_enqueued - args.batch_allowance
    during = [trip for sent, trip in samples if pass_started is not None and sent >= pass_started]
    idle_s, during_s = summary(idle), summary(during)
    return {
        "bench": "digest_pass_latency", "chats": args.chats, "articles": args.articles,
        "prepare_s": round(prep_s, 1),
        "pass_s": round(pass_ended - pass_started, 1) if pass_started and pass_ended else None,
        "ping_idle": idle_s, "ping_during_pass": during_s,
        "p90_ratio": round(during_s["p90_ms"] / idle_s["p90_ms"], 2)
        if idle_s and during_s else None,
        "p99_ratio": round(during_s["p99_ms"] / idle_s["p99_ms"], 2)
        if idle_s and during_s else None,
        "digests_sent_by_end": len(fake.sent_log),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between pings")
    parser.add_argument("--setup-allowance", type=float, default=90.0,
                        help="seconds the store build may take before the due minute")
    parser.add_argument("--batch-allowance", type=float, default=5.0,
                        help="seconds before the first batch's commit counted as the pass")
    parser.add_argument("--limit", type=float, default=1800.0, help="give up after this long")
    print(json.dumps(asyncio.run(run(parser.parse_args())), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
