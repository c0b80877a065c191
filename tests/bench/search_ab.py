"""Old against new search statement in one process, alternating query by query (run by hand).

    /tmp/venv/bin/python tests/bench/search_ab.py --old /path/to/old/storage/search_index.py \
        --size 100000 [--backend postgresql|sqlite] [--rounds 3] [--cache-dir DIR] \
        [--partition 16384]

On a shared machine a latency measured minutes apart moves with everyone else's load; here the
previous ``storage/search_index.py`` (e.g. ``git show main:storage/search_index.py > old.py``)
and the current one run the same ``IndexQuery`` (as ``SearchService`` builds it: first page of
10, text included) back to back in the order old, new, new, old, over the fixed and the broad
mix, against the databases ``tests/bench/search.py`` built. Reported: p50 / p99 of each and the
ratio, wall and CPU (this process + the PostgreSQL backend, read from /proc: unlike wall
time it hardly moves with the machine's load), the slowest queries, and whether both returned
the same page.

A schema change is measured the same way: ``--partition WIDTH`` runs the new statement on a copy of
the PostgreSQL index partitioned by article id in partitions of WIDTH ids (``bench_search_<size>_p
<WIDTH>``, built once from ``bench_search_<size>`` and reused; its ``articles`` is a view of the
original's), the old one on the original, each on its own connection, alternating as above.
``--both-partitioned`` runs the old statement on that copy too. ``--blocks 1024`` (with
``--partition``) runs the new statement on a copy whose GIN indexes are led by the block of ids, as
migration 0015 builds them (``bench_search_<size>_p<WIDTH>_b<BLOCK>``), and, with
``--both-partitioned``, the old one on the plain partitioned copy: the previous schema and
statement against the new ones. ``--new-schema NAME`` runs the new statement on an existing schema
instead (e.g. one built by ``tests/bench/search.py``), ``--old-schema NAME`` the old one.

On PostgreSQL the new statement runs on a connection of ``Database.search_engine`` (settings for
the session, autocommit), the old one on the main engine's, each held for the whole run (no
checkout per search). ``--through-engine`` instead hands each search the engine, as
``SearchService`` does: a checkout per search, with the main pool's ping for the old one (each
pool then keeps the one connection whose backend is measured). ``--old-search-pool`` runs the old
statement through ``Database.search_engine`` as well, its connections started with the old
module's session settings, for old code that reads through it too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection  # noqa: E402

from bot.search.query import parse_query  # noqa: E402
from bot.search.tokens import term_matcher  # noqa: E402
from bot.text import segmentation  # noqa: E402
from storage import database, search_index  # noqa: E402
from storage.database import Database  # noqa: E402
from tests.bench.search import OUT, PG_URL, QUERIES, broad_mix, percentile, real_corpus  # noqa: E402


def load_old(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("old_search_index", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_search_index"] = module
    spec.loader.exec_module(module)
    return module


async def partitioned_copy(size: int, width: int, blocks: int = 0) -> str:
    """``bench_search_<size>_p<width>``: the index of ``bench_search_<size>`` moved into a table
    partitioned by article id as migration 0014 builds it, with the partition width given; with
    ``blocks``, ``…_b<blocks>`` whose GIN indexes are led by ``article_id / blocks`` as migration
    0015 builds them (built once; ``bench_done`` holds the build seconds)."""
    source, schema = f"bench_search_{size}", f"bench_search_{size}_p{width}"
    if blocks:
        schema += f"_b{blocks}"
    db = Database(PG_URL, schema=schema)
    async with db.engine.connect() as connection:
        try:
            await connection.execute(text("SELECT count(*) FROM bench_done"))
            await db.dispose()
            return schema
        except Exception:
            await connection.rollback()
    began = time.perf_counter()
    async with db.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.execute(text(f'SET search_path TO "{schema}"'))
        await connection.execute(text(f"CREATE VIEW articles AS SELECT * FROM {source}.articles"))
        top = await connection.scalar(
            text(f"SELECT max(article_id) FROM {source}.search_documents")
        )
        await connection.execute(
            text(
                "CREATE TABLE search_documents (LIKE "
                f"{source}.search_documents INCLUDING DEFAULTS) PARTITION BY RANGE (article_id)"
            )
        )
        for number in range(int(top) // width + 1):
            await connection.execute(
                text(
                    f"CREATE TABLE search_documents_{number} PARTITION OF search_documents "
                    f"FOR VALUES FROM ({number * width}) TO ({(number + 1) * width})"
                )
            )
        await connection.execute(
            text(
                f"INSERT INTO search_documents SELECT * FROM {source}.search_documents "
                "ORDER BY article_id"
            )
        )
        lead, name = (f"(article_id / {blocks}), ", "block_") if blocks else ("", "")
        if blocks:
            await connection.execute(
                text("CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public")
            )
        for statement in (
            "CREATE INDEX ix_search_documents_id ON search_documents USING hash (article_id)",
            f"CREATE INDEX ix_search_documents_{name}grams ON search_documents"
            f" USING gin ({lead}grams)",
            f"CREATE INDEX ix_search_documents_{name}chars ON search_documents"
            f" USING gin ({lead}chars)",
            "VACUUM ANALYZE search_documents",
            "CREATE TABLE bench_done (n INTEGER)",
        ):
            await connection.execute(text(statement))
        await connection.execute(
            text("INSERT INTO bench_done VALUES (:n)"), {"n": round(time.perf_counter() - began)}
        )
    print(f"{schema}: built in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    await db.dispose()
    return schema


def server_cpu_ns(pid: int | None) -> int:
    """CPU time the PostgreSQL backend ``pid`` has used (0 for SQLite, which runs in-process)."""
    if pid is None:
        return 0
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
        return int(stat.read().split()[0])


async def run(
    targets: Any,
    pids: Any,
    old: types.ModuleType,
    timings: dict[str, dict[str, list[float]]],
    which: str,
    q: str,
    keep: str | None = None,
) -> list[object]:
    """One search with the old or the new module on ``target`` (an engine, or one PostgreSQL
    connection whose backend is ``pid``); wall ms go to ``timings[keep or which]`` and CPU ms
    (this process + the backend) to ``timings[(keep or which) + " cpu"]``."""
    module = old if which == "old" else search_index
    target, pid = targets[which == "old"], pids[which == "old"]
    matchers = tuple(m for m in (term_matcher(t.folded) for t in parse_query(q).include) if m)
    query = module.IndexQuery(include=matchers, limit=10, with_text=True)
    server, cpu, started = server_cpu_ns(pid), time.process_time(), time.perf_counter()
    page = await module.SearchIndex(target).search(query)
    if pid is not None and isinstance(target, AsyncConnection):
        await target.commit()  # the search's SET LOCALs end with its transaction, as in the app
    elapsed = (time.perf_counter() - started) * 1000
    used = (time.process_time() - cpu) * 1000 + (server_cpu_ns(pid) - server) / 1e6
    timings[keep or which].setdefault(q, []).append(elapsed)
    timings[(keep or which) + " cpu"].setdefault(q, []).append(used)
    return [m.article_id for m in page.matches] + [page.total, page.total_exact]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--cache-dir", type=Path, default=OUT)
    parser.add_argument(
        "--partition", type=int, default=0, help="new statement on a copy partitioned by this"
    )
    parser.add_argument("--only", help="run only these queries (comma-separated)")
    parser.add_argument(
        "--both-partitioned", action="store_true", help="old statement on the copy too"
    )
    parser.add_argument(
        "--blocks", type=int, default=0, help="new statement on a copy with block-led GIN"
    )
    parser.add_argument(
        "--old-sqlite",
        type=Path,
        help="SQLite: the old statement on this database file (e.g. the same build before "
        "`newsbrief db optimize`), the new one on the cache dir's",
    )
    parser.add_argument("--new-schema", help="new statement on this existing schema")
    parser.add_argument("--old-schema", help="old statement on this existing schema")
    parser.add_argument(
        "--through-engine", action="store_true", help="a checkout per search, as the app"
    )
    parser.add_argument(
        "--old-search-pool",
        action="store_true",
        help="the old statement through Database.search_engine too (old code that has it)",
    )
    args = parser.parse_args()
    old = load_old(args.old)
    segmentation.load()
    if args.backend == "sqlite":
        new_db = Database(f"sqlite:///{args.cache_dir / f'search-{args.size}.db'}")
        db = Database(f"sqlite:///{args.old_sqlite}") if args.old_sqlite else new_db
    else:
        db = Database(PG_URL, schema=f"bench_search_{args.size}")
        new_schema = f"bench_search_{args.size}"
        if args.partition:
            search_index.PG_PARTITION_IDS = args.partition
            if not args.blocks or args.both_partitioned:
                new_schema = await partitioned_copy(args.size, args.partition)
            if args.both_partitioned:
                old.PG_PARTITION_IDS = args.partition
                await db.dispose()
                db = Database(PG_URL, schema=new_schema)
            if args.blocks:
                new_schema = await partitioned_copy(args.size, args.partition, args.blocks)
                search_index.PG_BLOCK_IDS = args.blocks
        if args.new_schema:
            new_schema = args.new_schema
        if args.old_schema:
            old.PG_PARTITION_IDS = search_index.PG_PARTITION_IDS
            await db.dispose()
            db = Database(PG_URL, schema=args.old_schema)
        new_db = Database(PG_URL, schema=new_schema)
        print(f"old: {db.schema}, new: {new_schema}", file=sys.stderr)
    connections = []
    old_engine = db.engine
    if args.old_search_pool:  # the pool starts its connections with the old module's settings
        with mock.patch.object(
            database, "PG_SESSION_SEARCH_SETTINGS", old.PG_SESSION_SEARCH_SETTINGS
        ):
            old_engine = db.search_engine
    targets: list[Any] = [new_db.search_engine, old_engine]  # [new, old]
    pids: list[int | None] = [None, None]
    if args.backend == "postgresql":
        for n, engine in enumerate(targets):
            connection = await engine.connect()
            pids[n] = await connection.scalar(text("SELECT pg_backend_pid()"))
            await connection.commit()
            if args.through_engine:
                await connection.close()  # back to its pool, which hands it to every search
            else:
                targets[n] = connection
                connections.append(connection)
    mixes = {
        "fixed 26": QUERIES,
        f"broad 300 (seed {args.seed})": broad_mix(real_corpus(), args.seed),
    }
    for name, mix in mixes.items():
        queries = [q for kind in mix.values() for q in kind]
        if args.only:
            queries = [q for q in queries if q in args.only.split(",")] or args.only.split(",")
        timings: dict[str, dict[str, list[float]]] = {
            k: {} for k in ("old", "new", "warm", "old cpu", "new cpu", "warm cpu")
        }
        differing: set[str] = set()

        counted: set[str] = set()  # the same matches, only the capped total differs
        for q in queries:  # warm both once
            before = await run(targets, pids, old, timings, "old", q, "warm")
            after = await run(targets, pids, old, timings, "new", q, "warm")
            if before[:-2] != after[:-2]:
                differing.add(q)
            elif before != after:
                counted.add(q)
        for _ in range(args.rounds):
            for q in queries:
                for which in ("old", "new", "new", "old"):
                    await run(targets, pids, old, timings, which, q)
        del timings["warm"], timings["warm cpu"]
        flat = {w: [x for v in t.values() for x in v] for w, t in timings.items()}
        p50 = {w: statistics.median(v) for w, v in flat.items()}
        p99 = {w: percentile(v, 0.99) for w, v in flat.items()}
        print(f"\n#### {args.backend}, {args.size} articles, {name} mix, {args.rounds} rounds\n")
        print("| statement | wall p50 ms | wall p99 ms | CPU p50 ms | CPU p99 ms |")
        print("|---|---:|---:|---:|---:|")
        for which in ("old", "new"):
            print(
                f"| {which} | {p50[which]:.2f} | {p99[which]:.2f} "
                f"| {p50[which + ' cpu']:.2f} | {p99[which + ' cpu']:.2f} |"
            )
        ratios = [p50["old"] / p50["new"], p99["old"] / p99["new"]]
        ratios += [p50["old cpu"] / p50["new cpu"], p99["old cpu"] / p99["new cpu"]]
        print("| old / new | " + " | ".join(f"{r:.1f}x" for r in ratios) + " |")
        print(f"\npages differing old vs new: {', '.join(sorted(differing)) or 'none'}")
        print(f"same pages, totals differing: {', '.join(sorted(counted)) or 'none'}\n")
        rows = [
            (
                q,
                statistics.median(timings["old cpu"][q]),
                statistics.median(timings["new cpu"][q]),
            )
            for q in timings["new"]
        ]
        print("slowest 20 with the new statement (median CPU ms, client + backend, old → new):\n")
        for q, before, after in sorted(rows, key=lambda r: -r[2])[:20]:
            print(f"- {q}: {before:.2f} → {after:.2f}")
    for connection in connections:
        await connection.close()
    await db.dispose()
    if new_db is not db:
        await new_db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
