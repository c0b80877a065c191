"""Bot latency benchmark (run by hand): /search round trips against the full shared corpus.

    /tmp/venv/bin/python -m tests.bench.bot_latency [--requests 200] [--db URL] [--write-doc]

Builds (once) an SQLite database from ../shared/data/corpora (xwlb items.jsonl.gz, rmrb
articles.jsonl, THUCNews titles), starts the real ``newsbrief run`` as a subprocess against the
fake Bot API on loopback (flood limits off), and measures as a user would:

* start-up: from spawning the process to the answer to a /ping queued before it started;
* N sequential ``/search`` round trips (user message stored → bot reply stored), interleaved with
  N ``/ping`` round trips (a command that does no work) in the same run, so both see the same
  machine; p50/p99 and their ratio (target: search p99 ≤ 3 × ping p99).

Replies are paced as Telegram asks (about 1/s per chat after a burst of 3, 25/s overall:
``bot/app/replies.py``), so the requests come from ``READERS`` readers in turn with ``GAP`` seconds
between a reply and the next request: the figures are the bot's latency, not its pacing (one
reader asking back to back waits 1 s a reply after the third).

``--write-doc`` puts the figures under ``## Bot latency`` in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO.parent / "shared" / "data" / "corpora"
DEFAULT_DB = "sqlite:////tmp/newsbrief-bench/full.db"
DOC = REPO / "docs" / "performance.md"
SECTION_TITLE = "## Bot latency"
TIMEOUT = 120.0
READERS = 50  # each reader asks again only after the other 49: under the 1/s per chat
GAP = 0.04  # seconds from a reply to the next request: under the 25/s overall
_CJK = re.compile(r"[\u4e00-\u9fff]{2,}")


def _env(fake: FakeBotApi, db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.root,
        NEWSBRIEF_DATABASE_URL=db_url,
        NEWSBRIEF_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def build_database(db_url: str, work: Path) -> None:
    """Ingest the three corpora through the CLI (THUCNews titles become one-line articles)."""
    work.mkdir(parents=True, exist_ok=True)
    thuc = work / "thucnews-titles.jsonl"
    with thuc.open("w", encoding="utf-8") as out:
        for name in ("dev.txt", "test.txt"):
            lines = (CORPORA / "thucnews-titles" / name).read_text(encoding="utf-8").splitlines()
            for line in lines:
                title = line.rsplit("\t", 1)[0].strip()
                if title:
                    out.write(json.dumps({"title": title, "body": title, "date": "2020-01-01"},
                                         ensure_ascii=False) + "\n")
    sources = [
        CORPORA / "xwlb" / "items.jsonl.gz", CORPORA / "rmrb-2019-10" / "articles.jsonl", thuc,
    ]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "ingest", "--db", db_url, *map(str, sources)],
        check=True, cwd=work, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
    )
    print(f"built {db_url} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def pick_queries(count: int, seed: int = 7) -> list[str]:
    """Realistic queries: 2–4 character pieces of real titles (words and sub-words alike)."""
    rng = random.Random(seed)
    titles = [
        line.rsplit("\t", 1)[0]
        for line in (CORPORA / "thucnews-titles" / "test.txt").read_text(encoding="utf-8")
        .splitlines()
    ]
    queries: list[str] = []
    while len(queries) < count:
        runs = _CJK.findall(rng.choice(titles))
        if not runs:
            continue
        run = rng.choice(runs)
        size = min(len(run), rng.choice((2, 2, 3, 4)))
        start = rng.randrange(len(run) - size + 1)
        queries.append(run[start : start + size])
    return queries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def round_trip(fake: FakeBotApi, user: object, text: str) -> float:
    chat = fake.private_chat(user)  # type: ignore[arg-type]
    before = len(fake.messages_in(chat, include_deleted=True, from_bot=True))
    sent = time.monotonic()
    fake.send_text(user, chat, text)  # type: ignore[arg-type]
    messages = await fake.wait_for_messages(chat, before + 1, TIMEOUT)
    return (messages[before].sent_at - sent) * 1000


class ReaderTurns:
    """``READERS`` readers asking in turn, each ``GAP`` after the last reply (module doc)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.readers = [fake.add_user(f"Reader{i}", language_code="zh-hans")
                        for i in range(READERS)]
        self._turn = 0

    async def round_trip(self, text: str) -> float:
        await asyncio.sleep(GAP)
        self._turn += 1
        return await round_trip(self.fake, self.readers[self._turn % READERS], text)


async def run(args: argparse.Namespace) -> dict[str, object]:
    db_path = Path(args.db.removeprefix("sqlite:///"))
    if args.rebuild or (args.db.startswith("sqlite:") and not db_path.exists()):
        if db_path.exists():
            db_path.unlink()
        build_database(args.db, db_path.parent)
    fake = FakeBotApi(rate_limits=RateLimits(enabled=False))
    await fake.start()
    user = fake.add_user("Bench", language_code="zh-hans")
    chat = fake.private_chat(user)
    fake.send_text(user, chat, "/ping")  # waiting for the bot before it even starts
    spawned = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(fake, args.db), cwd=db_path.parent,
    )
    try:
        first = await fake.wait_for_messages(chat, 1, TIMEOUT)
        startup_s = first[0].sent_at - spawned
        queries = pick_queries(args.requests)
        ask = ReaderTurns(fake).round_trip
        for query in queries[:5]:  # warm the page cache like a bot that has been running a while
            await ask(f"/search {query}")
        search_ms: list[float] = []
        ping_ms: list[float] = []
        for query in queries:
            search_ms.append(await ask(f"/search {query}"))
            ping_ms.append(await ask("/ping"))
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await fake.stop()
    result = {
        "requests": args.requests,
        "startup_s": round(startup_s, 2),
        "search_p50_ms": round(percentile(search_ms, 50), 1),
        "search_p99_ms": round(percentile(search_ms, 99), 1),
        "ping_p50_ms": round(percentile(ping_ms, 50), 1),
        "ping_p99_ms": round(percentile(ping_ms, 99), 1),
        "search_mean_ms": round(statistics.fmean(search_ms), 1),
    }
    result["p50_ratio"] = round(result["search_p50_ms"] / result["ping_p50_ms"], 2)  # type: ignore[operator]
    result["p99_ratio"] = round(result["search_p99_ms"] / result["ping_p99_ms"], 2)  # type: ignore[operator]
    return result


def write_doc(result: dict[str, object], articles: str) -> None:
    section = f"""{SECTION_TITLE}

Measured with `/tmp/venv/bin/python -m tests.bench.bot_latency --write-doc` ({platform.machine()},
Python {platform.python_version()}, SQLite): the real `newsbrief run` process in polling mode
against the fake Bot API on loopback (flood limits off), {result['requests']}
sequential `/search` requests (2–4 character pieces of THUCNews titles) interleaved with
{result['requests']} `/ping` requests (a hidden command that does no work), same run, from
{READERS} private chats in turn with {int(GAP * 1000)} ms between a reply and the next request (the
bot paces replies as Telegram asks — about 1/s per chat after 3, 25/s overall — so one chat asking
back to back would measure that pacing: 1.0 s a reply). Corpus: {articles}. Round trip = user
message stored by the fake → bot's reply stored. Replies go over the bot's one transport (aiohttp,
`bot/delivery/transport.py`) since 2026-12-06; the figures before were over httpx.

| | p50 | p99 |
|---|---|---|
| `/search` (5 results, snippets, buttons) | {result['search_p50_ms']} ms \
| {result['search_p99_ms']} ms |
| `/ping` (no work) | {result['ping_p50_ms']} ms | {result['ping_p99_ms']} ms |
| ratio search / ping | {result['p50_ratio']}× | {result['p99_ratio']}× (target ≤ 3×) |

Start-up: {result['startup_s']} s from spawning `newsbrief run` to the answer to a `/ping` that was
already waiting (imports, migrations check, instance lock, jieba + section model + search warm-up,
command menus, first poll).
"""
    replace_doc_section(SECTION_TITLE, section)


def replace_doc_section(title: str, section: str) -> None:
    """Put ``section`` (starting with ``title``) into docs/performance.md, replacing the section
    of that title if there is one, else appending it."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def corpus_description(db_url: str) -> str:
    """How many articles the benchmark database holds, and from where (for the doc)."""
    count = subprocess.run(
        [sys.executable, "-m", "bot", "sections", "--json", "--db", db_url],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ).stdout
    total = sum(item["count"] for item in json.loads(count))
    return f"{total} articles (xwlb + rmrb 2019-10 + THUCNews dev/test titles)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL (built if missing)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))
    if args.write_doc:
        write_doc(result, corpus_description(args.db))


if __name__ == "__main__":
    main()
