"""GIN (what ships) against the RUM extension on the same PostgreSQL search (run by hand).

    /tmp/venv/bin/python tests/bench/search_rum.py --size 100000 [--broad 60] [--rounds 5]

Issue 16 asks whether RUM beats GIN: it keeps each lexeme's positions in the index, so a phrase
(``'习近' <-> '近平'``) is decided there instead of on every candidate row's TOASTed tsvector,
and with an attached column (``rum_tsvector_addon_ops``, ``order_by_attach``) it can hand out
matches newest first. Needs the ``rum`` extension (Debian: ``postgresql-15-rum``) and the
schema ``tests/bench/search.py`` built for ``--size``. Everything happens in one transaction that
is rolled back: the RUM indexes are built inside it (about a minute each at 100k) and the
cached schema is left as it was.

Three statements per query, alternating query by query, each the median of ``--rounds`` runs:

- *GIN*: the product's statement (``storage.search_index._postgres_search``), GIN index;
- *RUM positions*: the same statement with the phrase moved into the index condition and the
  per-row phrase check dropped, with the GIN index dropped so the planner must use
  ``rum_tsvector_ops`` (rows whose tsvector lost positions are ignored: the "same" column says
  where that changed the page);
- *RUM newest first*: only the newest ``count_limit + 1`` ids (``ORDER BY article_id <=| top``
  on ``rum_tsvector_addon_ops`` with the id attached) — a lower bound for a statement built on it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bot.search.query import parse_query  # noqa: E402
from bot.search.tokens import term_matcher  # noqa: E402
from bot.text import segmentation  # noqa: E402
from storage.search_index import (  # noqa: E402
    DEFAULT_WINDOW,
    IndexQuery,
    _pg_phrases,
    _postgres_search,
)
from tests.bench.search import QUERIES, broad_mix, percentile, real_corpus  # noqa: E402

PG_DSN = os.environ.get("NEWSBRIEF_BENCH_PG_DSN", "host=127.0.0.1 user=postgres dbname=test")
_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def index_query(raw: str) -> IndexQuery:
    parsed = parse_query(raw)
    matchers = [term_matcher(t.folded) for t in parsed.include]
    return IndexQuery(include=tuple(m for m in matchers if m is not None), limit=10,
                      window=DEFAULT_WINDOW, with_text=True)


def product_statement(query: IndexQuery, top: int) -> tuple[str, dict[str, Any]]:
    sql, params, _ = _postgres_search(query)
    return _PARAM.sub(r"%(\1)s", sql), {**params, "top": top}


def rum_positions_statement(query: IndexQuery, top: int) -> tuple[str, dict[str, Any]]:
    """The product's statement with the phrase answered by the index, not row by row."""
    sql, params, _ = _postgres_search(query)
    grams_in = [m for m in query.include if not m.single_char]
    if grams_in:
        check = _pg_phrases("q_grams", grams_in, {}, every=True)
        sql = sql.replace("f.grams @@ CAST(:q_tokens AS tsquery)",
                          "f.grams @@ CAST(:q_grams AS tsquery)")
        sql = sql.replace(f"WHERE {check}", "")
    return _PARAM.sub(r"%(\1)s", sql), {**params, "top": top}


def rum_newest_statement(query: IndexQuery, top: int) -> tuple[str, dict[str, Any]] | None:
    _, params, _ = _postgres_search(query)
    if "q_grams" not in params or "q_chars" in params:
        return None
    return ("SELECT article_id FROM search_documents WHERE grams @@ CAST(%(q)s AS tsquery)"
            " ORDER BY article_id <=| %(top)s LIMIT %(n)s",
            {"q": params["q_grams"], "top": top, "n": params["count_limit"] + 1})


def timed(conn: psycopg.Connection, statement: tuple[str, dict[str, Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    rows = conn.execute(*statement).fetchall()
    return (time.perf_counter() - started) * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--broad", type=int, default=60, help="queries taken from the broad mix")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    segmentation.load()
    broad = [q for qs in broad_mix(real_corpus(), args.seed).values() for q in qs]
    step = max(1, len(broad) // args.broad)
    queries = [q for qs in QUERIES.values() for q in qs] + broad[::step]
    with psycopg.connect(PG_DSN) as conn:  # one transaction, rolled back at the end
        conn.execute("CREATE EXTENSION IF NOT EXISTS rum")
        conn.execute(f"SET LOCAL search_path = bench_search_{args.size}, public")
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        conn.execute("SET LOCAL enable_indexscan = off")  # as the product does
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        top = conn.execute("SELECT max(article_id) FROM search_documents").fetchone()[0]
        started = time.perf_counter()
        conn.execute("CREATE INDEX bench_rum_positions ON search_documents"
                     " USING rum (grams rum_tsvector_ops)")
        conn.execute("CREATE INDEX bench_rum_newest ON search_documents USING rum"
                     " (grams rum_tsvector_addon_ops, article_id)"
                     " WITH (attach = 'article_id', to = 'grams', order_by_attach = 't')")
        print(f"RUM indexes built in {time.perf_counter() - started:.0f} s; sizes:",
              conn.execute("SELECT pg_size_pretty(pg_relation_size('bench_rum_positions')),"
                           " pg_size_pretty(pg_relation_size('bench_rum_newest')),"
                           " pg_size_pretty(pg_relation_size('ix_search_documents_grams'))"
                           ).fetchone(), "(RUM positions, RUM newest, GIN)")
        results: list[tuple[str, float, float, float | None, bool]] = []
        for raw in queries:
            query = index_query(raw)
            if not query.include:
                continue
            gin, rum, newest, same = [], [], [], True
            for _ in range(args.rounds):
                conn.execute("SAVEPOINT gin_off")
                conn.execute("DROP INDEX bench_rum_positions")
                conn.execute("DROP INDEX bench_rum_newest")
                ms, gin_rows = timed(conn, product_statement(query, top))
                gin.append(ms)
                conn.execute("ROLLBACK TO SAVEPOINT gin_off")
                conn.execute("SAVEPOINT rum_only")
                conn.execute("DROP INDEX ix_search_documents_grams")
                ms, rum_rows = timed(conn, rum_positions_statement(query, top))
                rum.append(ms)
                same = same and [r[:6] for r in gin_rows] == [r[:6] for r in rum_rows]
                statement = rum_newest_statement(query, top)
                if statement is not None:
                    newest.append(timed(conn, statement)[0])
                conn.execute("ROLLBACK TO SAVEPOINT rum_only")
            results.append((raw, statistics.median(gin), statistics.median(rum),
                            statistics.median(newest) if newest else None, same))
        conn.rollback()

    print(f"\n{len(results)} queries, median of {args.rounds} each (ms):")
    print(f"{'query':<14} {'GIN':>7} {'RUM pos':>8} {'RUM new':>8} same")
    for raw, gin_ms, rum_ms, newest_ms, same in sorted(results, key=lambda r: -r[1])[:25]:
        newest_text = f"{newest_ms:8.1f}" if newest_ms is not None else "       -"
        print(f"{raw:<14} {gin_ms:7.1f} {rum_ms:8.1f} {newest_text} {'yes' if same else 'NO'}")
    for name, column in (("GIN", 1), ("RUM positions", 2)):
        values = [r[column] for r in results]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    ratios = [r[2] / r[1] for r in results]
    print(f"RUM positions / GIN per query: median {statistics.median(ratios):.2f}x,"
          f" faster on {sum(x < 1 for x in ratios)} of {len(ratios)}")
    paired = [(r[1], r[3]) for r in results if r[3] is not None]
    if paired:
        print(f"RUM newest-first ids alone / GIN whole statement: median "
              f"{statistics.median(n / g for g, n in paired):.2f}x over {len(paired)} queries")
    print("pages equal (GIN vs RUM positions):", sum(r[4] for r in results), "of", len(results))


if __name__ == "__main__":
    main()
