"""EXPLAIN (ANALYZE, BUFFERS) of the product's PostgreSQL search statement (run by hand).

    /tmp/venv/bin/python tests/bench/search_explain.py --schema bench_search_1000000 台风 的产品

Where a slow query's time goes: the statement ``SearchIndex.search`` runs for each query (as
``SearchService`` builds it: first page of 10, text included), with the parameters it would
bind (the newest id and its block read the same way), through ``Database.search_engine``'s
session settings (generic plan, GIN only), PREPAREd as the product's statement is: an EXPLAIN
with bound parameters plans for their values and can show another plan than the product runs.
Each query runs ``--warm`` times first, so the pages are in memory; the plan shown is the last
run's.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.search.query import parse_query  # noqa: E402
from bot.search.tokens import term_matcher  # noqa: E402
from storage import search_index  # noqa: E402
from storage.database import Database  # noqa: E402
from tests.bench.search import PG_URL  # noqa: E402


async def explain(db: Database, query: str, warm: int, settings: list[str]) -> str:
    """The plan of ``query``'s search statement, with actual times and buffers, after
    ``settings`` (``name=value``, each SET for the session: what would a setting change?).

    The statement is PREPAREd and EXECUTEd, so the plan is the generic one the product runs
    (``force_generic_plan``); an EXPLAIN of the statement with bound parameters would plan it
    for their values instead."""
    matchers = tuple(m for m in (term_matcher(t.folded) for t in parse_query(query).include) if m)
    index_query = search_index.IndexQuery(include=matchers, limit=10, with_text=True)
    sql, params, _ = search_index._postgres_search(index_query)
    async with db.search_engine.connect() as connection:
        for setting in settings:
            name, value = setting.split("=", 1)
            await connection.execute(
                text("SELECT set_config(:n, :v, false)"), {"n": name, "v": value}
            )
        row = (await connection.execute(text(search_index._PG_PRELUDE_SET))).one()
        steps = search_index._pg_steps(int(row[-1]), blocks=bool(row[-2]), steps=params["steps"])
        bound = {**params, **steps}
        names: list[str] = []

        def positional(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        prepared = re.sub(r"(?<![:\w]):(\w+)", positional, sql)
        await connection.exec_driver_sql(f"PREPARE explained AS {prepared}")
        values = ", ".join(_literal(bound[name]) for name in names)
        for _ in range(warm):
            await connection.exec_driver_sql(f"EXECUTE explained({values})")
        plan = await connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained({values})"
        )
        lines = [str(line[0]) for line in plan]
        await connection.exec_driver_sql("DEALLOCATE explained")
        return "\n".join(lines)


def _literal(value: object) -> str:
    """``value`` as an SQL literal for EXECUTE (the statement's own CASTs give the types)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queries", nargs="+")
    parser.add_argument("--schema", default="bench_search_100000")
    parser.add_argument("--warm", type=int, default=6, help="runs before the one explained")
    parser.add_argument("--set", action="append", default=[], help="name=value, SET first")
    args = parser.parse_args()
    db = Database(PG_URL, schema=args.schema)
    for query in args.queries:
        print(f"### {query}\n")
        print(await explain(db, query, args.warm, args.set))
        print()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
