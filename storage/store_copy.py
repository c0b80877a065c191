"""Copy a whole store into another database (``newsbrief db copy``): SQLite to PostgreSQL when an
operator outgrows one machine, or back, or SQLite to a fresh SQLite file.

Every table the program keeps is copied in batches keyed on its primary key, so memory does not
grow with the archive; everything lands in ONE transaction on the target, so a failed copy (a
count that does not match, a lost connection, Ctrl-C) leaves the target exactly as it was.
The search index is not copied row by row — SQLite's FTS5 tables are contentless and cannot be
read back — but rebuilt from each batch of articles as it is copied, with the caller's tokenizer
(``index_articles``; storage never imports the application's text code).

PostgreSQL ``SERIAL`` sequences are moved past the copied ids, so new rows never collide.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, Table, delete, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.models import Article, Base
from storage.search_index import (
    IndexEntry,
    clear_statements,
    ensure_partitions,
    insert_statements,
)
from storage.watches import Watch

# Every table, parents before children (foreign keys hold at each insert).
COPIED_TABLES: tuple[Table, ...] = tuple(Base.metadata.sorted_tables)
# Rebuilt, not copied: the search index (and SQLite's FTS5 shadow tables), and Alembic's
# bookkeeping, which the target's own migration run writes.
NOT_COPIED_PREFIXES = ("search_", "alembic_version", "sqlite_")
DEFAULT_BATCH_SIZE = 1000

IndexArticles = Callable[[Sequence[Article]], Sequence[IndexEntry]]
CopyProgress = Callable[[str, int, int], None]

assert Watch.__table__ in COPIED_TABLES  # storage.watches keeps its model outside models.py


class StoreCopyError(RuntimeError):
    """A copy that cannot start or did not verify; the target was left unchanged."""


class TargetNotEmptyError(StoreCopyError):
    """The target already holds data; copying would mix two stores (``--replace`` overwrites)."""


class SameDatabaseError(StoreCopyError):
    """Source and target are the same database: a copy onto itself would destroy it."""


class UnknownTableError(StoreCopyError):
    """The source has a table this program does not know how to copy (a newer program's store,
    or one edited by hand): refusing is safer than a copy that silently drops it."""


class CopyVerificationError(StoreCopyError):
    """After copying, the target's row counts differ from the source's (the copy rolled back)."""


@dataclass
class CopyReport:
    """Rows copied per table, articles indexed on the target, and how long it took."""

    source: str
    target: str
    tables: dict[str, int] = field(default_factory=dict)
    indexed: int = 0
    replaced: bool = False
    took_s: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "target": self.target, "tables": dict(self.tables),
            "rows": self.rows, "indexed": self.indexed, "replaced": self.replaced,
            "verified": True, "took_ms": round(self.took_s * 1000, 1),
        }


def same_database(source: Database, target: Database) -> bool:
    """Whether two URLs name one database (SQLite: the same file, however the path is written)."""
    if source.backend != target.backend:
        return False
    if source.backend == "sqlite":
        def resolved(db: Database) -> str:
            name = db.url.database or ""
            return name if name in ("", ":memory:") else str(Path(name).expanduser().resolve())

        return resolved(source) == resolved(target) and resolved(source) != ":memory:"
    keys = ("host", "port", "database")
    return all(getattr(source.url, k) == getattr(target.url, k) for k in keys) and (
        source.url.host is not None or source.url.database is not None
    ) and source.schema == target.schema


async def table_counts(db: Database) -> dict[str, int]:
    """Rows in every copied table (plus ``search_documents``), in copy order."""
    async with db.engine.connect() as connection:
        return await _counts(connection, with_index=True)


async def _counts(connection: AsyncConnection, *, with_index: bool) -> dict[str, int]:
    counts = {}
    for table in COPIED_TABLES:
        counts[table.name] = int(await connection.scalar(select(func.count()).select_from(table))
                                 or 0)
    if with_index:
        counts["search_documents"] = int(
            await connection.scalar(text("SELECT count(*) FROM search_documents")) or 0
        )
    return counts


async def _unknown_tables(connection: AsyncConnection) -> list[str]:
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    known = {table.name for table in COPIED_TABLES}
    return sorted(
        name for name in names
        if name not in known and not name.startswith(NOT_COPIED_PREFIXES)
    )


async def copy_store(
    source: Database,
    target: Database,
    index_articles: IndexArticles,
    *,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: CopyProgress | None = None,
) -> CopyReport:
    """Copy every table of ``source`` (migrated to head) into ``target`` (migrated to head, and
    empty unless ``replace``), rebuild the search index there, verify the row counts, commit.

    ``progress("copying", done, total)`` counts articles (the long part: each is tokenized
    again for the index); the other tables are plain row copies.
    """
    if same_database(source, target):
        raise SameDatabaseError(f"source and target are the same database ({source.safe_url})")
    started = time.perf_counter()
    report = CopyReport(source=source.safe_url, target=target.safe_url, replaced=replace)
    async with source.engine.connect() as reader:
        if source.backend == "postgresql":
            # One snapshot for every table, so children never point at parents it lacks.
            await reader.execution_options(isolation_level="REPEATABLE READ")
        unknown = await _unknown_tables(reader)
        if unknown:
            raise UnknownTableError(
                f"{source.safe_url} has table(s) this program does not copy: "
                f"{', '.join(unknown)} (is it a newer newsbrief's database?)"
            )
        expected = await _counts(reader, with_index=False)
        async with target.engine.begin() as writer:
            await _prepare_target(writer, target, replace=replace)
            for table in COPIED_TABLES:
                copied = 0
                async for rows in _batches(reader, table, batch_size):
                    await writer.execute(insert(table), rows)
                    if table.name == Article.__tablename__:
                        entries = index_articles([Article(**row) for row in rows])
                        if target.backend == "postgresql":
                            await ensure_partitions(writer, [row["id"] for row in rows])
                        for statement, parameters in insert_statements(
                            target.backend, list(entries)
                        ):
                            await writer.execute(statement, parameters)
                        report.indexed += len(entries)
                        if progress is not None:
                            progress("copying", copied + len(rows), expected[table.name])
                    copied += len(rows)
                report.tables[table.name] = copied
            if target.backend == "postgresql":
                await _advance_sequences(writer)
                # Fresh planner statistics: a bulk load leaves none, and without them the first
                # searches may choose sequential scans over the GIN index.
                names = ", ".join([*(table.name for table in COPIED_TABLES), "search_documents"])
                await writer.execute(text(f"ANALYZE {names}"))
            await _verify(writer, expected, report)
    report.took_s = time.perf_counter() - started
    return report


async def _prepare_target(writer: AsyncConnection, target: Database, *, replace: bool) -> None:
    unknown = await _unknown_tables(writer)
    if unknown:
        raise UnknownTableError(
            f"{target.safe_url} has table(s) this program does not know: {', '.join(unknown)}"
        )
    present = {name: n for name, n in (await _counts(writer, with_index=True)).items() if n}
    if not present:
        return
    if not replace:
        listed = ", ".join(f"{name} {count}" for name, count in present.items())
        raise TargetNotEmptyError(
            f"{target.safe_url} is not empty ({listed}); copy into an empty database, or add "
            "--replace to delete what it holds first"
        )
    for statement in clear_statements(target.backend):
        await writer.execute(text(statement))
    for table in reversed(COPIED_TABLES):
        await writer.execute(delete(table))


async def _batches(
    reader: AsyncConnection, table: Table, batch_size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The table's rows, ``batch_size`` at a time in primary-key order (keyset paging: each
    batch is one indexed range read, whatever the table's size)."""
    (key,) = table.primary_key.columns
    last: Any = None
    while True:
        query = select(table).order_by(key).limit(batch_size)
        if last is not None:
            query = query.where(key > last)
        rows = [dict(row._mapping) for row in await reader.execute(query)]
        if not rows:
            return
        yield rows
        last = rows[-1][key.name]
        if len(rows) < batch_size:
            return


async def _advance_sequences(writer: AsyncConnection) -> None:
    """Move each SERIAL sequence past the largest copied id (rows were inserted with their ids,
    which does not advance it); an empty table keeps its sequence at the start."""
    for table in COPIED_TABLES:
        (key,) = table.primary_key.columns
        if key.autoincrement is False or not isinstance(key.type, Integer):
            continue  # chats: Telegram's own ids; instance_fences: named rows; no sequence
        await writer.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), max_id) "
                f"FROM (SELECT max({key.name}) AS max_id FROM {table.name}) AS m "
                "WHERE max_id IS NOT NULL"
            ),
            {"table": table.name, "column": key.name},
        )


async def _verify(writer: AsyncConnection, expected: dict[str, int], report: CopyReport) -> None:
    """Count the target's rows inside the copy's transaction: each table as in the source, every
    article indexed. A mismatch raises, rolling the whole copy back."""
    found = await _counts(writer, with_index=True)
    problems = [
        f"{name}: source {expected[name]}, copied {report.tables.get(name)}, target {found[name]}"
        for name in expected
        if not expected[name] == report.tables.get(name) == found[name]
    ]
    if found["search_documents"] != found[Article.__tablename__]:
        problems.append(
            f"search index: {found['search_documents']} of {found['articles']} articles"
        )
    if problems:
        raise CopyVerificationError(
            "the copy did not verify, nothing was written: " + "; ".join(problems)
            + " (was the source written to during the copy? stop the bot and retry)"
        )


__all__ = [
    "COPIED_TABLES",
    "CopyReport",
    "CopyVerificationError",
    "SameDatabaseError",
    "StoreCopyError",
    "TargetNotEmptyError",
    "UnknownTableError",
    "copy_store",
    "same_database",
    "table_counts",
]
