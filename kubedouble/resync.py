"""Follow a few kinds in the store and hand each change's namespaces to a sync function.

For the double's small level-triggered controllers (EndpointSlices, kube-proxy): they read the
whole namespace from the store again on each change rather than keep caches of their own.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from .selectors import Selector
from .store import Store, Watcher

Sync = Callable[[set[str]], Awaitable[None] | None]


async def follow(store: Store, kinds: tuple[str, ...], sync: Sync) -> None:
    """Call `sync(namespaces)` once for every namespace holding one of the kinds, then after
    each batch of events with the namespaces they touched (until cancelled)."""
    watchers = [Watcher(kind, None, Selector()) for kind in kinds]
    for watcher in watchers:
        store.subscribe(watcher, None)
    queue: asyncio.Queue[set[str]] = asyncio.Queue()

    async def feed(watcher: Watcher) -> None:
        while True:
            batch = await watcher.next_batch()
            queue.put_nowait({(e.obj.get("metadata") or {}).get("namespace", "") for e in batch})

    feeders = [asyncio.ensure_future(feed(w)) for w in watchers]
    try:
        await _call(sync, {o["metadata"].get("namespace", "") for kind in kinds
                           for o in store.items(kind)})
        while True:
            touched = await queue.get()
            while not queue.empty():
                touched |= queue.get_nowait()
            await _call(sync, touched)
    finally:
        for feeder in feeders:
            feeder.cancel()
        await asyncio.gather(*feeders, return_exceptions=True)
        for watcher in watchers:
            store.unsubscribe(watcher)


async def _call(sync: Sync, namespaces: set[str]) -> None:
    result = sync(namespaces)
    if inspect.isawaitable(result):
        await result
