"""The one-bot lock, watched (issue 18 point 1): a lost lock halts sends at once, is taken back
when it can be, and the bot gives up with one clear line when another bot took it meanwhile.

The PostgreSQL tests cut the lock's connection for real: the bot talks to the server through a
loopback TCP proxy (below) that the test can cut and restore.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app.lock_watch import LockWatch
from storage.database import Database
from storage.instance_lock import InstanceLock, file_lock_path

LOCK = "watch-test"


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the server; ``cut()`` drops every connection and refuses new
    ones until ``restore()`` (what a network blip or a proxy restart does to the bot)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut_off = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        self.cut_off = True
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.cut_off = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class Recorder:
    """What the watcher asked the bot to do."""

    def __init__(self) -> None:
        self.halted = 0
        self.resumed: list[InstanceLock] = []
        self.gave_up: list[str] = []

    async def halt(self) -> None:
        self.halted += 1

    async def resume(self, lock: InstanceLock) -> None:
        self.resumed.append(lock)

    def give_up(self, message: str) -> None:
        self.gave_up.append(message)


async def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.fixture
async def proxied(db: Database):  # type: ignore[no-untyped-def]
    """(the test's database, the same database through a cuttable proxy, the proxy)."""
    if db.backend != "postgresql":
        pytest.skip("cuts a PostgreSQL connection; the SQLite lock is a file (tested below)")
    url = make_url(db.url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = Database(url.set(host="127.0.0.1", port=proxy.port)
                       .render_as_string(hide_password=False), schema=db.schema)
    try:
        yield db, through, proxy
    finally:
        await proxy.close()
        await through.dispose()


def watch(db: Database, lock: InstanceLock, recorder: Recorder) -> LockWatch:
    return LockWatch(db, lock, halt=recorder.halt, resume=recorder.resume,
                     give_up=recorder.give_up, interval=0.2)


@pytest.mark.postgres
async def test_a_cut_connection_halts_sends_and_a_rival_makes_the_bot_give_up(proxied) -> None:  # type: ignore[no-untyped-def]
    direct, through, proxy = proxied
    lock = await InstanceLock.acquire(through, LOCK, fenced=True)
    recorder = Recorder()
    watcher = watch(through, lock, recorder)
    watcher.start()
    rival: InstanceLock | None = None
    try:
        proxy.cut()
        await wait_until(lambda: recorder.halted, 15, "the watcher to see the loss")
        # The server freed the lock with the session: another bot can take it now...
        async with asyncio.timeout(15):
            while rival is None:
                with contextlib.suppress(Exception):
                    rival = await InstanceLock.acquire(direct, LOCK, fenced=True)
                await asyncio.sleep(0.1)
        proxy.restore()
        # ...and the first bot, back on the network, must not take over again: it gives up.
        await wait_until(lambda: recorder.gave_up, 15, "the watcher to give up")
        assert "another bot holds it" in recorder.gave_up[0]
        assert "\n" not in recorder.gave_up[0]
        assert recorder.resumed == []
        assert rival.fence is not None and lock.fence is not None
        assert rival.fence.generation > lock.fence.generation
    finally:
        await watcher.stop()
        await lock.release()
        if rival is not None:
            await rival.release()


@pytest.mark.postgres
async def test_after_a_blip_the_bot_takes_its_lock_back_with_a_new_generation(proxied) -> None:  # type: ignore[no-untyped-def]
    direct, through, proxy = proxied
    lock = await InstanceLock.acquire(through, LOCK, fenced=True)
    recorder = Recorder()
    watcher = watch(through, lock, recorder)
    watcher.start()
    try:
        proxy.cut()
        await wait_until(lambda: recorder.halted, 15, "the watcher to see the loss")
        await asyncio.sleep(1.0)  # the database stays away a while
        proxy.restore()
        await wait_until(lambda: recorder.resumed, 20, "the lock taken back")
        (again,) = recorder.resumed
        assert again.fence is not None and lock.fence is not None
        assert again.fence.generation == lock.fence.generation + 1
        assert await again.still_held(through)
        assert recorder.gave_up == []
        with pytest.raises(Exception, match="already running"):
            await InstanceLock.acquire(direct, LOCK)  # one bot: still ours
    finally:
        await watcher.stop()
        await watcher.lock.release()


async def test_a_removed_sqlite_lock_file_is_noticed_and_taken_again(db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("the SQLite lock file")
    lock = await InstanceLock.acquire(db, LOCK, fenced=True)
    recorder = Recorder()
    watcher = watch(db, lock, recorder)
    watcher.start()
    try:
        assert db.url.database
        os.unlink(file_lock_path(Path(db.url.database), LOCK))  # someone cleaned the temp folder
        await wait_until(lambda: recorder.resumed, 10, "the lock taken again")
        assert recorder.halted == 1
        assert await recorder.resumed[0].still_held(db)
    finally:
        await watcher.stop()
        await watcher.lock.release()
