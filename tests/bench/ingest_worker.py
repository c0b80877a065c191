"""Child of ``tests/bench/search.py --ingest-only --old-tree``: ingests with one tree's code.

    python tests/bench/ingest_worker.py TREE WARMUP.jsonl FOLDER

Two versions of ``bot``/``storage`` cannot share one interpreter, so the old and the new tree each
get a long-lived worker, and the parent alternates the rounds between them (old, new, new, old…).
The worker imports nothing of the project before putting TREE first on ``sys.path``; it ingests
WARMUP once into a SQLite file in FOLDER (jieba, the section model and the imports loaded before
any timed round), prints ``ready`` and the file of the ingest code it loaded (the parent checks it
is TREE's), then reads one JSON request a line from stdin —
``{"url": ..., "schema": ... | null, "path": ...}``: an empty database the parent made, to
migrate (not timed) and ingest ``path`` into (timed) — and answers one JSON line
``{"seconds": ..., "cpu_seconds": ..., "server_cpu_seconds": ..., "articles_new": ...}``
(wall time, this process's CPU time, and on PostgreSQL the CPU time of the server backends this
process is connected to, read from ``/proc`` — the server must run on this machine; ``null``
where it cannot be read, and a backend that closed during the ingest is not counted).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _own_tcp_ports() -> set[int]:
    """Local ports of this process's TCP sockets (its connections to the database server)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def _backend_cpu(db: Any) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend serving this process, by pid.

    Why: on PostgreSQL much of an ingest's time is the server's (parsing and GIN-inserting the
    index literal); the wall time alone cannot say whether a slower round did more work or
    waited longer for a core on a busy machine."""
    from sqlalchemy import text

    if db.url.get_backend_name() != "postgresql":
        return None
    async with db.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT pid, client_port FROM pg_stat_activity "
                    "WHERE datname = current_database()"
                )
            )
        ).all()
    ports = _own_tcp_ports()
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid, port in rows:
        if port not in ports:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        seconds[pid] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


async def serve(warmup: Path, folder: Path) -> None:
    """Answer ingest requests until stdin closes."""
    from bot.config import Settings
    from bot.ingest.service import IngestService
    from storage.database import Database

    settings = Settings.from_env(env_file=None)

    async def ingest(db: Database, path: Path) -> dict[str, float | None]:
        try:
            await db.upgrade()
            service = IngestService(db, settings)
            server_before = await _backend_cpu(db)
            started, cpu_started = time.perf_counter(), time.process_time()
            report = await service.ingest([path])
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            server_after = await _backend_cpu(db)
            server = None
            if server_before is not None and server_after is not None:
                server = sum(
                    after - server_before.get(pid, 0.0) for pid, after in server_after.items()
                )
            return {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "server_cpu_seconds": server,
                "articles_new": report.articles_new,
            }
        finally:
            await db.dispose()

    await ingest(Database(f"sqlite:///{folder / 'warmup.db'}"), warmup)
    print(f"ready {sys.modules[IngestService.__module__].__file__}", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        db = Database(request["url"], schema=request["schema"])
        print(json.dumps(await ingest(db, Path(request["path"]))), flush=True)


if __name__ == "__main__":
    tree, warmup_path, work = (Path(arg) for arg in sys.argv[1:4])
    sys.path.insert(0, str(tree.resolve()))
    asyncio.run(serve(warmup_path, work))
