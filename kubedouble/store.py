"""Object storage: one resourceVersion counter, a bounded event history and cheap watch fan-out.

Stored objects are never mutated: writers build a new dict and `put` it, so readers, responses and
watch events can share the stored dicts without copying.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import gone
from .selectors import Selector

Key = tuple[str, str, str]  # (qualified resource, namespace or "", name)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Event:
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict[str, Any]
    old: dict[str, Any] | None
    rv: int
    _line: bytes | None = None
    at: float = field(default_factory=time.monotonic)

    def line(self) -> bytes:
        """The event as one line of a watch stream, serialised once for every watcher."""
        if self._line is None:
            self._line = dumps({"type": self.type, "object": self.obj}) + b"\n"
        return self._line


@dataclass(eq=False)
class Watcher:
    qualified: str
    namespace: str | None
    selector: Selector
    max_queue: int = 50_000
    queue: collections.deque[Event] = field(default_factory=collections.deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    def translate(self, event: Event) -> Event | None:
        """The event as this watcher sees it: selectors turn entering/leaving into ADDED/DELETED."""
        if self.namespace and (event.obj.get("metadata") or {}).get("namespace") != self.namespace:
            return None
        if not self.selector.labels and not self.selector.fields:
            return event
        now = self.selector.matches(event.obj)
        if event.type != "MODIFIED":
            return event if now else None
        before = event.old is not None and self.selector.matches(event.old)
        if now and before:
            return event
        if now:
            return Event("ADDED", event.obj, event.old, event.rv, at=event.at)
        if before and event.old is not None:
            # Leaving the selector: DELETED with the last state the watcher could see, at the
            # event's resourceVersion (k8s.io/apiserver storage/cacher cacheWatcher).
            last = {**event.old, "metadata": {**event.old["metadata"],
                                              "resourceVersion": str(event.rv)}}
            return Event("DELETED", last, event.old, event.rv, at=event.at)
        return None

    async def next_batch(self) -> list[Event]:
        """Wait for events and take them all (the caller checks `closed`)."""
        while not self.queue and not self.closed:
            self.wakeup.clear()
            await self.wakeup.wait()
        batch = list(self.queue)
        self.queue.clear()
        return batch

    def close(self) -> None:
        """End the stream (the client re-watches from the last resourceVersion it saw)."""
        self.closed = True
        self.wakeup.set()

    def push(self, event: Event) -> None:
        seen = self.translate(event)
        if seen is None:
            return
        if len(self.queue) >= self.max_queue:
            self.close()  # a consumer this slow is cut off, and re-watches from its rv
        else:
            self.queue.append(seen)
        self.wakeup.set()


DEFAULT_HISTORY_SECONDS = 300.0  # kube-apiserver compacts etcd every 5 minutes


class Store:
    """Objects plus the watch history, which compaction bounds by age as etcd's is bounded
    (`history_seconds`); `history_size` optionally bounds it by count as well."""

    def __init__(self, history_size: int | None = None,
                 history_seconds: float = DEFAULT_HISTORY_SECONDS) -> None:
        self.rv = 0
        self.dirty = False
        self.history_seconds = history_seconds
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._history: collections.deque[tuple[str, Event]] = collections.deque(maxlen=history_size)
        self._history_floor = 0  # events after this rv are all in the history (the compacted rv)
        self._watchers: dict[str, set[Watcher]] = {}
        self._uids: dict[str, Key] = {}
        self._dependents: dict[str, set[Key]] = {}

    # Reads ---------------------------------------------------------------------------------
    def get(self, qualified: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self._objects.get(qualified, {}).get((namespace, name))

    def items(self, qualified: str, namespace: str | None = None) -> list[dict[str, Any]]:
        objects = self._objects.get(qualified, {})
        keys = sorted(k for k in objects if namespace is None or k[0] == namespace)
        return [objects[k] for k in keys]

    def qualified_names(self) -> list[str]:
        return list(self._objects)

    def by_uid(self, uid: str) -> Key | None:
        return self._uids.get(uid)

    def dependents(self, owner_uid: str) -> list[Key]:
        return sorted(self._dependents.get(owner_uid, ()))

    # Writes --------------------------------------------------------------------------------
    def put(self, qualified: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store obj (the caller hands it over) with a new resourceVersion; emit ADDED/MODIFIED."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self._objects.setdefault(qualified, {}).get(key)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._objects[qualified][key] = obj
        self._index(qualified, key, old, obj)
        self._emit(qualified, Event("MODIFIED" if old else "ADDED", obj, old, self.rv))
        return obj

    def remove(self, qualified: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Delete the object, whose last state (which the caller hands over) the DELETED event
        carries with a new resourceVersion, as on the real server."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self._objects.get(qualified, {}).pop(key)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._index(qualified, key, old, None)
        self._emit(qualified, Event("DELETED", obj, old, self.rv))
        return obj

    def _index(self, qualified: str, key: tuple[str, str], old: dict | None,
               new: dict | None) -> None:
        full: Key = (qualified, key[0], key[1])
        for obj, adding in ((old, False), (new, True)):
            if obj is None:
                continue
            meta = obj["metadata"]
            if adding:
                self._uids[meta["uid"]] = full
            else:
                self._uids.pop(meta["uid"], None)
            for ref in meta.get("ownerReferences") or []:
                owners = self._dependents.setdefault(ref["uid"], set())
                if adding:
                    owners.add(full)
                else:
                    owners.discard(full)
                    if not owners:
                        del self._dependents[ref["uid"]]

    def compact(self) -> None:
        """Drop history older than the window; a watch from before it gets 410 Gone."""
        horizon = time.monotonic() - self.history_seconds
        while self._history and self._history[0][1].at < horizon:
            self._history_floor = self._history.popleft()[1].rv

    def _emit(self, qualified: str, event: Event) -> None:
        self.dirty = True
        if len(self._history) == self._history.maxlen:
            self._history_floor = self._history[0][1].rv
        self._history.append((qualified, event))
        self.compact()
        for watcher in list(self._watchers.get(qualified, ())):
            watcher.push(event)

    # Watches -------------------------------------------------------------------------------
    def subscribe(self, watcher: Watcher, since: int | None) -> list[Event]:
        """Register the watcher; return the history it missed after `since` (410 when too old)."""
        missed: list[Event] = []
        self.compact()
        if since is not None:
            if since < self._history_floor:
                raise gone(f"too old resource version: {since} ({self._history_floor})")
            for qualified, event in self._history:
                if qualified == watcher.qualified and event.rv > since:
                    seen = watcher.translate(event)
                    if seen is not None:
                        missed.append(seen)
        self._watchers.setdefault(watcher.qualified, set()).add(watcher)
        return missed

    def unsubscribe(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.qualified, set()).discard(watcher)

    def close_watchers(self) -> None:
        for watchers in self._watchers.values():
            for watcher in list(watchers):
                watcher.close()

    # Persistence ---------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "resourceVersion": self.rv,
            "objects": {q: list(objs.values()) for q, objs in self._objects.items() if objs},
        }

    def load(self, snapshot: dict[str, Any]) -> None:
        """Restore a snapshot without events; history restarts after the restored rv."""
        for qualified, objects in snapshot.get("objects", {}).items():
            for obj in objects:
                meta = obj["metadata"]
                key = (meta.get("namespace", ""), meta["name"])
                old = self._objects.setdefault(qualified, {}).get(key)
                self._objects[qualified][key] = obj
                self._index(qualified, key, old, obj)
        self.rv = max(self.rv, int(snapshot.get("resourceVersion", 0)))
        self._history.clear()
        self._history_floor = self.rv
