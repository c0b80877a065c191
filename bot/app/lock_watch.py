"""The one-bot lock, watched: if it is lost, nothing is sent until it is ours again.

A PostgreSQL advisory lock lives as long as its server session; a cut connection (a network blip,
a proxy restart, a server failover) ends the session and frees the lock without telling the bot.
:class:`LockWatch` asks the lock every ``interval`` seconds whether it is still held
(``InstanceLock.still_held``: the lock's own session answers and ``pg_locks`` shows it; SQLite:
the lock file is still the one we lock) — and the sender asks on every transaction through its
fencing token. On loss it halts the sender and every job at once (no send starts after the loss is
seen), then tries to take the lock back: taken (a new fencing generation), the components start
again; held by another bot, it gives up with one clear line and the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock, SystemClock
from storage.database import Database
from storage.instance_lock import InstanceLock, InstanceLockedError

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 5.0
HALT_TIMEOUT_SECONDS = 10.0  # stopping components may wait on a dead database: not longer


class LockWatch:
    """Watches ``lock``; ``halt`` stops the sender and jobs (its first synchronous step must
    already stop sends), ``resume`` starts them again with the new lock, ``give_up`` is told why
    the bot must exit."""

    def __init__(
        self,
        db: Database,
        lock: InstanceLock,
        *,
        halt: Callable[[], Awaitable[None]],
        resume: Callable[[InstanceLock], Awaitable[None]],
        give_up: Callable[[str], None],
        interval: float = CHECK_INTERVAL_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.lock = lock
        self._halt = halt
        self._resume = resume
        self._give_up = give_up
        self.interval = interval
        self.clock = clock or SystemClock()
        self.losses = 0  # times the lock was found lost (tests and the log read it)
        self.regained = 0
        self._lost = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="instance-lock-watch")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def lost_now(self) -> None:
        """Someone (the sender, refused by its fence) already knows the lock is lost."""
        self._lost.set()

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.clock.wait([self._lost, self._stop], self.interval)
            if self._stop.is_set():
                return
            if self._lost.is_set() or not await self.lock.still_held(self.db):
                self._lost.clear()
                if not await self._recover():
                    return

    async def _recover(self) -> bool:
        """Halt, then take the lock back (True) or give up (False)."""
        self.losses += 1
        logger.critical("the one-bot lock (%s) was lost: sends and jobs stopped until it is "
                        "ours again", self.lock.description)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HALT_TIMEOUT_SECONDS):
                await self._halt()
        old = self.lock
        await old.release()
        while not self._stop.is_set():
            try:
                new = await InstanceLock.acquire(self.db, old.name, fenced=True, replacing=old,
                                                 now=self.clock.now())
            except InstanceLockedError as exc:
                self._give_up(f"lost the one-bot lock and another bot holds it now: {exc}")
                return False
            except Exception as exc:  # the database is still away: try again
                logger.warning("taking the one-bot lock back failed (%s: %s); retrying in %.0f s",
                               type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "",
                               self.interval)
                await self.clock.wait([self._stop], self.interval)
                continue
            self.lock = new
            self.regained += 1
            logger.warning("took the one-bot lock back (%s, generation %s): resuming",
                           new.description, new.fence.generation if new.fence else "-")
            await self._resume(new)
            return True
        return False
