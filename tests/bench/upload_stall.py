"""Drop-folder stall benchmark (run by hand): /ping latency while a big article list is ingested.

    /tmp/venv/bin/python -m tests.bench.upload_stall [--mb 17] [--code DIR]

Starts the real ``newsbrief run`` against the fake Bot API on loopback with a drop folder, measures
/ping round trips while idle (the baseline, same run), then drops a synthetic ``--mb`` MB jsonl
into the folder and keeps pinging until the file reaches ``done/``. Reports idle and during-ingest
p50/max and their ratio. ``--code DIR`` runs another checkout's code (e.g. the code before issue 18,
to compare). Updates are handled one at a time until PTB's concurrent updates are on, so an admin's
upload itself still holds that admin's chat; the drop folder runs beside the handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 300.0


def synthetic_jsonl(path: Path, megabytes: float) -> int:
    """Articles of ~2 KB of Chinese text, dated, until the file reaches the size."""
    body = "萧山区今天召开会议，部署防汛防台工作，要求各镇街加强巡查。\n" * 24
    count, size, target = 0, 0, int(megabytes * 1024 * 1024)
    with path.open("w", encoding="utf-8") as out:
        while size < target:
            line = json.dumps({"title": f"会议部署第{count}项工作", "body": body,
                               "date": "2023-07-31"}, ensure_ascii=False) + "\n"
            out.write(line)
            size += len(line.encode())
            count += 1
    return count


async def ping(fake: FakeBotApi, user: object) -> float:
    chat = fake.private_chat(user)  # type: ignore[arg-type]
    before = len(fake.messages_in(chat, include_deleted=True, from_bot=True))
    started = time.monotonic()
    fake.send_text(user, chat, "/ping")  # type: ignore[arg-type]
    await fake.wait_for_messages(chat, before + 1, TIMEOUT)
    return time.monotonic() - started


async def run(args: argparse.Namespace) -> dict[str, object]:
    code = Path(args.code).resolve() if args.code else REPO
    work = Path(tempfile.mkdtemp(prefix="newsbrief-stall-"))
    inbox = work / "inbox"
    inbox.mkdir()
    db_url = f"sqlite:///{work / 'stall.db'}"
    articles = synthetic_jsonl(work / "list-2023-07-31.jsonl", args.mb)
    fake = FakeBotApi(rate_limits=RateLimits(enabled=False))
    await fake.start()
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.root,
               NEWSBRIEF_DATABASE_URL=db_url, NEWSBRIEF_LOG_LEVEL="WARNING",
               NEWSBRIEF_INBOX=str(inbox), NEWSBRIEF_INBOX_POLL_SECONDS="0.5",
               NEWSBRIEF_INBOX_SETTLE_SECONDS="1", PYTHONPATH=str(code),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=work,
                   check=True, capture_output=True)
    user = fake.add_user("Bench", language_code="zh-hans")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env,
                                                   cwd=work)
    try:
        await ping(fake, user)  # ready
        idle = [await ping(fake, user) for _ in range(args.pings)]
        (work / "list-2023-07-31.jsonl").rename(inbox / "list-2023-07-31.jsonl")
        during: list[float] = []
        started = time.monotonic()
        while not (inbox / "done" / "list-2023-07-31.jsonl").exists():
            if time.monotonic() - started > TIMEOUT:
                raise TimeoutError("the file never reached done/")
            during.append(await ping(fake, user))
            await asyncio.sleep(0.05)
        ingest_s = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await fake.stop()
    return {
        "code": str(code), "megabytes": args.mb, "articles": articles,
        "ingest_s": round(ingest_s, 1), "pings_during": len(during),
        "idle_p50_ms": round(statistics.median(idle) * 1000, 1),
        "idle_max_ms": round(max(idle) * 1000, 1),
        "during_p50_ms": round(statistics.median(during) * 1000, 1),
        "during_max_ms": round(max(during) * 1000, 1),
        "max_ratio": round(max(during) / statistics.median(idle), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=17.0)
    parser.add_argument("--pings", type=int, default=20)
    parser.add_argument("--code", help="checkout whose code to run (default: this one)")
    print(json.dumps(asyncio.run(run(parser.parse_args())), ensure_ascii=False))


if __name__ == "__main__":
    main()
