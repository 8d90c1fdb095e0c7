"""Stands in for the Deployment controller (pkg/controller/deployment of Kubernetes 1.33).

A sync claims the Deployment's ReplicaSets, finds or creates the new one (named
`<deployment>-<pod-template-hash>`, revision = the highest old revision + 1, the revision
copied onto the Deployment), then, as syncDeployment: a paused Deployment or a change of
replicas only scales (proportionally mid-rollout); RollingUpdate grows the new ReplicaSet
within maxSurge and shrinks the old ones while maxUnavailable allows; Recreate scales the old
ones to 0, waits for their pods to go, then scales the new one up. A finished rollout deletes
old ReplicaSets beyond revisionHistoryLimit. Every sync writes the status (counts, Available,
Progressing; ProgressDeadlineExceeded once no progress was seen for progressDeadlineSeconds).
The arithmetic is in rollout and deploymentstatus; pods are the ReplicaSet controller's.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from . import errors
from .deploymentstatus import (FOUND_NEW_RS, NEW_RS_CREATED, PROGRESSING, calculate, condition,
                               deadline_at, get_condition, has_progress_deadline, is_complete,
                               paused_condition, rollout_status, set_condition)
from .jobpolicy import TERMINAL, phase_of
from .operations import Cluster, clone
from .replicasetpolicy import claims, controller_of
from .rollout import (REVISION, REVISION_HISTORY, ReplicaSet, controller_ref,
                      copied_annotations, equal_ignore_hash, find_new, history_to_delete,
                      is_scaling_event, max_revision, new_rs_body, new_rs_new_replicas,
                      old_scale_down, replica_annotations, replicas, revision_of, scale_sizes)
from .store import Event
from .workqueue import Key, WorkQueue, serve

COMPONENT = "deployment-controller"
Deployment = dict[str, Any]


class DeploymentController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.deployments = cluster.resource("apps", "v1", "deployments")
        self.replica_sets = cluster.resource("apps", "v1", "replicasets")
        self.pods = cluster.resource("", "v1", "pods")
        self.queue = WorkQueue()

    async def run(self) -> None:
        for deployment in self.cluster.store.items(self.deployments.qualified):
            self.queue.add(_key(deployment))
        kinds = (self.deployments.qualified, self.replica_sets.qualified, self.pods.qualified)
        await serve(self.cluster.store, kinds, self.queue, self._changed, self.reconcile)

    def _changed(self, event: Event) -> None:
        obj = event.obj
        if obj["kind"] == "Deployment":
            self.queue.add(_key(obj))
        elif obj["kind"] == "ReplicaSet":
            self._replica_set_changed(obj)
        else:  # a pod: Recreate waits for the old ones to go
            ref = controller_of(obj)
            found = self.cluster.store.by_uid(ref.get("uid", "")) if ref else None
            rs = self.cluster.store.get(*found) if found else None
            if rs is not None and rs["kind"] == "ReplicaSet":
                self._replica_set_changed(rs)

    def _replica_set_changed(self, rs: ReplicaSet) -> None:
        ref = controller_of(rs)
        namespace = rs["metadata"]["namespace"]
        if ref is not None:
            if ref.get("kind") == "Deployment":
                self.queue.add((namespace, ref["name"]))
            return
        for deployment in self.cluster.store.items(self.deployments.qualified, namespace):
            self.queue.add(_key(deployment))  # an orphan: whoever matches adopts it

    # Reconciliation ------------------------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> None:
        deployment = self.cluster.store.get(self.deployments.qualified, namespace, name)
        if deployment is None:
            return
        rss = self._claim(deployment)
        moment = datetime.now(UTC)
        if deployment["metadata"].get("deletionTimestamp"):
            self._write_status(deployment, calculate(deployment, rss, find_new(deployment, rss),
                                                     moment))
            return
        paused = paused_condition(deployment, moment)
        if paused is not None:
            status = clone(deployment.get("status") or {})
            set_condition(status, paused)
            deployment = self._write_status(deployment, status)
        active = [rs for rs in rss if replicas(rs) > 0]
        if deployment["spec"].get("paused") or is_scaling_event(deployment, active):
            self._sync(deployment, rss)
        elif (deployment["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._recreate(deployment, rss)
        else:
            self._rolling(deployment, rss)

    def _claim(self, deployment: Deployment) -> list[ReplicaSet]:
        namespace = deployment["metadata"]["namespace"]
        candidates = self.cluster.store.items(self.replica_sets.qualified, namespace)
        owned, adopt, release = claims(deployment, candidates)
        for rs in adopt:
            refs = [*(rs["metadata"].get("ownerReferences") or []), controller_ref(deployment)]
            owned.append(self.cluster.patch_metadata(self.replica_sets, rs,
                                                     {"ownerReferences": refs}))
        for rs in release:
            uid = deployment["metadata"]["uid"]
            refs = [r for r in rs["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            self.cluster.patch_metadata(self.replica_sets, rs, {"ownerReferences": refs or None})
        return owned

    # The strategies ------------------------------------------------------------------------
    def _sync(self, deployment: Deployment, rss: list[ReplicaSet]) -> None:
        """sync: scale only (paused, or spec.replicas changed); a paused one cleans up."""
        deployment, new_rs, old = self._new_and_old(deployment, rss, create=False)
        by_name = {rs["metadata"]["name"]: rs for rs in rss}
        for rs_name, size in scale_sizes(deployment, new_rs, old).items():
            self._scale(by_name[rs_name], size, deployment)
        if deployment["spec"].get("paused"):
            self._cleanup(deployment, old)
        rss = self._claim(deployment)
        new_rs = find_new(deployment, rss)
        self._write_status(deployment, calculate(deployment, rss, new_rs,
                                                 datetime.now(UTC)))

    def _rolling(self, deployment: Deployment, rss: list[ReplicaSet]) -> None:
        """rolloutRolling: scale the new ReplicaSet up, or else the old ones down."""
        deployment, new_rs, old = self._new_and_old(deployment, rss, create=True)
        assert new_rs is not None
        everything = [*old, new_rs]
        desired = int(deployment["spec"].get("replicas", 1))
        if replicas(new_rs) != desired:
            size = desired if replicas(new_rs) > desired else new_rs_new_replicas(
                deployment, everything, new_rs)
            if self._scale(new_rs, size, deployment):
                return self._rollout_status(deployment)
        active_old = [rs for rs in old if replicas(rs) > 0]
        plan = old_scale_down(deployment, new_rs, active_old)
        by_name = {rs["metadata"]["name"]: rs for rs in old}
        scaled = [self._scale(by_name[n], size, deployment) for n, size in plan.items()]
        if any(scaled):
            return self._rollout_status(deployment)
        if is_complete(deployment, deployment.get("status") or {}):
            self._cleanup(deployment, old)
        return self._rollout_status(deployment)

    def _recreate(self, deployment: Deployment, rss: list[ReplicaSet]) -> None:
        """rolloutRecreate: old ReplicaSets to 0, their pods gone, then the new one up."""
        deployment, new_rs, old = self._new_and_old(deployment, rss, create=False)
        scaled = [self._scale(rs, 0, deployment) for rs in old if replicas(rs) > 0]
        if any(scaled) or self._old_pods_running(old):
            return self._rollout_status(deployment)
        if new_rs is None:
            deployment, new_rs, old = self._new_and_old(deployment, self._claim(deployment),
                                                        create=True)
        assert new_rs is not None
        self._scale(new_rs, int(deployment["spec"].get("replicas", 1)), deployment)
        if is_complete(deployment, deployment.get("status") or {}):
            self._cleanup(deployment, old)
        return self._rollout_status(deployment)

    def _old_pods_running(self, old: list[ReplicaSet]) -> bool:
        """oldPodsRunning: an old ReplicaSet still counts pods, or owns one not terminal."""
        if any((rs.get("status") or {}).get("replicas", 0) > 0 for rs in old):
            return True
        for rs in old:
            for qualified, namespace, name in self.cluster.store.dependents(
                    rs["metadata"]["uid"]):
                pod = self.cluster.store.get(qualified, namespace, name)
                if qualified == self.pods.qualified and pod is not None \
                        and phase_of(pod) not in TERMINAL:
                    return True
        return False

    # The new ReplicaSet --------------------------------------------------------------------
    def _new_and_old(self, deployment: Deployment, rss: list[ReplicaSet], *,
                     create: bool) -> tuple[Deployment, ReplicaSet | None, list[ReplicaSet]]:
        """getAllReplicaSetsAndSyncRevision: (Deployment, new ReplicaSet or None, old ones),
        revisions and annotations synced."""
        found = find_new(deployment, rss)
        old = [rs for rs in rss if found is None or rs["metadata"]["uid"] != found[
            "metadata"]["uid"]]
        revision = max_revision(old) + 1
        if found is not None:
            new_rs = self._sync_new(deployment, found, revision)
            deployment = self._set_revision(deployment, revision_of(new_rs))
            if has_progress_deadline(deployment) and get_condition(
                    deployment.get("status") or {}, PROGRESSING) is None:
                deployment = self._progressing(deployment, FOUND_NEW_RS,
                                               f'Found new replica set "{new_rs["metadata"]["name"]}"')
            return deployment, new_rs, old
        if not create:
            return deployment, None, old
        new_rs = self._create_new(deployment, old, revision)
        deployment = self._set_revision(deployment, revision)
        return deployment, new_rs, old

    def _sync_new(self, deployment: Deployment, rs: ReplicaSet, revision: int) -> ReplicaSet:
        """SetNewReplicaSetAnnotations on an existing new ReplicaSet, and its minReadySeconds;
        a ReplicaSet brought back (rollout undo) keeps its old revisions in revision-history."""
        updated = clone(rs)
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations.update(copied_annotations(deployment))
        before = revision_of(rs)
        if before < revision:
            annotations[REVISION] = str(revision)
            if before:
                history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
                annotations[REVISION_HISTORY] = ",".join([*history, str(before)])
        updated["spec"]["minReadySeconds"] = deployment["spec"].get("minReadySeconds", 0)
        if updated == rs:
            return rs
        return self._replace(updated)

    def _create_new(self, deployment: Deployment, old: list[ReplicaSet],
                    revision: int) -> ReplicaSet:
        collisions = (deployment.get("status") or {}).get("collisionCount")
        body = new_rs_body(deployment, collisions)
        body["metadata"]["annotations"] = {**copied_annotations(deployment),
                                           REVISION: str(revision),
                                           **replica_annotations(deployment)}
        body["spec"]["replicas"] = new_rs_new_replicas(deployment, [*old, body], body)
        namespace = deployment["metadata"]["namespace"]
        try:
            created = self.cluster.create(self.replica_sets, namespace, body)
        except errors.ApiError as problem:
            if problem.code != 409:
                raise
            existing = self.cluster.get(self.replica_sets, namespace, body["metadata"]["name"])
            ref = controller_of(existing) or {}
            if ref.get("uid") == deployment["metadata"]["uid"] and equal_ignore_hash(
                    existing["spec"].get("template") or {}, deployment["spec"]["template"]):
                return existing
            status = clone(deployment.get("status") or {})
            status["collisionCount"] = int(collisions or 0) + 1  # a hash collision: rehash
            self._write_status(deployment, status)
            raise
        if replicas(created) > 0:
            self._event(deployment, "ScalingReplicaSet", f"Scaled up replica set "
                        f"{created['metadata']['name']} from 0 to {replicas(created)}")
        if has_progress_deadline(deployment):
            self._progressing(deployment, NEW_RS_CREATED,
                              f'Created new replica set "{created["metadata"]["name"]}"')
        return created

    def _progressing(self, deployment: Deployment, reason: str, message: str) -> Deployment:
        status = clone(deployment.get("status") or {})
        set_condition(status, condition(PROGRESSING, "True", reason, message,
                                        datetime.now(UTC)))
        return self._write_status(deployment, status)

    def _set_revision(self, deployment: Deployment, revision: int) -> Deployment:
        """SetDeploymentRevision: the Deployment shows its new ReplicaSet's revision."""
        current = self.cluster.get(self.deployments, deployment["metadata"]["namespace"],
                                   deployment["metadata"]["name"])
        if (current["metadata"].get("annotations") or {}).get(REVISION) == str(revision):
            return current
        return self.cluster.patch_metadata(self.deployments, current,
                                           {"annotations": {REVISION: str(revision)}})

    # Writes --------------------------------------------------------------------------------
    def _scale(self, rs: ReplicaSet, size: int, deployment: Deployment) -> bool:
        """scaleReplicaSetAndRecordEvent: the size and the desired/max annotations."""
        current = self.cluster.get(self.replica_sets, rs["metadata"]["namespace"],
                                   rs["metadata"]["name"])
        before = replicas(current)
        if before == size:
            return False
        updated = clone(current)
        updated["spec"]["replicas"] = size
        updated["metadata"].setdefault("annotations", {}).update(
            replica_annotations(deployment))
        self._replace(updated)
        direction = "up" if size > before else "down"
        self._event(deployment, "ScalingReplicaSet", f"Scaled {direction} replica set "
                    f"{rs['metadata']['name']} from {before} to {size}")
        return True

    def _replace(self, rs: ReplicaSet) -> ReplicaSet:
        meta = rs["metadata"]
        return self.cluster.replace(self.replica_sets, meta["namespace"], meta["name"], rs)

    def _cleanup(self, deployment: Deployment, old: list[ReplicaSet]) -> None:
        for rs_name in history_to_delete(deployment, old):
            with contextlib.suppress(errors.ApiError):
                self.cluster.delete(self.replica_sets, deployment["metadata"]["namespace"],
                                    rs_name)

    def _rollout_status(self, deployment: Deployment) -> None:
        """syncRolloutStatus, then requeueStuckDeployment: sync again at the deadline."""
        current = self.cluster.get(self.deployments, deployment["metadata"]["namespace"],
                                   deployment["metadata"]["name"])
        rss = self._claim(current)
        moment = datetime.now(UTC)
        status = rollout_status(current, rss, find_new(current, rss), moment)
        self._write_status(current, status)
        deadline = deadline_at(current, status)
        if deadline is not None:
            self.queue.later(_key(current), (deadline - moment).total_seconds() + 1)

    def _write_status(self, deployment: Deployment, status: dict[str, Any]) -> Deployment:
        current = self.cluster.get(self.deployments, deployment["metadata"]["namespace"],
                                   deployment["metadata"]["name"])
        if status == current.get("status"):
            return current
        return self.cluster.write_status(self.deployments, current, status)

    def _event(self, deployment: Deployment, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(deployment, "Normal", reason, message, COMPONENT)


def _key(obj: dict[str, Any]) -> Key:
    return (obj["metadata"]["namespace"], obj["metadata"]["name"])
