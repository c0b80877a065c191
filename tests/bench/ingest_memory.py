"""Ingest memory: peak RSS of ``newsbrief ingest`` vs file size, and how long it holds SQLite's
write lock (issue 16 point 3, issue 18 point 6).

    /tmp/venv/bin/python -m tests.bench.ingest_memory [--sizes 1,3,10] [--whole-file]

Builds ``tests/bench/out/xwlb-xN.jsonl``: the 新闻联播 list (``../shared/data/corpora/xwlb``)
repeated N times, each copy dated 30 years earlier (distinct content hashes). Each size is
ingested into a fresh SQLite file by a child process (the streaming path the CLI uses), which
reports its own peak RSS (``resource.getrusage().ru_maxrss``), elapsed and CPU time and the
longest batch transaction. During the 1× run the parent changes a chat setting every 50 ms, as a
reader pressing buttons would, and reports the longest wait. ``--whole-file`` also runs the
whole-file read (``IngestService.prepare``: every line parsed and held before storing) on the 1×
file; ``--baseline-tree DIR`` runs the CLI of another checkout (the code before streaming, from
``git archive``) on the 1× file: the old path measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "data" / "corpora" / "xwlb" / "items.jsonl.gz"
OUT = Path(__file__).resolve().parent / "out"


def build(copies: int) -> Path:
    """The corpus repeated ``copies`` times with shifted dates; built once, reused."""
    path = OUT / f"xwlb-x{copies}.jsonl"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    lines = gzip.decompress(CORPUS.read_bytes()).decode("utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)
                raw = str(record["date"])
                day = date(int(raw[:4]) - 30 * copy, int(raw[4:6]), min(int(raw[6:8]), 28))
                record["date"] = day.isoformat()
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def child(file: Path, db_url: str, whole_file: bool) -> None:
    """Runs in the measured process: ingest ``file`` and print one JSON line of figures."""
    from bot.config import Settings
    from bot.ingest.service import IngestService
    from storage.database import Database

    async def run() -> dict[str, float]:
        db = Database(db_url)
        await db.upgrade()
        service = IngestService(db, Settings())
        longest = 0.0
        batches = 0
        real = service._store_batch

        async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal longest, batches
            started = time.perf_counter()
            try:
                return await real(*args, **kwargs)
            finally:
                longest = max(longest, time.perf_counter() - started)
                batches += 1

        service._store_batch = timed  # type: ignore[method-assign]
        started = time.perf_counter()
        if whole_file:
            report = await service.store(service.prepare([file]))
        else:
            report = await service.ingest([file])
        elapsed = time.perf_counter() - started
        await db.dispose()
        return {"articles": report.articles_new + report.articles_duplicate,
                "elapsed_s": elapsed, "batches": batches, "longest_batch_s": longest}

    figures = asyncio.run(run())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures.update(peak_rss_mb=usage.ru_maxrss / 1024, cpu_s=usage.ru_utime + usage.ru_stime)
    print(json.dumps(figures))


async def _reader_waits(db_url: str, process: subprocess.Popen[bytes]) -> dict[str, float]:
    """A reader toggling a setting every 50 ms while the ingest runs: the longest wait."""
    from bot.subscriptions import ChatIdentity, SubscriptionService
    from storage.database import Database

    db = Database(db_url)
    service = SubscriptionService(db)
    who = ChatIdentity(42, "private", None, "zh-hans")
    waits: list[float] = []
    try:
        await service.subscribe(who)
        while process.poll() is None:
            started = time.perf_counter()
            await service.toggle_alerts(who.chat_id)
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
    finally:
        await db.dispose()
    waits.sort()
    return {"reader_changes": len(waits), "reader_wait_max_s": waits[-1] if waits else 0.0,
            "reader_wait_p99_s": waits[int(0.99 * (len(waits) - 1))] if waits else 0.0}


def measure(file: Path, *, whole_file: bool = False, reader: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{folder}/bench.db"
        if reader:  # the schema must exist before the reader's first change
            subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=REPO, check=True,
                           env={**os.environ, "NEWSBRIEF_DATABASE_URL": db_url},
                           stdout=subprocess.DEVNULL)
        command = [sys.executable, "-m", "tests.bench.ingest_memory", "--child", str(file),
                   "--db", db_url] + (["--whole-file"] if whole_file else [])
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE)
        extra = asyncio.run(_reader_waits(db_url, process)) if reader else {}
        output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"child failed: {command}")
        figures = json.loads(output.decode().strip().splitlines()[-1])
    figures.update(extra, file_mb=file.stat().st_size / 1_048_576)
    return figures


def measure_tree(file: Path, tree: Path) -> dict[str, float]:
    """The CLI of another checkout (e.g. ``git archive`` of the commit before streaming) on the
    same file: peak RSS from ``os.wait4`` of that child."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NEWSBRIEF_DATABASE_URL": f"sqlite:///{folder}/bench.db",
               "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bot", "ingest", str(file)], cwd=tree,
                                   env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"baseline ingest failed in {tree}")
        return {"elapsed_s": time.perf_counter() - started,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "file_mb": file.stat().st_size / 1_048_576}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3,10")
    parser.add_argument("--whole-file", action="store_true")
    parser.add_argument("--baseline-tree", type=Path,
                        help="also run this checkout's CLI on the 1x file (the old path)")
    parser.add_argument("--child")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.db, args.whole_file)
        return
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (needs ../shared next to the repository)")
        return
    results = []
    for copies in (int(size) for size in args.sizes.split(",")):
        figures = measure(build(copies), reader=copies == 1)
        figures["copies"] = copies
        results.append(figures)
        print(json.dumps(figures), flush=True)
    if args.baseline_tree:
        figures = measure_tree(build(1), args.baseline_tree.resolve())
        figures.update(copies=1, baseline=str(args.baseline_tree))
        print(json.dumps(figures), flush=True)
    if args.whole_file:
        figures = measure(build(1), whole_file=True)
        figures["copies"] = 1
        figures["whole_file"] = True
        print(json.dumps(figures), flush=True)
    if not results:
        return
    base = results[0]
    for figures in results:
        rate = figures["articles"] / figures["cpu_s"]
        print(f"x{figures['copies']}: {figures['articles']:,} articles, "
              f"{figures['file_mb']:.0f} MB, peak RSS {figures['peak_rss_mb']:.0f} MB "
              f"({figures['peak_rss_mb'] / base['peak_rss_mb']:.2f}x of x1), "
              f"{rate:.0f} articles per CPU-second "
              f"({rate / (base['articles'] / base['cpu_s']):.2f}x of x1), "
              f"longest transaction {figures['longest_batch_s']:.2f} s")


if __name__ == "__main__":
    main()
