"""Shared set-up for the delivery benchmarks: a fake Telegram in this process, the sender in
another (``delivery_runner``), an outbox with one digest per chat, and the tally at the end."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from storage.chats import ChatRepository
from storage.database import Database
from storage.outbox import NewDelivery, Outbox, StoredPart
from tests.e2e.fake_bot_api import FakeBotApi, RateLimits

REPO = Path(__file__).resolve().parents[2]
HEADLINES = [
    "区委常委会召开会议 研究部署防汛防台工作", "萧山经开区专精特新企业再添新成员",
    "今年第6号台风“卡努”逐渐靠近 我区启动防台风Ⅳ级应急响应", "加梯工程惠及百户居民",
    "湘湖景区暑期客流创新高", "全区中小学安全教育周启动", "农业园区迎来早稻丰收",
    "地铁站点周边交通优化方案公布",
]


async def subscribed_readers(fake: FakeBotApi, db: Database, count: int) -> list[int]:
    """``count`` readers the fake knows, each subscribed in the (migrated) store."""
    readers = [fake.add_user(f"s{i}", language_code="zh-hans").id for i in range(count)]
    now = datetime.now(UTC)
    async with db.session() as session:
        repo = ChatRepository(session)
        for chat_id in readers:
            await repo.upsert_seen(chat_id, now=now, language="zh-hans")
            await repo.update_settings(chat_id, now=now, subscribed=True)
    return readers


def digest_parts(chat_id: int) -> list[StoredPart]:
    """A digest of realistic size (≈ 700 characters of HTML) with a keyboard, in one message."""
    lines = [f"<b>萧山日报 · 7月31日</b>  <i>今日要闻 {len(HEADLINES)} 条</i>", ""]
    lines += [f"{i}. <b>{t}</b>\n   {t[:12]}……（{chat_id % 97}）" for i, t in
              enumerate(HEADLINES, 1)]
    keyboard = {"inline_keyboard": [[{"text": "更多", "callback_data": "d:2026-07-31:2"}]]}
    return [{"text": "\n".join(lines), "parse_mode": "HTML", "reply_markup": keyboard,
             "disable_notification": True}]


def busiest_second(times: list[float]) -> int:
    """Most of ``times`` within any 1 s window."""
    window: deque[float] = deque()
    peak = 0
    for at in sorted(times):
        window.append(at)
        while window[0] <= at - 1.0:
            window.popleft()
        peak = max(peak, len(window))
    return peak


@dataclass
class Bench:
    fake: FakeBotApi
    db_url: str
    chat_ids: list[int]
    workdir: Path
    schema: str | None = None  # PostgreSQL: a fresh schema per run, dropped at the end

    def database(self) -> Database:
        return Database(self.db_url, schema=self.schema)

    @classmethod
    async def create(cls, chats: int, db_url: str | None, limits: RateLimits) -> Bench:
        fake = FakeBotApi(rate_limits=limits)
        await fake.start()
        chat_ids = [fake.add_user(f"r{i}", language_code="zh-hans").id for i in range(chats)]
        workdir = Path(tempfile.mkdtemp(prefix="nb-delivery-"))
        url = db_url or f"sqlite:///{workdir / 'bench.db'}"
        schema = None
        if not url.startswith("sqlite"):
            schema = f"nb_bench_{uuid.uuid4().hex[:10]}"
            admin = Database(url)
            async with admin.engine.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
        db = Database(url, schema=schema)
        await db.upgrade()
        now = datetime.now(UTC)
        async with db.session() as session:
            added = await Outbox(session).enqueue_many(
                [NewDelivery(c, "digest", "2026-07-31", digest_parts(c)) for c in chat_ids],
                now=now,
            )
        await db.dispose()
        assert added == chats, (added, chats)
        return cls(fake, url, chat_ids, workdir, schema)

    async def start_runner(self, *extra: str) -> asyncio.subprocess.Process:
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bench.delivery_runner", "--db", self.db_url,
            "--api", self.fake.root, "--token", self.fake.token,
            *(["--schema", self.schema] if self.schema else []), *extra,
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        first = json.loads(await proc.stdout.readline())
        assert first == {"started": True}, first
        return proc

    @staticmethod
    async def finish(proc: asyncio.subprocess.Process) -> dict[str, Any]:
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"runner exited with {proc.returncode}")
        return json.loads(out.decode().strip().splitlines()[-1])

    def tally(self) -> dict[str, Any]:
        per_chat = Counter(r.chat_id for r in self.fake.sent_log)
        counters = self.fake.counters
        times = [r.at for r in self.fake.sent_log]
        return {
            "chats": len(self.chat_ids),
            "accepted_sends": counters["accepted_sends"],
            "lost": sum(1 for c in self.chat_ids if per_chat[c] == 0),
            "duplicated": sum(1 for c in self.chat_ids if per_chat[c] > 1),
            "throttled_by_reason": counters["throttled_by_reason"],
            "throttled_by_pacing": counters["throttled_by_pacing"],
            "first_to_last_send_s": round(max(times) - min(times), 3) if times else None,
        }

    def peak_per_second(self) -> int:
        """Most sends the server accepted within any 1 s window (its own clock)."""
        return busiest_second([r.at for r in self.fake.sent_log])

    async def close(self) -> None:
        await self.fake.stop()
        if self.schema:
            admin = Database(self.db_url)
            async with admin.engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            await admin.dispose()
