"""A controller's work queue of (namespace, name) keys, as client-go's: a key is queued once,
may be synced again later (a timer), and a failing key waits 0.5 s doubling to a minute."""

from __future__ import annotations

import asyncio

Key = tuple[str, str]


class WorkQueue:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._errors: dict[Key, int] = {}

    def add(self, key: Key) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    async def get(self) -> Key:
        key = await self._queue.get()
        self._queued.discard(key)
        return key

    def later(self, key: Key, delay: float) -> None:
        """Sync the key again after `delay` (an earlier sync already planned is kept)."""
        loop = asyncio.get_running_loop()
        when = loop.time() + max(delay, 0)
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled() and loop.time() <= timer.when() <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = loop.call_later(max(delay, 0), self.add, key)

    def retry(self, key: Key) -> None:
        count = self._errors.get(key, 0)
        self._errors[key] = count + 1
        self.later(key, min(0.5 * 2 ** count, 60.0))

    def forget(self, key: Key) -> None:
        self._errors.pop(key, None)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
