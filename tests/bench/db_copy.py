"""Benchmark: ``newsbrief db copy`` from SQLite to PostgreSQL — time and peak memory against the
archive's size.

For each size (the first N 新闻联播 items of the shared corpus, loaded into a SQLite store built
once and kept under --work) it runs, each as its own process:

- the baseline: ``newsbrief reindex`` on the SQLite store (tokenizing every article, the bulk of
  a copy's work, without any copying);
- ``newsbrief db copy --to postgresql://…/<fresh database>``.

It prints wall time, the ratio copy / reindex (same run, same machine, so load on a shared
machine cancels out roughly) and each process's peak RSS: a copy in batches should keep its peak
flat while the store grows.

    python -m tests.bench.db_copy [--sizes 1000,4000] [--work /tmp/newsbrief-bench-copy]

Needs the shared corpora beside the repository and a PostgreSQL server at NEWSBRIEF_TEST_PG_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import Database
from tests.conftest import CORPORA, PG_URL

REPO = Path(__file__).resolve().parents[2]
ITEMS = CORPORA / "xwlb" / "items.jsonl.gz"


def run_cli(*argv: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``newsbrief`` process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", *argv], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"newsbrief {' '.join(argv)} failed: "
                         f"{process.stderr.read().decode() if process.stderr else ''}")
    return took, usage.ru_maxrss / 1024  # KiB on Linux


def build_store(work: Path, size: int) -> str:
    path = work / f"xwlb-{size}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        items = work / f"xwlb-{size}-2020-01-01.jsonl"
        with gzip.open(ITEMS, "rt", encoding="utf-8") as source:
            items.write_text("".join(itertools.islice(source, size)), encoding="utf-8")
        print(f"building the {size}-item store (once) ...", file=sys.stderr)
        run_cli("ingest", str(items), "--db", url)
    return url


async def admin(statement: str) -> None:
    database = Database(make_url(PG_URL).set(database="postgres").render_as_string(False))
    try:
        async with database.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(statement))
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsbrief-bench-copy"))
    args = parser.parse_args()
    if not ITEMS.is_file():
        raise SystemExit(f"needs the shared corpus {ITEMS}")
    args.work.mkdir(parents=True, exist_ok=True)
    print("| items | reindex s (baseline) | db copy s | copy / reindex | reindex peak RSS MB "
          "| copy peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        source = build_store(args.work, size)
        reindex_s, reindex_rss = run_cli("reindex", "--db", source)
        name = f"bench_copy_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            target = make_url(PG_URL).set(database=name).render_as_string(False)
            copy_s, copy_rss = run_cli("db", "copy", "--db", source, "--to", target)
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"| {size:,} | {reindex_s:.1f} | {copy_s:.1f} | {copy_s / reindex_s:.2f} "
              f"| {reindex_rss:.0f} | {copy_rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
