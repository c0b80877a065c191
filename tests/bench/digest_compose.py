"""Digest composition for a large fan-out: 10,000 chats with differing sections, timezones and
scripts, against the cost of rendering one digest.

    python -m tests.bench.digest_compose [--chats 10000] [--articles 60] [--db URL]

Two measurements:

- **pure**: compose + render + outbox form for every chat from shared material (what
  ``DigestScheduler.run_due`` does per chat), per-chat cost as a ratio to rendering one digest on
  its own (material read and summarised for that one chat);
- **scheduler pass**: ``DigestScheduler.run_due`` over a real store with every chat due at the
  same minute: reading schedules, composing, enqueueing the outbox rows and recording the dates.

Both per-chat costs are compared with the 40 ms per message that the 25 msg/s fan-out allows:
composition must not be the bottleneck of delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bot.clock import ManualClock
from bot.pushes.digests import DigestOptions, DigestScheduler
from bot.render.callback_data import CallbackCodec
from bot.render.digest import render_digest
from bot.render.i18n import Translator
from bot.subscriptions.digest import (
    DigestArticle,
    DigestMaterial,
    DigestPreferences,
    DigestSource,
    compose_digest,
)
from bot.text.sections import SECTIONS
from storage.articles import ArticleRepository, NewArticle
from storage.database import Database
from storage.models import Chat

FANOUT_BUDGET_MS = 1000 / 25  # 25 messages a second overall
EDITION = date(2023, 7, 31)
PAPER = "萧山日报"
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/London", "America/New_York",
         "Australia/Sydney")
LANGUAGES = ("zh-hans",) * 7 + ("zh-hant", "zh-tw", "en")
SENTENCE = "萧山区今年持续推进城乡现代社区建设，居民生活品质不断提升。"


def synthetic_articles(count: int) -> list[NewArticle]:
    rng = random.Random(7)
    return [
        NewArticle(
            paper=PAPER, edition_date=EDITION, title=f"第{i}条新闻：萧山经开区项目建设提速{i}",
            content_hash=f"bench-{i}", section=SECTIONS[i % len(SECTIONS)], page=1 + i // 8,
            paragraphs=tuple(SENTENCE * rng.randint(1, 3) for _ in range(4)),
        )
        for i in range(count)
    ]


def random_preferences(chat_id: int, rng: random.Random) -> tuple[DigestPreferences, str]:
    chosen = tuple(s for s in SECTIONS if rng.random() < 0.6) if rng.random() < 0.7 else ()
    prefs = DigestPreferences(chat_id, chosen, other_hazards=rng.random() < 0.2,
                              silent=rng.random() < 0.8, language=rng.choice(LANGUAGES))
    return prefs, rng.choice(ZONES)


async def load(db: Database, articles: list[NewArticle]) -> None:
    async with db.session() as s:
        await ArticleRepository(s).add_many(articles, ingested_at=datetime(2023, 7, 31, tzinfo=UTC))


async def one_digest_ms(db: Database, codec: CallbackCodec, repeats: int = 30) -> float:
    """Median time to render one digest from scratch: read the articles, summarise, compose,
    render (what a single chat costs without any sharing)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        material = await DigestSource(db).material(None)
        digest = compose_digest(DigestPreferences(1), EDITION, material)
        [p.to_outbox() for p in render_digest(digest, Translator("zh-Hans"), codec, PAPER)]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def pure_fanout_ms(material: DigestMaterial, chats: int, codec: CallbackCodec) -> float:
    rng = random.Random(11)
    prefs = [random_preferences(i, rng)[0] for i in range(chats)]
    started = time.perf_counter()
    for pref in prefs:
        digest = compose_digest(pref, EDITION, material)
        tr = Translator.for_language(pref.language)
        [p.to_outbox() for p in render_digest(digest, tr, codec, PAPER)]
    return (time.perf_counter() - started) * 1000


async def scheduler_pass_ms(db: Database, chats: int, codec: CallbackCodec) -> tuple[float, int]:
    rng = random.Random(13)
    now = datetime(2023, 8, 1, 0, 0, tzinfo=UTC)
    async with db.session() as s:
        for chat_id in range(1, chats + 1):
            prefs, zone = random_preferences(chat_id, rng)
            # Every chat's hour is "now" in its own zone, so all are due in one pass.
            local = now.astimezone(ZoneInfo(zone))
            s.add(Chat(id=chat_id, type="private", language=prefs.language, active=True,
                       subscribed=True, digest_time=f"{local.hour:02d}:{local.minute:02d}",
                       timezone=zone, sections=list(prefs.sections),
                       alerts_enabled=True, other_hazards=prefs.other_hazards,
                       digest_silent=prefs.silent, created_at=now, updated_at=now))
    scheduler = DigestScheduler(db, codec, paper=PAPER, clock=ManualClock(now),
                                options=DigestOptions())
    started = time.perf_counter()
    report = await scheduler.run_due()
    return (time.perf_counter() - started) * 1000, report.enqueued


async def main(args: argparse.Namespace) -> dict[str, object]:
    codec = CallbackCodec("bench-token")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        schema = None
        if url.startswith("postgresql"):  # a fresh schema, dropped after
            schema = f"bench_digest_{int(time.time())}"
            admin = Database(url)
            async with admin.engine.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(url, schema=schema)
        await db.upgrade()
        try:
            await load(db, synthetic_articles(args.articles))
            single = await one_digest_ms(db, codec)
            async with db.session() as s:
                rows = await ArticleRepository(s).in_edition(EDITION)
            material = DigestMaterial.of([DigestArticle.of(a) for a in rows], rows[-1].id)
            pure = pure_fanout_ms(material, args.chats, codec)
            pass_ms, enqueued = await scheduler_pass_ms(db, args.chats, codec)
        finally:
            await db.dispose()
            if schema is not None:
                async with admin.engine.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()
    per_chat_pure = pure / args.chats
    per_chat_pass = pass_ms / args.chats
    return {
        "bench": "digest_compose",
        "db": url.split(":", 1)[0],
        "chats": args.chats,
        "articles": args.articles,
        "one_digest_ms": round(single, 3),
        "fanout_compose_render_ms": round(pure, 1),
        "per_chat_ms": round(per_chat_pure, 3),
        "per_chat_ratio_to_one_digest": round(per_chat_pure / single, 3),
        "scheduler_pass_ms": round(pass_ms, 1),
        "scheduler_per_chat_ms": round(per_chat_pass, 3),
        "digests_enqueued": enqueued,
        "fanout_budget_ms_per_message": FANOUT_BUDGET_MS,
        "scheduler_share_of_budget": round(per_chat_pass / FANOUT_BUDGET_MS, 3),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args())), ensure_ascii=False))
