"""Inline mode latency benchmark (run by hand): ``@bot <query>`` round trips on the full corpus.

    /tmp/venv/bin/python -m tests.bench.inline_latency [--requests 200] [--db URL] [--write-doc]

Uses the database ``tests.bench.bot_latency`` builds (the shared corpora), starts the real
``newsbrief run`` against the fake Bot API on loopback (flood limits off, inline mode on) and
measures, as a user would, N inline queries (2–4 character pieces of real titles; every tenth one
empty, which lists the latest headlines) interleaved with N ``/ping`` round trips in the same run
(the zero-work baseline). Inline round trip = inline query queued by the fake → the bot's
``answerInlineQuery`` accepted (up to 20 articles, each with its full message, checked by the
fake as Telegram would). ``--write-doc`` puts the figures under ``## Inline query latency`` in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from tests.bench.bot_latency import (
    DEFAULT_DB,
    TIMEOUT,
    ReaderTurns,
    _env,
    build_database,
    corpus_description,
    percentile,
    pick_queries,
    replace_doc_section,
)
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

SECTION_TITLE = "## Inline query latency"
EMPTY_EVERY = 10  # every tenth inline query is empty: the latest headlines


async def inline_round_trip(fake: FakeBotApi, user: object, query: str) -> tuple[float, int]:
    """Milliseconds from the query to its accepted answer, and how many results it had."""
    sent = time.monotonic()
    update = fake.send_inline_query(user, query)  # type: ignore[arg-type]
    answer = await fake.wait_for_inline_answer(update, TIMEOUT)
    return (answer.at - sent) * 1000, len(answer.results)


async def run(args: argparse.Namespace) -> dict[str, object]:
    db_path = Path(args.db.removeprefix("sqlite:///"))
    if args.db.startswith("sqlite:") and not db_path.exists():
        build_database(args.db, db_path.parent)
    fake = FakeBotApi(rate_limits=RateLimits(enabled=False), inline_mode=True)
    await fake.start()
    user = fake.add_user("Bench", language_code="zh-hans")
    chat = fake.private_chat(user)
    fake.send_text(user, chat, "/ping")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(fake, args.db), cwd=db_path.parent,
    )
    try:
        await fake.wait_for_messages(chat, 1, TIMEOUT)
        turns = ReaderTurns(fake)  # /ping under the reply pacing (bot_latency's module doc)
        queries = pick_queries(args.requests, seed=11)
        for query in queries[:5]:  # warm up as a bot that has been running a while
            await inline_round_trip(fake, user, query)
        inline_ms: list[float] = []
        ping_ms: list[float] = []
        result_counts: list[int] = []
        for number, query in enumerate(queries):
            took, count = await inline_round_trip(
                fake, user, "" if number % EMPTY_EVERY == 0 else query
            )
            inline_ms.append(took)
            result_counts.append(count)
            ping_ms.append(await turns.round_trip("/ping"))
        refused = [c for c in fake.api_log if c.method == "answerInlineQuery" and not c.ok]
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await fake.stop()
    result: dict[str, object] = {
        "requests": args.requests,
        "inline_p50_ms": round(percentile(inline_ms, 50), 1),
        "inline_p99_ms": round(percentile(inline_ms, 99), 1),
        "ping_p50_ms": round(percentile(ping_ms, 50), 1),
        "ping_p99_ms": round(percentile(ping_ms, 99), 1),
        "mean_results": round(statistics.fmean(result_counts), 1),
        "refused_answers": len(refused),
    }
    result["p50_ratio"] = round(result["inline_p50_ms"] / result["ping_p50_ms"], 2)  # type: ignore[operator]
    result["p99_ratio"] = round(result["inline_p99_ms"] / result["ping_p99_ms"], 2)  # type: ignore[operator]
    return result


def write_doc(result: dict[str, object], articles: str) -> None:
    section = f"""{SECTION_TITLE}

Measured with `/tmp/venv/bin/python -m tests.bench.inline_latency --write-doc`
({platform.machine()}, Python {platform.python_version()}, SQLite): the real `newsbrief run`
process against the fake Bot API on loopback (flood limits off, inline mode on),
{result['requests']} inline queries (2–4 character pieces of THUCNews titles; every
{EMPTY_EVERY}th one empty, which lists the latest headlines) interleaved with
{result['requests']} `/ping` round trips, same run.
Corpus: {articles}. Inline round trip = query queued by the fake → `answerInlineQuery` accepted
(≤ 20 articles, {result['mean_results']} on average, each with its whole message; refused
answers: {result['refused_answers']}).

| | p50 | p99 |
|---|---|---|
| inline query (≤ 20 article results) | {result['inline_p50_ms']} ms \
| {result['inline_p99_ms']} ms |
| `/ping` (no work) | {result['ping_p50_ms']} ms | {result['ping_p99_ms']} ms |
| ratio inline / ping | {result['p50_ratio']}× | {result['p99_ratio']}× |
"""
    replace_doc_section(SECTION_TITLE, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL (built if missing)")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))
    if args.write_doc:
        write_doc(result, corpus_description(args.db))


if __name__ == "__main__":
    main()
