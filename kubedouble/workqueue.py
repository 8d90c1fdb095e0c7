"""A controller's loop, as client-go's informers and work queue make it: watches of the store
feed an event handler that queues (namespace, name) keys; each key is queued once, may be
synced again later (a timer), and a failing sync waits 0.5 s doubling to a minute."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from . import errors
from .selectors import Selector
from .store import Event, Store, Watcher

log = logging.getLogger(__name__)
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
        """Sync the key again after `delay` (an earlier sync already planned is kept: a sync
        too many changes nothing)."""
        loop = asyncio.get_running_loop()
        when = loop.time() + max(delay, 0)
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled() and loop.time() <= timer.when() <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = loop.call_later(max(delay, 0), self.add, key)

    def cancel(self, key: Key) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def retry(self, key: Key) -> None:
        """The rate limit: 0.5 s doubling per failed sync, at most a minute."""
        count = self._errors.get(key, 0)
        self._errors[key] = count + 1
        self.later(key, min(0.5 * 2 ** count, 60.0))

    def forget(self, key: Key) -> None:
        self._errors.pop(key, None)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()


async def serve(store: Store, kinds: Iterable[str], queue: WorkQueue,
                on_event: Callable[[Event], None], sync: Callable[[str, str], None]) -> None:
    """Watch `kinds` (storage keys), hand every event to `on_event`, sync queued keys until
    cancelled. A refused write retries the key; so does a bug, logged, so that one object
    cannot stop the controller."""
    watchers = [Watcher(kind, None, Selector()) for kind in kinds]
    for watcher in watchers:
        store.subscribe(watcher, None)

    async def feed(watcher: Watcher) -> None:
        while True:
            for event in await watcher.next_batch():
                on_event(event)

    feeders = [asyncio.ensure_future(feed(w)) for w in watchers]
    try:
        while True:
            key = await queue.get()
            try:
                sync(*key)
                queue.forget(key)
            except errors.ApiError:
                queue.retry(key)  # a conflicting write or a refused create
            except Exception:
                log.exception("syncing %s/%s failed", *key)
                queue.retry(key)
    finally:
        for feeder in feeders:
            feeder.cancel()
        for watcher in watchers:
            store.unsubscribe(watcher)
        queue.close()
