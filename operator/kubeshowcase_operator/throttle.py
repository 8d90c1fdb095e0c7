"""What the publishers of queue positions and order share: a pass at most every so many seconds,
and one background flush at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Throttle:
    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self._interval = interval
        self._clock = clock
        self._passed_at = float("-inf")

    async def wait(self) -> None:
        """Sleep until `interval` has gone by since the last pass, then count this one."""
        wait = self._passed_at + self._interval - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)
        self._passed_at = self._clock()


class OneFlush:
    """At most one background flush task; a kick while one runs starts nothing."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        return self._task is None

    def start(self, flush: Callable[[], Awaitable[None]]) -> None:
        """Run flush() in a task unless one runs; idle again the moment it ends."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(flush))

    async def _run(self, flush: Callable[[], Awaitable[None]]) -> None:
        try:
            await flush()
        finally:
            self._task = None

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
