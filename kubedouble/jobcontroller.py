"""Stands in for the Job controller (and the TTL-after-finished controller).

It follows pkg/controller/job/job_controller.go syncJob (Kubernetes 1.33): pods carry the
`batch.kubernetes.io/job-tracking` finalizer until they are counted (through
status.uncountedTerminatedPods); a failing Job first gets FailureTarget (a succeeding one
SuccessCriteriaMet), its active pods are deleted through the API, and Failed/Complete follow
once no pod is left terminating; replacements wait out the pod failure backoff; suspend deletes
the active pods. The decisions themselves are in jobpolicy.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import errors
from .clock import format_time, now
from .jobpolicy import (
    TRACKING_FINALIZER,
    BackoffRecord,
    counted_failures,
    deadline_of,
    fail_job_message,
    is_active,
    is_pod_failed,
    is_ready,
    is_terminating,
    is_tracked,
    next_backoff_record,
    only_replaces_failed,
    past_backoff_limit_on_failure,
    phase_of,
)
from .jobstatus import (
    add_interim,
    condition,
    count_finished,
    ensure_suspension,
    find_condition,
    finished_at,
    move_counted,
    serialised,
    set_uncounted,
)
from .operations import Cluster, clone
from .store import Event
from .workqueue import Key, WorkQueue, serve

BACKOFF = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETED = ("CompletionsReached", "Reached expected number of succeeded pods")
POLICY = "PodFailurePolicy"


@dataclass
class JobControllerSettings:
    # DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff: a replacement for a failed pod
    # waits 10 s, doubling per consecutive failure, at most 6 min.
    pod_failure_backoff_seconds: float = 10.0
    pod_failure_backoff_max_seconds: float = 360.0


def _removal_order(pod: dict[str, Any]) -> tuple[bool, bool, bool]:
    """controller.ActivePods: unscheduled, then pending, then not ready pods go first."""
    return (bool(pod["spec"].get("nodeName")), phase_of(pod) == "Running", is_ready(pod))


def _uid(pod: dict[str, Any]) -> str:
    return str(pod["metadata"]["uid"])


class JobController:
    def __init__(self, cluster: Cluster, settings: JobControllerSettings | None = None) -> None:
        self.cluster = cluster
        self.settings = settings or JobControllerSettings()
        self.jobs = cluster.resource("batch", "v1", "jobs")
        self.pods = cluster.resource("", "v1", "pods")
        self.queue = WorkQueue()
        self._backoff: dict[Key, BackoffRecord] = {}  # the controller's podBackoffStore

    async def run(self) -> None:
        for job in self.cluster.store.items(self.jobs.qualified):
            self._enqueue(job)
        for pod in self.cluster.store.items(self.pods.qualified):
            self._release_orphan(pod)
        await serve(self.cluster.store, (self.jobs.qualified, self.pods.qualified), self.queue,
                    self._changed, self.reconcile)

    def _changed(self, event: Event) -> None:
        if event.obj["kind"] == "Job":
            self._enqueue(event.obj)
            return
        if event.type != "DELETED":
            self._release_orphan(event.obj)
        for ref in event.obj["metadata"].get("ownerReferences") or []:
            if ref.get("kind") == "Job" and ref.get("controller"):
                self.queue.add((event.obj["metadata"]["namespace"], ref["name"]))

    def _enqueue(self, job: dict[str, Any]) -> None:
        self.queue.add((job["metadata"]["namespace"], job["metadata"]["name"]))

    # Reconciliation ------------------------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        job = self.cluster.store.get(self.jobs.qualified, namespace, name)
        if job is None or finished_at(job) is not None:
            self._backoff.pop(key, None)
            if job is None:
                self.queue.cancel(key)
            else:
                self._expire(job)
            return
        spec, moment = job["spec"], datetime.now(UTC)
        pods = self._pods_of(job)
        status = clone(job.get("status") or {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        seen_ok = list(uncounted.get("succeeded") or [])
        seen_failed = list(uncounted.get("failed") or [])
        fresh = [p for p in pods if is_tracked(p) and _uid(p) not in seen_ok + seen_failed]
        new_ok = [p for p in fresh if phase_of(p) == "Succeeded"]
        new_failed = [p for p in fresh if is_pod_failed(p, job)]
        succeeded = status.get("succeeded", 0) + len(new_ok) + len(seen_ok)
        failed = status.get("failed", 0) + counted_failures(job, new_failed) + len(seen_failed)
        active = [p for p in pods if is_active(p)]
        counts = {"active": len(active), "ready": sum(1 for p in active if is_ready(p)),
                  "terminating": sum(1 for p in pods if is_terminating(p))}
        if not spec.get("suspend") and (not status.get("startTime") or find_condition(
                job, "Suspended")):
            # First start, or resumed: activeDeadlineSeconds counts continuous activity
            # (https://kubernetes.io/docs/concepts/workloads/controllers/job/#suspending-a-job).
            status["startTime"] = format_time(moment)
        record = next_backoff_record(self._backoff.get(key, BackoffRecord()), new_ok, new_failed)
        finished = self._finish_condition({**job, "status": status}, pods, failed, moment)
        deleting = bool(job["metadata"].get("deletionTimestamp"))
        if finished is not None:
            deleted = self._delete(job, active, counts, release=False)
            if deleted != len(active):
                finished = None  # not every active pod could be deleted: try again
        else:
            if not deleting:
                self._manage(job, active, counts, succeeded, record, moment)
            completions = spec.get("completions")
            done = succeeded > 0 if completions is None else succeeded >= completions
            if done and counts["active"] == 0:
                finished = condition("SuccessCriteriaMet", *COMPLETED, now())
            elif not deleting:
                self._suspension(job, status, moment)
        status.update(counts)
        release = count_finished(job, pods, finished, deleting, seen_ok, seen_failed)
        final = add_interim(status, finished)
        set_uncounted(status, seen_ok, seen_failed)
        job = self.cluster.write_status(self.jobs, job, serialised(status))
        if fresh:
            self._backoff[key] = record
        released = {uid for uid in (self._release(p) for p in release) if uid}
        status = clone(job["status"])
        move_counted(status, seen_ok, seen_failed, released)
        ends = (final is not None and not seen_ok and not seen_failed
                and counts["terminating"] == 0)
        if final is not None and ends:
            status["conditions"].append(final)
            if final["type"] == "Complete":
                status["completionTime"] = final["lastTransitionTime"]
        job = self.cluster.write_status(self.jobs, job, serialised(status))
        if final is not None and ends:
            self._announce(job, final)
            self._expire(job)

    def _finish_condition(self, job: dict[str, Any], pods: list[dict[str, Any]], failed: int,
                          moment: datetime) -> dict[str, Any] | None:
        """The condition the Job is headed for, if any (syncJob's finishedCondition)."""
        key = (job["metadata"]["namespace"], job["metadata"]["name"])
        stamp = format_time(moment)
        met = find_condition(job, "SuccessCriteriaMet")
        if met is not None:
            return met
        target = find_condition(job, "FailureTarget")
        if target is not None:
            return condition("Failed", target["reason"], target["message"], stamp)
        message = fail_job_message(job, pods)
        if message is not None:
            return condition("FailureTarget", POLICY, message, stamp)
        if failed > job["spec"].get("backoffLimit", 6) or past_backoff_limit_on_failure(job,
                                                                                        pods):
            return condition("FailureTarget", *BACKOFF, stamp)
        deadline = deadline_of(job)
        if deadline is not None:
            if moment >= deadline:
                return condition("FailureTarget", *DEADLINE, stamp)
            self.queue.later(key, (deadline - moment).total_seconds())
        return None

    def _manage(self, job: dict[str, Any], active: list[dict[str, Any]], counts: dict[str, int],
                succeeded: int, record: BackoffRecord, moment: datetime) -> None:
        """manageJob: delete what is too many (all, when suspended), else create what is
        missing once the failure backoff allows."""
        spec = job["spec"]
        parallelism = spec.get("parallelism", 1)
        completions = spec.get("completions")
        if spec.get("suspend"):
            want = 0
        elif completions is None:
            want = len(active) if succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - succeeded, parallelism))
        if len(active) > want:
            victims = sorted(active, key=_removal_order)[:len(active) - want]
            self._delete(job, victims, counts, release=True)
            return
        held = counts["terminating"] if only_replaces_failed(job) else 0
        missing = want - held - len(active)
        if missing <= 0:
            return
        wait = record.remaining(moment, self.settings.pod_failure_backoff_seconds,
                                self.settings.pod_failure_backoff_max_seconds)
        if wait > 0:
            self.queue.later((job["metadata"]["namespace"], job["metadata"]["name"]), wait)
            return
        for _ in range(missing):
            if not self._create_pod(job):
                self.queue.retry((job["metadata"]["namespace"], job["metadata"]["name"]))
                return
            counts["active"] += 1

    def _suspension(self, job: dict[str, Any], status: dict[str, Any], moment: datetime) -> None:
        """The Suspended condition and its Events; a resumed Job's startTime starts again."""
        suspended = bool(job["spec"].get("suspend"))
        if ensure_suspension(status, suspended, format_time(moment)):
            self._event(job, "Normal", "Suspended" if suspended else "Resumed",
                        "Job suspended" if suspended else "Job resumed")
            if not suspended:
                status["startTime"] = format_time(moment)

    # Pods ----------------------------------------------------------------------------------
    def _pods_of(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        pods = []
        for qualified, namespace, name in self.cluster.store.dependents(job["metadata"]["uid"]):
            pod = self.cluster.store.get(qualified, namespace, name)
            if qualified == self.pods.qualified and pod is not None:
                pods.append(pod)
        return pods

    def _create_pod(self, job: dict[str, Any]) -> bool:
        meta = job["metadata"]
        template = clone(job["spec"]["template"])
        pod_meta = template.get("metadata") or {}
        pod_meta.update(generateName=f"{meta['name']}-", namespace=meta["namespace"])
        pod_meta.pop("name", None)
        pod_meta["finalizers"] = [*(pod_meta.get("finalizers") or []), TRACKING_FINALIZER]
        pod_meta["ownerReferences"] = [{
            "apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}]
        try:
            pod = self.cluster.create(self.pods, meta["namespace"],
                                      {"metadata": pod_meta, "spec": template.get("spec", {})})
        except errors.ApiError as problem:
            self._event(job, "Warning", "FailedCreate", f"Error creating: {problem.message}")
            return False
        self._event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return True

    def _delete(self, job: dict[str, Any], pods: list[dict[str, Any]], counts: dict[str, int],
                *, release: bool) -> int:
        """DELETE the pods through the API (deleteJobPods drops the tracking finalizer first,
        deleteActivePods keeps it for counting); the kubelet stops them. Returns how many."""
        deleted = 0
        for pod in pods:
            meta = pod["metadata"]
            if release:
                self._release(pod)
            try:
                self.cluster.delete(self.pods, meta["namespace"], meta["name"])
            except errors.ApiError as problem:
                if problem.code != 404:
                    self._event(job, "Warning", "FailedDelete",
                                f"Error deleting: {problem.message}")
                    continue
            deleted += 1
            counts["active"] -= 1
            counts["terminating"] += 1
            counts["ready"] -= 1 if is_ready(pod) else 0
            self._event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return deleted

    def _release(self, pod: dict[str, Any]) -> str | None:
        """Remove the tracking finalizer; the pod's uid once it is off (or the pod gone)."""
        meta = pod["metadata"]
        current = self.cluster.store.get(self.pods.qualified, meta["namespace"], meta["name"])
        if current is None or current["metadata"]["uid"] != meta["uid"]:
            return str(meta["uid"])
        if not is_tracked(current):
            return str(meta["uid"])
        kept = [f for f in current["metadata"]["finalizers"] if f != TRACKING_FINALIZER]
        try:
            self.cluster.patch_metadata(self.pods, current, {"finalizers": kept or None})
        except errors.ApiError as problem:
            return str(meta["uid"]) if problem.code == 404 else None
        return str(meta["uid"])

    def _release_orphan(self, pod: dict[str, Any]) -> None:
        """syncOrphanPod: a tracked pod whose Job is gone or finished is let go."""
        if not is_tracked(pod):
            return
        refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")]
        if refs and (refs[0].get("kind") != "Job" or refs[0].get("apiVersion") != "batch/v1"):
            return
        if refs:
            found = self.cluster.store.by_uid(refs[0].get("uid", ""))
            job = self.cluster.store.get(*found) if found else None
            if job is not None and finished_at(job) is None:
                return
        self._release(pod)

    # Endings -------------------------------------------------------------------------------
    def _announce(self, job: dict[str, Any], final: dict[str, Any]) -> None:
        if final["type"] == "Complete":
            self._event(job, "Normal", "Completed", "Job completed")
        else:
            self._event(job, "Warning", final["reason"], final["message"])

    def _expire(self, job: dict[str, Any]) -> None:
        """The TTL-after-finished controller: once ttlSecondsAfterFinished has passed since
        Complete/Failed, delete the Job in the foreground, if it is still the same Job (the
        TTL is read from the Job each time: it may be set or changed after the finish)."""
        ttl = job.get("spec", {}).get("ttlSecondsAfterFinished")
        done = finished_at(job)
        meta = job["metadata"]
        if ttl is None or done is None or meta.get("deletionTimestamp"):
            return
        left = (done - datetime.now(UTC)).total_seconds() + ttl
        if left > 0:
            self.queue.later((meta["namespace"], meta["name"]), left)
            return
        with contextlib.suppress(errors.ApiError):
            self.cluster.delete(self.jobs, meta["namespace"], meta["name"],
                                propagation="Foreground", preconditions={"uid": meta["uid"]})

    def _event(self, job: dict[str, Any], kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(job, kind, reason, message, "job-controller")
