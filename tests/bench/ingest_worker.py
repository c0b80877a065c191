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
``{"seconds": ..., "cpu_seconds": ..., "articles_new": ...}`` (wall time, and this process's
CPU time: the rest of the wall time is mostly the database server's).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def serve(warmup: Path, folder: Path) -> None:
    """Answer ingest requests until stdin closes."""
    from bot.config import Settings
    from bot.ingest.service import IngestService
    from storage.database import Database

    settings = Settings.from_env(env_file=None)

    async def ingest(db: Database, path: Path) -> dict[str, float]:
        try:
            await db.upgrade()
            service = IngestService(db, settings)
            started, cpu_started = time.perf_counter(), time.process_time()
            report = await service.ingest([path])
            return {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu_started,
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
