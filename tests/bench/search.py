"""Search benchmark (run by hand, never by pytest): recall, latency, ingest throughput, memory.

    /tmp/venv/bin/python tests/bench/search.py --size 0 --reps 20        # the real set once
    /tmp/venv/bin/python tests/bench/search.py --size 100000 --reps 20   # [--no-postgres]
    /tmp/venv/bin/python tests/bench/search.py --size 1000000 --reps 3 --cache-dir /tmp/bench-cache

Two query mixes run side by side: the fixed 26-query mix (``QUERIES``) and a broad random mix of
300 queries drawn from the corpus itself with ``--seed`` (``broad_mix``): random 2-4-character
pieces of real text, two- and three-term AND queries, single characters and common words. Each
query's results are checked against a LIKE oracle twice: every match (window unbounded), and the
page the product computes (the newest ``DEFAULT_WINDOW`` matches and the total capped at
``COUNT_LIMIT``), so a search that stops early is checked for stopping at the right place.

Corpus: all real text in ../shared/data/corpora — 新闻联播 (xwlb/items.jsonl.gz), 人民日报 2019-10
(rmrb-2019-10/articles.jsonl), THUCNews titles as title-only articles (not tnews). It is repeated
with distinct ids, hashes and dates (each copy shifted 4 years back) up to ``--size`` articles.
The databases are built once into ``--cache-dir`` (default tests/bench/out/; SQLite file + a
PostgreSQL schema, each keyed by size and marked complete by a ``bench_done`` table holding the
build time) and reused; the seed only draws queries, so it is not part of the key; each distinct
text is tokenised once and its index entry copied. Latency is ``SearchService.search``
(``took_ms``), with its CPU time and a ``SELECT 1`` floor through the same engine measured in the
same run; results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bot.search.query import parse_query  # noqa: E402
from bot.search.service import SearchService  # noqa: E402
from bot.search.tokens import body_text, headline_text, index_entry, term_matcher  # noqa: E402
from bot.text import segmentation  # noqa: E402
from bot.text.normalization import normalize_for_matching  # noqa: E402
from storage.articles import NewArticle  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Article  # noqa: E402
from storage.search_index import (  # noqa: E402
    DEFAULT_WINDOW,
    IndexEntry,
    IndexQuery,
    SearchIndex,
    count_limit,
)

CORPORA = ROOT.parent / "shared" / "data" / "corpora"
OUT = Path(__file__).resolve().parent / "out"
PG_URL = os.environ.get(
    "NEWSBRIEF_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2024, 1, 1, tzinfo=UTC)

QUERIES = {
    "single char": ["税", "港", "疫", "桥"],
    "2-char word": ["台风", "疫情", "扶贫", "高铁"],
    "sub-word": ["经开", "特新", "近平", "湾区"],
    "rare word": ["卡努", "萧山", "冬奥村", "量子通信"],
    "very common": ["经济", "发展", "中国"],
    "two terms": ["经济 发展", "台风 应急", "习近平 会见"],
    "traditional": ["經濟", "颱風", "習近平", "經開區"],
}

BROAD_MIX = {"piece": 140, "two terms": 50, "three terms": 30, "single char": 30, "common word": 50}
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def broad_mix(docs: list[tuple[str, str, date]], seed: int) -> dict[str, list[str]]:
    """300 queries drawn from the real text with ``seed``: pieces of 2-4 Han characters at random
    places of random articles; AND queries of two or three terms, each a 2-3-character piece of one
    article or (half the time after the first) a common word; single characters at random places
    (so frequent characters come up as often as they occur); common words (the 200 dictionary
    words found in most articles of a 3,000-article sample). Pieces come from where text is, so
    long articles are drawn more often, as a reader's words would be."""
    rng = random.Random(seed)
    texts = [title + "\n" + body for title, body, _ in docs]
    weights = [len(t) for t in texts]
    sample = rng.sample(texts, 3000)
    frequency: dict[str, int] = {}
    for article in sample:
        for word in set(segmentation.dictionary_words(article)):
            if 2 <= len(word) <= 4 and _HAN_RUN.fullmatch(word):
                frequency[word] = frequency.get(word, 0) + 1
    common = sorted(frequency, key=lambda w: (-frequency[w], w))[:200]

    def piece(shortest: int, longest: int, article: str | None = None) -> str:
        while True:
            source = article or rng.choices(texts, weights)[0]
            runs = [r for r in _HAN_RUN.findall(source) if len(r) >= shortest]
            if not runs:
                if article is not None:
                    return rng.choice(common)
                continue
            run = rng.choice(runs)
            size = rng.randint(shortest, min(longest, len(run)))
            start = rng.randrange(len(run) - size + 1)
            return run[start : start + size]

    def and_query(terms: int) -> str:
        article = rng.choices(texts, weights)[0]
        chosen = [piece(2, 3, article)]
        while len(chosen) < terms:
            term = rng.choice(common) if rng.random() < 0.5 else piece(2, 3, article)
            if term not in chosen:
                chosen.append(term)
        return " ".join(chosen)

    def single() -> str:
        return piece(2, 2)[0]

    draw = {
        "piece": lambda: piece(2, 4),
        "two terms": lambda: and_query(2),
        "three terms": lambda: and_query(3),
        "single char": single,
        "common word": lambda: rng.choice(common),
    }
    mix: dict[str, list[str]] = {}
    for kind, count in BROAD_MIX.items():
        mix[kind] = [draw[kind]() for _ in range(count)]
    return mix


def real_corpus() -> list[tuple[str, str, date]]:
    """(title, body, date) for every real article; THUCNews titles get spread-out dates."""
    docs: list[tuple[str, str, date]] = []
    with gzip.open(CORPORA / "xwlb" / "items.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            docs.append((item["title"], item["text"], _day(item["date"])))
    with open(CORPORA / "rmrb-2019-10" / "articles.jsonl", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            docs.append((item["title"], item["text"], _day(item["date"])))
    start = date(2020, 1, 1)
    for name in ("dev.txt", "test.txt"):
        with open(CORPORA / "thucnews-titles" / name, encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                docs.append((line.split("\t")[0].strip(), "", start + timedelta(days=n % 1000)))
    return docs


def _day(raw: str) -> date:
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))


def scaled(docs: list[tuple[str, str, date]], size: int) -> list[NewArticle]:
    """The real set repeated to ``size`` (copy k shifted 4k years back), oldest first."""
    out: list[NewArticle] = []
    copy = 0
    while len(out) < size:
        for n, (title, body, day) in enumerate(docs):
            if len(out) >= size:
                break
            shifted = (
                day.replace(year=day.year - 4 * copy)
                if not (day.month == 2 and day.day == 29)
                else day.replace(year=day.year - 4 * copy, day=28)
            )
            out.append(
                NewArticle(
                    paper="bench",
                    edition_date=shifted,
                    title=title or body[:24],
                    content_hash=f"{copy:04d}-{n:08d}",
                    section="经济",
                    paragraphs=tuple(p.strip() for p in body.split("\n") if p.strip()),
                )
            )
        copy += 1
    out.sort(key=lambda a: (a.edition_date, a.content_hash))
    return out


def _transient(new: NewArticle, article_id: int) -> Article:
    """An unsaved Article carrying what the tokenizer reads (headline and body parts)."""
    return Article(
        id=article_id,
        edition_date=new.edition_date,
        section=new.section,
        kicker=new.kicker,
        title=new.title,
        subtitle=new.subtitle,
        byline=new.byline,
        paragraphs=list(new.paragraphs),
        subheads=list(new.subheads),
    )


def _source(article: NewArticle) -> int:
    """Which real document a (possibly repeated) bench article copies."""
    return int(article.content_hash.split("-")[1])


BUILD_BATCH = 2000


def templates_for(
    articles: list[NewArticle],
) -> tuple[dict[int, IndexEntry], dict[int, tuple[str, str]]]:
    """Index entry and folded (headline, body) of each distinct real text, computed once."""
    started = time.perf_counter()
    templates: dict[int, IndexEntry] = {}
    folded: dict[int, tuple[str, str]] = {}
    for article in articles:
        n = _source(article)
        if n not in templates:
            transient = _transient(article, 0)
            templates[n] = index_entry(transient)
            folded[n] = (
                normalize_for_matching(headline_text(transient)),
                normalize_for_matching(body_text(transient)),
            )
    print(
        f"tokenised {len(templates)} distinct texts in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return templates, folded


def build_oracle(
    articles: list[NewArticle], folded: dict[int, tuple[str, str]], path: Path
) -> None:
    """The substring oracle: folded headline and body per id, searched with LIKE."""
    import sqlite3

    path.unlink(missing_ok=True)
    oracle_db = sqlite3.connect(path)
    oracle_db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title, body)")
    oracle_db.executemany(
        "INSERT INTO docs VALUES (?, ?, ?)",
        [(i, *folded[_source(a)]) for i, a in enumerate(articles, start=1)],
    )
    oracle_db.execute("CREATE TABLE done (n)")
    oracle_db.commit()
    oracle_db.close()


async def build(articles: list[NewArticle], templates: dict[int, IndexEntry], db: Database) -> None:
    """Store + index every article with ids 1..N.

    A repeated article's index entry differs from its original's only in id and date, so each
    distinct text is tokenised once and copied; rows go in with executemany, one transaction per
    ``BUILD_BATCH`` articles. A ``bench_done`` table marks the database complete and keeps the
    build time in seconds.
    """
    await db.upgrade()
    began = time.perf_counter()
    for start in range(0, len(articles), BUILD_BATCH):
        chunk = articles[start : start + BUILD_BATCH]
        rows = [
            {
                "id": i,
                "paper": a.paper,
                "edition_date": a.edition_date,
                "section": a.section,
                "section_source": a.section_source,
                "kind": a.kind,
                "title": a.title,
                "reporters": [],
                "paragraphs": list(a.paragraphs),
                "subheads": [],
                "content_hash": a.content_hash,
                "ingested_at": NOW,
            }
            for i, a in enumerate(chunk, start=start + 1)
        ]
        entries = [
            replace(templates[_source(a)], article_id=i, edition_date=a.edition_date)
            for i, a in enumerate(chunk, start=start + 1)
        ]
        async with db.session() as session:
            await session.execute(insert(Article), rows)
            await SearchIndex(session).add(entries)
        done = start + len(chunk)
        rate = done / (time.perf_counter() - began)
        print(f"\r{db.backend}: {done}/{len(articles)} ({rate:.0f}/s)", end="", file=sys.stderr)
    print(f" in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    async with db.engine.connect() as connection:
        if db.backend == "postgresql":
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        await connection.execute(text("CREATE TABLE bench_done (n INTEGER)"))
        await connection.execute(
            text("INSERT INTO bench_done (n) VALUES (:n)"),
            {"n": round(time.perf_counter() - began)},
        )
        await connection.commit()


async def build_seconds(db: Database) -> int | None:
    """How long the cached database took to build (None when built before this was recorded)."""
    async with db.engine.connect() as connection:
        return await connection.scalar(text("SELECT max(n) FROM bench_done"))


async def disk_bytes(db: Database, sqlite_path: Path) -> int:
    """The SQLite file, or every table and index of the PostgreSQL schema (TOAST included)."""
    if db.backend == "sqlite":
        return sqlite_path.stat().st_size
    async with db.engine.connect() as connection:
        value = await connection.scalar(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        )
    return int(value or 0)


async def is_built(db: Database) -> bool:
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT count(*) FROM bench_done"))
        return True
    except Exception:  # a missing table, file or schema: not built
        return False


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Latency:
    """Wall time of ``SearchService.search`` (what ``took_ms`` reports), the process CPU time it
    used (both threads: the event loop and aiosqlite's), and the floor: a ``SELECT 1`` through
    the same engine, interleaved, showing what the machine and the async stack cost alone.
    ``per_query`` keeps every sample of each query (the slowest are listed)."""

    p50: float
    p99: float
    cpu_p50: float
    cpu_p99: float
    floor_p50: float
    floor_p99: float
    worst: dict[str, float]
    per_query: dict[str, list[float]]
    samples: int

    def slowest(self, count: int = 20) -> list[tuple[str, float, float]]:
        """(query, median ms, max ms) of the ``count`` queries with the highest median."""
        rows = [(q, statistics.median(v), max(v)) for q, v in self.per_query.items()]
        return sorted(rows, key=lambda row: -row[1])[:count]


async def latency(db: Database, reps: int, mix: dict[str, list[str]]) -> Latency:
    service = SearchService(db)
    for queries in mix.values():
        for q in queries:
            await service.search(q)  # warm caches once
    samples: list[float] = []
    cpu: list[float] = []
    floor: list[float] = []
    worst: dict[str, float] = {}
    per_query: dict[str, list[float]] = {}
    for _ in range(reps):
        for kind, queries in mix.items():
            for q in queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                await service.search(q)
                elapsed = (time.perf_counter() - started) * 1000
                cpu.append((time.process_time() - cpu_started) * 1000)
                samples.append(elapsed)
                per_query.setdefault(q, []).append(elapsed)
                worst[kind] = max(worst.get(kind, 0.0), elapsed)
                started = time.perf_counter()
                async with db.engine.connect() as connection:
                    await connection.exec_driver_sql("SELECT 1")
                floor.append((time.perf_counter() - started) * 1000)
    return Latency(
        p50=statistics.median(samples),
        p99=percentile(samples, 0.99),
        cpu_p50=statistics.median(cpu),
        cpu_p99=percentile(cpu, 0.99),
        floor_p50=statistics.median(floor),
        floor_p99=percentile(floor, 0.99),
        worst=worst,
        per_query=per_query,
        samples=len(samples),
    )


@dataclass
class Recall:
    """Per query (found, oracle, recall) with every match asked for; how many queries' product
    page (newest ``DEFAULT_WINDOW`` matches, total capped at ``COUNT_LIMIT``) differed from the
    oracle's; LIKE's p99 over the mix (ms)."""

    rows: dict[str, tuple[int, int, float]]
    window_errors: list[str]
    like_p99: float

    @property
    def worst(self) -> float:
        return min((r for _, _, r in self.rows.values()), default=1.0)


async def recall(
    db: Database, oracle: Path, mix: dict[str, list[str]], like_reps: int = 1
) -> Recall:
    """Every query against LIKE over folded text, twice: all matches (window unbounded) must be
    the oracle's set; the product's window (the newest ``DEFAULT_WINDOW`` matches, ranked) must be
    the oracle's newest ids and its total ``min(n, cap)`` with the right exactness (the cap is
    ``search_index.count_limit``: the window).

    The mix runs ``like_reps`` times through LIKE: with one pass its p99 is simply its slowest
    statement, which swung by 60 % with the machine's load from one run to the next."""
    import sqlite3

    like = sqlite3.connect(oracle)
    results: dict[str, tuple[int, int, float]] = {}
    window_errors: list[str] = []
    like_ms: list[float] = []
    for rep in range(like_reps):
        for queries in mix.values():
            for q in queries:
                parsed = parse_query(q)
                where = " AND ".join("(title LIKE ? OR body LIKE ?)" for _ in parsed.include)
                args = [f"%{t.folded}%" for t in parsed.include for _ in (0, 1)]
                started = time.perf_counter()
                expected = {
                    row[0] for row in like.execute(f"SELECT id FROM docs WHERE {where}", args)
                }
                like_ms.append((time.perf_counter() - started) * 1000)
                if rep or q in results:
                    continue
                matchers = tuple(m for m in (term_matcher(t.folded) for t in parsed.include) if m)
                async with db.session() as session:
                    page = await SearchIndex(session).search(
                        IndexQuery(include=matchers, limit=10**7, window=10**7, count_limit=10**7)
                    )
                found = {m.article_id for m in page.matches}
                assert page.total == len(found)
                hit = len(found & expected)
                results[q] = (len(found), len(expected), hit / len(expected) if expected else 1.0)
                product = IndexQuery(include=matchers, limit=DEFAULT_WINDOW)
                window = await SearchIndex(db.engine).search(product)
                newest = set(sorted(expected)[-DEFAULT_WINDOW:])
                cap = count_limit(product)
                total_ok = (
                    (window.total, window.total_exact) == (len(expected), True)
                    if len(expected) <= cap
                    else (window.total, window.total_exact) == (cap, False)
                )
                if {m.article_id for m in window.matches} != newest or not total_ok:
                    window_errors.append(q)
    return Recall(results, window_errors, percentile(like_ms, 0.99))


async def ingest_throughput(
    docs: list[tuple[str, str, date]], count: int, rounds: int = 3
) -> tuple[float, float, str]:
    """KB/s of the lead's ingest (jsonl → parse + classify + segment + index + commit into a fresh
    SQLite file) vs bare jieba.cut_for_search over the same title+body text, in this process.
    The two alternate ``rounds`` times and the best of each counts: on a shared machine a single
    pair moved between 0.63× and 1.04× from one run to the next."""
    from bot.config import Settings
    from bot.ingest.service import IngestService

    sample = [d for d in docs if d[1]][:count]
    text_bytes = sum(len((t + "\n" + b).encode()) for t, b, _ in sample)
    segmentation.load()
    jieba_s: list[float] = []
    ingest_s: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-2024-01-01.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for title, body, day in sample:
                record = {"title": title, "body": body, "date": day.isoformat()}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for round_ in range(rounds):
            started = time.perf_counter()
            for title, body, _ in sample:
                for _ in segmentation._jieba().cut_for_search(title + "\n" + body):
                    pass
            jieba_s.append(time.perf_counter() - started)
            db = Database(f"sqlite:///{Path(folder) / f'ingest-{round_}.db'}")
            await db.upgrade()
            service = IngestService(db, Settings.from_env(env_file=None))
            started = time.perf_counter()
            await service.ingest([path])
            ingest_s.append(time.perf_counter() - started)
            await db.dispose()
    kb = text_bytes / 1024
    return (
        kb / min(ingest_s),
        kb / min(jieba_s),
        f"{len(sample)} articles, {text_bytes / 1e6:.1f} MB, best of {rounds} alternating rounds",
    )


def _ingest_file(path: Path, sample: list[tuple[str, str, date]]) -> None:
    """``sample`` as the jsonl the lead ingests (title, body, date a line)."""
    with open(path, "w", encoding="utf-8") as out:
        for title, body, day in sample:
            record = {"title": title, "body": body, "date": day.isoformat()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


class _Worker:
    """A ``tests/bench/ingest_worker.py`` child ingesting with one tree's code, kept warm."""

    def __init__(self, tree: Path, warmup: Path, folder: Path) -> None:
        self.tree = tree
        folder.mkdir()
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("ingest_worker.py")), str(tree),
             str(warmup), str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(tree)},
        )

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        word, _, loaded = self.process.stdout.readline().strip().partition(" ")
        if word != "ready" or not Path(loaded).resolve().is_relative_to(self.tree):
            raise RuntimeError(f"ingest worker for {self.tree} failed to start: {loaded!r}")

    def ingest(self, url: str, schema: str | None, path: Path) -> dict[str, float | None]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"url": url, "schema": schema, "path": str(path)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("ingest worker died (its stderr is above)")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


async def ingest_old_new(
    docs: list[tuple[str, str, date]],
    count: int,
    rounds: int,
    old_tree: Path,
    backends: list[str],
) -> None:
    """Ingest rate of this tree's code against ``old_tree``'s (e.g. a ``git archive`` of an older
    commit) in one run: each backend's rounds alternate old, new, new, old, … (``rounds`` each),
    every round into a fresh database from ``tests.conftest.scratch_database`` (a new SQLite
    file, or a new PostgreSQL schema dropped after) migrated by the tree's own code (not timed).
    Each tree runs in its own warm child process (``ingest_worker.py``), so neither pays for
    loading jieba or the section model in a timed round. Prints a Markdown table: median and
    best KB/s and articles/s per side, new/old of both, the ingest process's CPU time and, on
    PostgreSQL, its server backends' (the rest of the wall time is waiting: for a core on a busy
    machine, or for the disk)."""
    from tests.conftest import POSTGRES_AVAILABLE, scratch_database

    if "postgresql" in backends and not POSTGRES_AVAILABLE:
        print(f"no PostgreSQL server answers at {PG_URL}: measuring SQLite only", file=sys.stderr)
        backends = [b for b in backends if b != "postgresql"]
    sample = [d for d in docs if d[1]][:count]
    warmup = [d for d in docs if d[1]][count : count + 100]
    text_bytes = sum(len((t + "\n" + b).encode()) for t, b, _ in sample)
    kb = text_bytes / 1024
    order = [("old", "new", "new", "old")[n % 4] for n in range(2 * rounds)]
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    server: dict[tuple[str, str], list[float]] = {}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        path = folder / "bench-2024-01-01.jsonl"
        _ingest_file(path, sample)
        _ingest_file(folder / "warmup-2024-01-02.jsonl", warmup)
        workers = {
            side: _Worker(tree, folder / "warmup-2024-01-02.jsonl", folder / f"worker-{side}")
            for side, tree in (("old", old_tree.resolve()), ("new", ROOT))
        }
        try:
            for worker in workers.values():
                worker.wait_ready()
            for backend in backends:
                for n, side in enumerate(order):
                    round_folder = folder / f"{backend}-{n}"
                    round_folder.mkdir()
                    async with scratch_database(backend, round_folder) as db:
                        url = db.url.render_as_string(hide_password=False)
                        answer = workers[side].ingest(url, db.schema, path)
                    times.setdefault((backend, side), []).append(answer["seconds"])
                    cpu.setdefault((backend, side), []).append(answer["cpu_seconds"])
                    server_cpu = answer.get("server_cpu_seconds")
                    if server_cpu is not None:
                        server.setdefault((backend, side), []).append(server_cpu)
                    print(
                        f"{backend} {side}: {answer['seconds']:.2f} s (ingest process CPU "
                        f"{answer['cpu_seconds']:.2f} s"
                        + ("" if server_cpu is None else f", server backends {server_cpu:.2f} s")
                        + f"), {answer['articles_new']:.0f} new articles",
                        file=sys.stderr,
                    )
        finally:
            for worker in workers.values():
                worker.close()
    load_end = os.getloadavg()
    print(
        f"\nIngest (bot.ingest.service, jsonl, {len(sample)} articles, {text_bytes / 1e6:.1f} MB) "
        f"with {old_tree} (old) and {ROOT} (new), {rounds} rounds each, in the order "
        f"{', '.join(order)}; load average (1 min) {load_start[0]:.1f} at the start, "
        f"{load_end[0]:.1f} at the end\n"
    )
    print(
        "| backend | old KB/s median (best) | new KB/s median (best) | old / new articles/s, "
        "median | new / old, median (best) | ingest process CPU s old / new, median "
        "| server backends' CPU s old / new, median |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend in backends:
        old, new = times[(backend, "old")], times[(backend, "new")]
        old_med, new_med = statistics.median(old), statistics.median(new)
        print(
            f"| {backend} | {kb / old_med:.0f} ({kb / min(old):.0f}) "
            f"| {kb / new_med:.0f} ({kb / min(new):.0f}) "
            f"| {len(sample) / old_med:.0f} / {len(sample) / new_med:.0f} "
            f"| {old_med / new_med:.2f}x ({min(old) / min(new):.2f}x) "
            f"| {statistics.median(cpu[(backend, 'old')]):.2f} / "
            f"{statistics.median(cpu[(backend, 'new')]):.2f} | "
            + (
                f"{statistics.median(server[(backend, 'old')]):.2f} / "
                f"{statistics.median(server[(backend, 'new')]):.2f} |"
                if (backend, "old") in server and (backend, "new") in server
                else "- |"
            )
        )
    for backend in backends:
        for side in ("old", "new"):
            each = ", ".join(f"{s:.2f}" for s in times[(backend, side)])
            print(f"- {backend} {side}: {each} s")


def rss_probe(url: str) -> None:
    """Child process: jieba loaded, index open, a few searches; print max RSS in MB."""

    async def run() -> None:
        db = Database(url)
        service = SearchService(db)
        for queries in QUERIES.values():
            for q in queries:
                await service.search(q)
        await db.dispose()

    asyncio.run(run())
    # Peak RSS of this process image: VmHWM, not ru_maxrss, which Linux carries over from the
    # parent across exec (the bench holding the whole corpus would be counted). RssFile is the
    # part that is pages of the mapped database file, shared with the OS page cache.
    fields: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    if "VmHWM" not in fields:
        fields["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(fields))


def recall_sample(mix: dict[str, list[str]], count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries of ``mix`` drawn with ``seed`` (all of them when ``count`` is 0)."""
    if not count:
        return mix
    flat = [(kind, q) for kind, queries in mix.items() for q in queries]
    chosen = random.Random(seed).sample(flat, min(count, len(flat)))
    sample: dict[str, list[str]] = {}
    for kind, q in chosen:
        sample.setdefault(kind, []).append(q)
    return sample


def print_latency_table(rows: list[tuple[str, Latency]], like_p99: float, like_reps: int) -> None:
    print(
        "| backend | p50 ms | p99 ms | CPU p50 / p99 ms | floor (SELECT 1) p50 / p99 ms "
        "| LIKE p99 / p99 | worst per kind (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, lat in rows:
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in lat.worst.items())
        print(
            f"| {name} | {lat.p50:.2f} | {lat.p99:.2f} | {lat.cpu_p50:.2f} / {lat.cpu_p99:.2f} "
            f"| {lat.floor_p50:.2f} / {lat.floor_p99:.2f} | {like_p99 / lat.p99:.0f}x | {kinds} |"
        )
    print(
        f"| LIKE over folded text (SQLite, same queries, {like_reps} passes) | | {like_p99:.1f} |"
    )


def print_slowest(
    rows: list[tuple[str, Latency]], found: dict[str, tuple[int, int, float]]
) -> None:
    for name, lat in rows:
        runs = lat.samples // len(lat.per_query)
        print(f"\n{name}: the 20 slowest queries (median and max of {runs} runs)\n")
        print("| query | matches | median ms | max ms |")
        print("|---|---:|---:|---:|")
        for q, median, worst in lat.slowest():
            matches = found[q][1] if q in found else "-"
            print(f"| {q} | {matches} | {median:.2f} | {worst:.2f} |")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20, help="rounds of the fixed 26-query mix")
    parser.add_argument(
        "--broad-reps", type=int, default=5, help="rounds of the 300-query broad mix"
    )
    parser.add_argument("--seed", type=int, default=16, help="draws the broad mix")
    parser.add_argument(
        "--recall-sample",
        type=int,
        default=0,
        help="check recall on this many broad-mix queries only (LIKE at 1M: ~2-10 s each)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=OUT, help="where built databases are kept and reused"
    )
    parser.add_argument("--ingest-sample", type=int, default=2000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-ingest", action="store_true", help="skip the ingest comparison")
    parser.add_argument("--like-reps", type=int, default=3, help="passes of the fixed mix via LIKE")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--rebuild", action="store_true", help="build the databases again (storage changed)"
    )
    parser.add_argument("--ingest-only", action="store_true")
    parser.add_argument(
        "--old-tree",
        type=Path,
        help="with --ingest-only: alternate this checkout's ingest with this tree's (new/old)",
    )
    parser.add_argument(
        "--ingest-backend",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="with --old-tree: the database(s) ingested into",
    )
    parser.add_argument("--ingest-rounds", type=int, default=3, help="with --old-tree: per side")
    parser.add_argument("--print-mix", action="store_true", help="print the broad mix and stop")
    parser.add_argument("--rss-probe")
    parser.add_argument(
        "--pg-schema", help="search this PostgreSQL schema (e.g. a copy search_ab.py made)"
    )
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    docs = real_corpus()
    if args.ingest_only and args.old_tree is not None:
        backends = ["sqlite", "postgresql"] if args.ingest_backend == "both" else [
            args.ingest_backend
        ]
        await ingest_old_new(docs, args.ingest_sample, args.ingest_rounds, args.old_tree, backends)
        return
    if args.ingest_only:
        ingest_kbs, jieba_kbs, ingest_sample = await ingest_throughput(docs, args.ingest_sample)
        print(
            f"Ingest (bot.ingest.service, jsonl, {ingest_sample}): {ingest_kbs:.0f} KB/s vs bare "
            f"jieba.cut_for_search {jieba_kbs:.0f} KB/s = {ingest_kbs / jieba_kbs:.2f}x"
        )
        return
    if args.print_mix:
        for kind, queries in broad_mix(docs, args.seed).items():
            print(f"{kind}: {' | '.join(queries)}")
        return
    if args.size <= 0:
        args.size = len(docs)  # the real set once
    chars = sum(len(t) + len(b) for t, b, _ in docs)
    print(f"real corpus: {len(docs)} articles, {chars / 1e6:.1f} M characters", file=sys.stderr)
    sqlite_path = args.cache_dir / f"search-{args.size}.db"
    oracle = args.cache_dir / f"oracle-{args.size}.db"
    schema = args.pg_schema or f"bench_search_{args.size}"
    sqlite_db = None if args.no_sqlite else Database(f"sqlite:///{sqlite_path}")
    pg_db = None if args.no_postgres else Database(PG_URL, schema=schema)
    import sqlite3

    targets = [db for db in (sqlite_db, pg_db) if db is not None]
    missing = [db for db in targets if args.rebuild or not await is_built(db)]
    oracle_ready = (
        oracle.exists()
        and sqlite3.connect(oracle)
        .execute("SELECT count(*) FROM sqlite_master WHERE name = 'done'")
        .fetchone()[0]
    )
    if missing or not oracle_ready:
        articles = scaled(docs, args.size)
        templates, folded = templates_for(articles)
        if not oracle_ready:
            build_oracle(articles, folded, oracle)
        for db in missing:
            if db is sqlite_db:
                await sqlite_db.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
            else:
                admin = Database(PG_URL)
                async with admin.engine.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                    await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                await admin.dispose()
            await build(articles, templates, db)
        del articles, templates, folded
    if args.build_only:
        return
    segmentation.load()
    mixes = {"fixed 26-query mix": QUERIES, f"broad 300-query mix (seed {args.seed})": None}
    broad = broad_mix(docs, args.seed)
    mixes[f"broad 300-query mix (seed {args.seed})"] = broad
    reps = {"fixed 26-query mix": args.reps}
    print(f"\n### Search at {args.size} articles\n")
    print(
        f"Real corpus: {len(docs)} articles, {chars / 1e6:.1f} M characters; repeated with "
        f"distinct ids/dates to {args.size}.\n"
    )
    print("| backend | build time | disk |")
    print("|---|---:|---:|")
    for name, db in (("SQLite", sqlite_db), ("PostgreSQL", pg_db)):
        if db is not None:
            seconds = await build_seconds(db)
            size = await disk_bytes(db, sqlite_path)
            took = f"{seconds / 60:.1f} min" if seconds is not None else "not recorded"
            print(f"| {name} | {took} | {size / 1e6:.0f} MB |")
    for mix_name, mix in mixes.items():
        rounds = reps.get(mix_name, args.broad_reps)
        like_reps = args.like_reps if mix is QUERIES else 1
        rows: list[tuple[str, Latency]] = []
        checks: list[tuple[str, Recall]] = []
        for name, db in (("SQLite", sqlite_db), ("PostgreSQL", pg_db)):
            if db is None:
                continue
            checked = mix if mix is QUERIES else recall_sample(mix, args.recall_sample, args.seed)
            checks.append((name, await recall(db, oracle, checked, like_reps if not checks else 1)))
            rows.append((name, await latency(db, rounds, mix)))
        like_p99 = checks[0][1].like_p99
        print(f"\n#### {mix_name}, {rounds} rounds\n")
        if mix is not QUERIES and args.recall_sample:
            print(f"(recall checked on a seeded sample of {args.recall_sample} of its queries)\n")
        for name, check in checks:
            errors = ", ".join(check.window_errors) or "none"
            print(
                f"- {name}: recall vs LIKE, worst query {check.worst:.2f}; "
                f"product pages differing from the oracle's newest {DEFAULT_WINDOW} / capped "
                f"total: {errors}"
            )
        print()
        print_latency_table(rows, like_p99, like_reps)
        if mix is QUERIES:
            names = " | ".join(f"recall {n}" for n, _ in checks)
            print(f"\n| query | kind | oracle | {names} |")
            print("|---|---|---:|" + "---:|" * len(checks))
            for kind, queries in QUERIES.items():
                for q in queries:
                    expected = checks[0][1].rows[q][1]
                    recalls = " | ".join(f"{c.rows[q][2]:.2f}" for _, c in checks)
                    print(f"| {q} | {kind} | {expected} | {recalls} |")
        else:
            print_slowest(rows, checks[0][1].rows)
    load = os.getloadavg()
    print(f"\nLoad average at the end (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    if sqlite_db is not None:
        rss_fields = subprocess.run(
            [sys.executable, __file__, "--rss-probe", f"sqlite:///{sqlite_path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        rss = json.loads(rss_fields)
        print(
            f"RSS of a search process (jieba loaded, {args.size} index open): peak "
            f"{rss['VmHWM']:.0f} MB; at the end {rss.get('RssAnon', 0):.0f} MB private + "
            f"{rss.get('RssFile', 0):.0f} MB mapped files "
            "(database pages and libraries, shared with the page cache)"
        )
        await sqlite_db.dispose()
    if not args.no_ingest:
        ingest_kbs, jieba_kbs, ingest_sample = await ingest_throughput(docs, args.ingest_sample)
        print(
            f"Ingest (bot.ingest.service, jsonl, {ingest_sample}): {ingest_kbs:.0f} KB/s vs bare "
            f"jieba.cut_for_search {jieba_kbs:.0f} KB/s = {ingest_kbs / jieba_kbs:.2f}x"
        )
    if pg_db is not None:
        await pg_db.dispose()


if __name__ == "__main__":
    if "--rss-probe" in sys.argv:
        rss_probe(sys.argv[sys.argv.index("--rss-probe") + 1])
    else:
        asyncio.run(main())
