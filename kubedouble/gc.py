"""The garbage collector: cascades through ownerReferences, orphaning and foreground deletion,
asynchronously as kube-controller-manager's does them (pkg/controller/garbagecollector).

The API only marks: a DELETE with policy Orphan or Foreground leaves the owner with the
`orphan` or `foregroundDeletion` finalizer, and a removed owner leaves its dependents behind.
Each such change queues the owner's uid; the collector's task (`run`) then
- orphans: strips the owner from its dependents' ownerReferences, then drops `orphan`
  (orphanDependents);
- deletes in foreground: deletes every dependent, and drops `foregroundDeletion` once no
  dependent with `blockOwnerDeletion: true` is left (processDeletingDependentsItem);
- collects: deletes dependents whose owners are all gone (attemptToDeleteItem). Dependents are
  deleted through the API like any client's DELETE, so a pod takes its grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TYPE_CHECKING, Any

from . import apply, errors
from .graceful import FOREGROUND, GC_FINALIZERS, ORPHAN, propagation_of

if TYPE_CHECKING:
    from .operations import Cluster
    from .resources import Resource


class GarbageCollector:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._queue: deque[str] = deque()  # owner uids to look at
        self._queued: set[str] = set()
        self._wake = asyncio.Event()

    # Queueing (called by the API's writes) ---------------------------------------------------
    def attend(self, obj: dict[str, Any]) -> None:
        """An object was marked for deletion: queue it if a GC finalizer waits on the collector."""
        if set(obj["metadata"].get("finalizers") or []) & set(GC_FINALIZERS):
            self._enqueue(obj["metadata"]["uid"])

    def note_owners(self, obj: dict[str, Any]) -> None:
        """A written object names owners: one that does not exist (a dangling reference) is
        verified absent by the collector, and the dependent collected if it has no other."""
        for ref in obj["metadata"].get("ownerReferences") or []:
            if self.cluster.store.by_uid(ref.get("uid", "")) is None:
                self._enqueue(ref.get("uid", ""))

    def after_removal(self, removed: dict[str, Any]) -> None:
        """An object is gone: its dependents are collected, its owners may stop waiting."""
        self._enqueue(removed["metadata"]["uid"])
        for ref in removed["metadata"].get("ownerReferences") or []:
            self._enqueue(ref.get("uid", ""))

    def _enqueue(self, uid: str) -> None:
        if uid and uid not in self._queued:
            self._queued.add(uid)
            self._queue.append(uid)
            self._wake.set()

    # The collector's task ------------------------------------------------------------------
    async def run(self) -> None:
        apply.act_as("generic-garbage-collector")
        for obj in self._everything():  # after a restart: owners gone or waiting meanwhile
            self.attend(obj)
            self.note_owners(obj)
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            uid = self._queue.popleft()
            self._queued.discard(uid)
            try:
                self.process(uid)
            except errors.ApiError:
                asyncio.get_running_loop().call_later(0.5, self._enqueue, uid)
            await asyncio.sleep(0)  # one owner at a time: the API answers in between

    def process(self, owner_uid: str) -> None:
        key = self.cluster.store.by_uid(owner_uid)
        owner = self.cluster.store.get(*key) if key else None
        dependents = self._dependents(owner_uid)
        if owner is None:
            for resource, obj in dependents:
                self._attempt_to_delete(resource, obj)
            return
        meta = owner["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if not meta.get("deletionTimestamp"):
            return
        resource = self.cluster.resource_by_qualified(key[0]) if key else None
        if resource is None:
            return
        if ORPHAN in finalizers:
            for dep_resource, obj in dependents:
                self._drop_reference(dep_resource, obj, {owner_uid})
            self._remove_finalizer(resource, owner, ORPHAN)
        elif FOREGROUND in finalizers:
            for dep_resource, obj in dependents:
                if not obj["metadata"].get("deletionTimestamp"):
                    self._attempt_to_delete(dep_resource, obj)
            if not self._blocking(owner_uid):
                self._remove_finalizer(resource, owner, FOREGROUND)

    # Helpers -------------------------------------------------------------------------------
    def _everything(self) -> list[dict[str, Any]]:
        store = self.cluster.store
        return [obj for qualified in store.qualified_names() for obj in store.items(qualified)]

    def _dependents(self, owner_uid: str) -> list[tuple[Resource, dict[str, Any]]]:
        found = []
        for qualified, namespace, name in self.cluster.store.dependents(owner_uid):
            resource = self.cluster.resource_by_qualified(qualified)
            obj = self.cluster.store.get(qualified, namespace, name)
            if resource is not None and obj is not None:
                found.append((resource, obj))
        return found

    def _blocking(self, owner_uid: str) -> list[dict[str, Any]]:
        """Dependents that hold a foreground owner: blockOwnerDeletion true in their reference."""
        return [obj for _, obj in self._dependents(owner_uid)
                if any(r.get("uid") == owner_uid and r.get("blockOwnerDeletion")
                       for r in obj["metadata"].get("ownerReferences") or [])]

    def _owner_state(self, ref: dict[str, Any]) -> str:
        """solid (there, not waiting on its dependents), waiting (foreground) or dangling."""
        key = self.cluster.store.by_uid(ref.get("uid", ""))
        owner = self.cluster.store.get(*key) if key else None
        if owner is None:
            return "dangling"
        meta = owner["metadata"]
        if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []):
            return "waiting"
        return "solid"

    def _attempt_to_delete(self, resource: Resource, obj: dict[str, Any]) -> None:
        """attemptToDeleteItem: a dependent with a live owner left only loses its references to
        the others; one with none is deleted (in foreground if an owner waits in foreground and
        it has dependents of its own; else as its own finalizers say, or in background)."""
        refs = obj["metadata"].get("ownerReferences") or []
        states = {r.get("uid", ""): self._owner_state(r) for r in refs}
        if "solid" in states.values():
            gone = {uid for uid, state in states.items() if state != "solid"}
            if gone:
                self._drop_reference(resource, obj, gone)
            return
        if obj["metadata"].get("deletionTimestamp"):
            return
        meta = obj["metadata"]
        if "waiting" in states.values() and self._dependents(meta["uid"]):
            policy = "Foreground"
        else:  # as its own finalizers say, else Background (not the kind's default)
            policy = propagation_of(None, list(meta.get("finalizers") or []), "Background")
        with contextlib.suppress(errors.ApiError):
            self.cluster.delete(resource, meta.get("namespace", ""), meta["name"],
                                propagation=policy, preconditions={"uid": meta["uid"]})

    def _drop_reference(self, resource: Resource, obj: dict[str, Any], uids: set[str]) -> None:
        refs = [r for r in obj["metadata"].get("ownerReferences") or []
                if r.get("uid") not in uids]
        with contextlib.suppress(errors.ApiError):
            self.cluster.patch_metadata(resource, obj, {"ownerReferences": refs or None})

    def _remove_finalizer(self, resource: Resource, obj: dict[str, Any], finalizer: str) -> None:
        finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        self.cluster.patch_metadata(resource, obj, {"finalizers": finalizers or None})
