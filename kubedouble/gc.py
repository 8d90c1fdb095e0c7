"""Garbage collection through ownerReferences: cascades, orphaning and foreground deletion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .operations import Cluster

FOREGROUND = "foregroundDeletion"


class GarbageCollector:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _dependent_objects(self, owner_uid: str) -> list[tuple[Any, dict[str, Any]]]:
        found = []
        for qualified, namespace, name in self.cluster.store.dependents(owner_uid):
            resource = self.cluster.resource_by_qualified(qualified)
            obj = self.cluster.store.get(qualified, namespace, name)
            if resource is not None and obj is not None:
                found.append((resource, obj))
        return found

    def has_dependents(self, owner: dict[str, Any]) -> bool:
        return bool(self.cluster.store.dependents(owner["metadata"]["uid"]))

    def orphan(self, owner: dict[str, Any]) -> None:
        """Strip references to the owner from its dependents, which then outlive it."""
        uid = owner["metadata"]["uid"]
        for resource, obj in self._dependent_objects(uid):
            refs = [r for r in obj["metadata"].get("ownerReferences", []) if r.get("uid") != uid]
            self.cluster.patch_metadata(resource, obj, {"ownerReferences": refs or None})

    def delete_dependents(self, owner: dict[str, Any], propagation: str) -> None:
        """Delete dependents that have no other live owner (as the real collector does)."""
        uid = owner["metadata"]["uid"]
        for resource, obj in self._dependent_objects(uid):
            others = [r for r in obj["metadata"].get("ownerReferences", [])
                      if r.get("uid") != uid and self.cluster.store.by_uid(r.get("uid", ""))]
            if others:
                refs = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
                self.cluster.patch_metadata(resource, obj, {"ownerReferences": refs})
            else:
                self.cluster.delete(resource, obj["metadata"].get("namespace", ""),
                                    obj["metadata"]["name"], propagation=propagation)

    def after_removal(self, removed: dict[str, Any]) -> None:
        """An object is gone: collect its dependents, and release owners waiting in foreground."""
        self.delete_dependents(removed, "Background")
        for ref in removed["metadata"].get("ownerReferences") or []:
            self.release_foreground(ref.get("uid", ""))

    def release_foreground(self, owner_uid: str) -> None:
        """Drop the foreground finalizer of an owner whose dependents are all gone."""
        key = self.cluster.store.by_uid(owner_uid)
        if key is None:
            return
        owner = self.cluster.store.get(*key)
        resource = self.cluster.resource_by_qualified(key[0])
        if (owner is None or resource is None or not self._waits_in_foreground(owner)
                or self.has_dependents(owner)):
            return
        finalizers = [f for f in owner["metadata"]["finalizers"] if f != FOREGROUND]
        self.cluster.patch_metadata(resource, owner, {"finalizers": finalizers or None})

    @staticmethod
    def _waits_in_foreground(obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        return bool(meta.get("deletionTimestamp")) and FOREGROUND in (meta.get("finalizers") or [])
