"""Stands in for the ReplicaSet controller (pkg/controller/replicaset/replica_set.go).

Each sync claims the pods its selector matches (adopting orphans, releasing pods whose labels
no longer match), creates the missing pods from the template (generateName `<rs>-`, a
controller ownerReference that blocks owner deletion) or deletes the surplus through the API
(the kubelet stops them gracefully), and writes the status. Pods that failed or went away are
no longer active, so the next sync replaces them. The decisions are in replicasetpolicy.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from . import errors
from .operations import Cluster, clone
from .replicasetpolicy import (available_in, claims, controller_of, is_active, pods_to_delete,
                               replica_set_status)
from .rollout import controller_ref
from .store import Event
from .workqueue import Key, WorkQueue, serve

COMPONENT = "replicaset-controller"


class ReplicaSetController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.replica_sets = cluster.resource("apps", "v1", "replicasets")
        self.pods = cluster.resource("", "v1", "pods")
        self.queue = WorkQueue()

    async def run(self) -> None:
        for rs in self.cluster.store.items(self.replica_sets.qualified):
            self.queue.add(_key(rs))
        await serve(self.cluster.store, (self.replica_sets.qualified, self.pods.qualified),
                    self.queue, self._changed, self.reconcile)

    def _changed(self, event: Event) -> None:
        if event.obj["kind"] == "ReplicaSet":
            self.queue.add(_key(event.obj))
        else:
            self._pod_changed(event.obj)

    def _pod_changed(self, pod: dict[str, Any]) -> None:
        """addPod/updatePod/deletePod: the owner syncs; an orphan wakes every ReplicaSet of
        its namespace that could adopt it."""
        ref = controller_of(pod)
        namespace = pod["metadata"]["namespace"]
        if ref is not None:
            if ref.get("kind") == "ReplicaSet":
                self.queue.add((namespace, ref["name"]))
            return
        for rs in self.cluster.store.items(self.replica_sets.qualified, namespace):
            self.queue.add(_key(rs))

    # Reconciliation ------------------------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> None:
        rs = self.cluster.store.get(self.replica_sets.qualified, namespace, name)
        if rs is None:
            return
        moment = datetime.now(UTC)
        pods = self._claim(rs)
        active = [p for p in pods if is_active(p)]
        if not rs["metadata"].get("deletionTimestamp"):
            self._manage(rs, active)
            pods = self._claim(rs)
        status = replica_set_status(rs, pods, moment)
        if status != rs.get("status"):
            self.cluster.write_status(self.replica_sets, rs, status)
        wait = available_in([p for p in pods if is_active(p)],
                            int(rs["spec"].get("minReadySeconds", 0)), moment)
        if wait is not None:
            self.queue.later((namespace, name), wait)

    def _claim(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        namespace = rs["metadata"]["namespace"]
        candidates = self.cluster.store.items(self.pods.qualified, namespace)
        owned, adopt, release = claims(rs, candidates)
        for pod in adopt:
            refs = [*(pod["metadata"].get("ownerReferences") or []), controller_ref(rs)]
            with contextlib.suppress(errors.ApiError):
                owned.append(self.cluster.patch_metadata(self.pods, pod,
                                                         {"ownerReferences": refs}))
        for pod in release:
            uid = rs["metadata"]["uid"]
            refs = [r for r in pod["metadata"].get("ownerReferences") or []
                    if r.get("uid") != uid]
            with contextlib.suppress(errors.ApiError):
                self.cluster.patch_metadata(self.pods, pod, {"ownerReferences": refs or None})
        return owned

    def _manage(self, rs: dict[str, Any], active: list[dict[str, Any]]) -> None:
        """manageReplicas: create what is missing, delete the surplus."""
        diff = len(active) - int(rs["spec"].get("replicas", 1))
        if diff < 0:
            for _ in range(-diff):
                self._create_pod(rs)
        for pod in pods_to_delete(active, diff):
            meta = pod["metadata"]
            try:
                self.cluster.delete(self.pods, meta["namespace"], meta["name"])
            except errors.ApiError as problem:
                if problem.code != 404:
                    self._event(rs, "Warning", "FailedDelete", f"Error deleting: "
                                                               f"{problem.message}")
                    raise
            self._event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")

    def _create_pod(self, rs: dict[str, Any]) -> None:
        meta = rs["metadata"]
        template = clone(rs["spec"].get("template") or {})
        pod_meta = {k: v for k, v in (template.get("metadata") or {}).items()
                    if k in ("labels", "annotations", "finalizers")}
        pod_meta.update(generateName=f"{meta['name']}-", ownerReferences=[controller_ref(rs)])
        try:
            pod = self.cluster.create(self.pods, meta["namespace"],
                                      {"metadata": pod_meta, "spec": template.get("spec", {})})
        except errors.ApiError as problem:
            self._event(rs, "Warning", "FailedCreate", f"Error creating: {problem.message}")
            raise
        self._event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    def _event(self, rs: dict[str, Any], kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(rs, kind, reason, message, COMPONENT)


def _key(obj: dict[str, Any]) -> Key:
    return (obj["metadata"]["namespace"], obj["metadata"]["name"])

