"""Stands in for the Job controller (and the TTL-after-finished controller)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors
from .clock import format_time, now, parse_time
from .kubelet import Kubelet
from .operations import Cluster, clone
from .selectors import Selector
from .store import Watcher

BACKOFF = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETED = ("CompletionsReached", "Reached expected number of succeeded pods")
ACTIVE_PHASES = ("Pending", "Running")


def condition(kind: str, reason: str, message: str, stamp: str) -> dict[str, Any]:
    return {"type": kind, "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def find_condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for item in (job.get("status") or {}).get("conditions") or []:
        if item.get("type") == kind and item.get("status") == "True":
            return item
    return None


def finished_at(job: dict[str, Any]) -> datetime | None:
    """When the Job reached Complete or Failed (None while it runs)."""
    for kind in ("Complete", "Failed"):
        found = find_condition(job, kind)
        if found:
            return parse_time(found["lastTransitionTime"])
    return None


def pod_counts(pods: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """(active, ready, succeeded, failed) among the Job's pods."""
    phases = [p.get("status", {}).get("phase") for p in pods]
    ready = sum(1 for p in pods if p.get("status", {}).get("phase") == "Running")
    return (sum(1 for ph in phases if ph in ACTIVE_PHASES), ready,
            phases.count("Succeeded"), phases.count("Failed"))


def restarts(pods: list[dict[str, Any]]) -> int:
    """Container restarts in the active pods, which count as failures under OnFailure
    (pkg/controller/job/job_controller.go pastBackoffLimitOnFailure)."""
    return sum(item.get("restartCount", 0) for pod in pods
               if pod.get("status", {}).get("phase") in ACTIVE_PHASES
               for key in ("initContainerStatuses", "containerStatuses")
               for item in pod["status"].get(key) or [])


def failure_reason(job: dict[str, Any], failed: int, moment: datetime,
                   restarted: int = 0) -> tuple[str, str] | None:
    """Why a running Job must fail now: past its deadline, or out of retries (failed pods, or
    with restartPolicy OnFailure, restarts too)."""
    spec, status = job.get("spec", {}), job.get("status", {})
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and status.get("startTime"):
        if moment >= parse_time(status["startTime"]) + timedelta(seconds=deadline):
            return DEADLINE
    limit = spec.get("backoffLimit", 6)
    if failed > limit:
        return BACKOFF
    on_failure = (spec.get("template") or {}).get("spec", {}).get("restartPolicy") == "OnFailure"
    if on_failure and (restarted > 0 if limit == 0 else restarted >= limit):
        return BACKOFF
    return None


class JobController:
    def __init__(self, cluster: Cluster, kubelet: Kubelet) -> None:
        self.cluster = cluster
        self.kubelet = kubelet
        self.jobs = cluster.resource("batch", "v1", "jobs")
        self.pods = cluster.resource("", "v1", "pods")
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._queued: set[tuple[str, str]] = set()
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}

    async def run(self) -> None:
        watchers = [Watcher(r.qualified, None, Selector()) for r in (self.jobs, self.pods)]
        for watcher in watchers:
            self.cluster.store.subscribe(watcher, None)
        for job in self.cluster.store.items(self.jobs.qualified):
            self._enqueue(job)
        feeders = [asyncio.ensure_future(self._feed(w)) for w in watchers]
        try:
            while True:
                key = await self._queue.get()
                self._queued.discard(key)
                try:
                    self.reconcile(*key)
                except errors.ApiError:
                    self._later(key, 0.5)  # a conflicting write: look again shortly
        finally:
            for feeder in feeders:
                feeder.cancel()
            for watcher in watchers:
                self.cluster.store.unsubscribe(watcher)
            for timer in self._timers.values():
                timer.cancel()

    async def _feed(self, watcher: Watcher) -> None:
        while True:
            for event in await watcher.next_batch():
                if event.obj["kind"] == "Job":
                    self._enqueue(event.obj)
                for ref in event.obj["metadata"].get("ownerReferences") or []:
                    if ref.get("kind") == "Job" and ref.get("controller"):
                        self._enqueue_key((event.obj["metadata"]["namespace"], ref["name"]))

    def _enqueue(self, job: dict[str, Any]) -> None:
        self._enqueue_key((job["metadata"]["namespace"], job["metadata"]["name"]))

    def _enqueue_key(self, key: tuple[str, str]) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def _later(self, key: tuple[str, str], delay: float) -> None:
        if key in self._timers:
            self._timers[key].cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(max(delay, 0), self._enqueue_key, key)

    # Reconciliation ------------------------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> None:
        job = self.cluster.store.get(self.jobs.qualified, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            timer = self._timers.pop((namespace, name), None)
            if timer:
                timer.cancel()
            return
        done = finished_at(job)
        if done is not None:
            self._expire(job, done)
            return
        pods = self._pods_of(job)
        active, ready, succeeded, failed = pod_counts(pods)
        status = clone(job.get("status") or {})
        moment = datetime.now(UTC)
        if job.get("spec", {}).get("suspend"):
            for pod in pods:
                self._stop_pod(pod)
            return
        status.setdefault("startTime", format_time(moment))
        status.update(active=active, ready=ready, succeeded=succeeded, failed=failed,
                      terminating=0, uncountedTerminatedPods={})
        for key in ("active", "succeeded", "failed"):
            if not status[key]:
                del status[key]
        target = find_condition(job, "FailureTarget") or find_condition(job, "SuccessCriteriaMet")
        conditions = status.setdefault("conditions", [])
        if target is None:
            why = failure_reason({**job, "status": status}, failed, moment, restarts(pods))
            if why is not None:
                target = condition("FailureTarget", *why, now())
                for pod in pods:
                    if pod.get("status", {}).get("phase") in ACTIVE_PHASES:
                        self._stop_pod(pod)
            elif succeeded >= job["spec"].get("completions", 1):
                target = condition("SuccessCriteriaMet", *COMPLETED, now())
            if target is not None:
                conditions.append(target)
        if target is None and active == 0:
            self._create_pod(job)
            status["active"] = 1
        if not conditions:
            del status["conditions"]
        job = self.cluster.write_status(self.jobs, job, status)
        if target is not None and active == 0:
            self._finish(job, target)
        elif target is None:
            deadline = job["spec"].get("activeDeadlineSeconds")
            if deadline is not None:
                end = parse_time(status["startTime"]) + timedelta(seconds=deadline)
                self._later((namespace, name), (end - moment).total_seconds())

    def _stop_pod(self, pod: dict[str, Any]) -> None:
        """Delete the pod through the API, as the real controller does (deleteActivePods): its
        kubelet stops it within its grace period; a pod on no node yet goes at once."""
        meta = pod["metadata"]
        with contextlib.suppress(errors.ApiError):
            self.cluster.delete(self.pods, meta["namespace"], meta["name"],
                                preconditions={"uid": meta["uid"]})

    def _pods_of(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        pods = []
        for qualified, namespace, name in self.cluster.store.dependents(job["metadata"]["uid"]):
            pod = self.cluster.store.get(qualified, namespace, name)
            if qualified == self.pods.qualified and pod is not None:
                pods.append(pod)
        return pods

    def _create_pod(self, job: dict[str, Any]) -> None:
        meta = job["metadata"]
        template = clone(job["spec"]["template"])
        pod_meta = template.get("metadata") or {}
        pod_meta.update(generateName=f"{meta['name']}-", namespace=meta["namespace"])
        pod_meta.pop("name", None)
        pod_meta["ownerReferences"] = [{
            "apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}]
        pod = self.cluster.create(self.pods, meta["namespace"],
                                  {"metadata": pod_meta, "spec": template.get("spec", {})})
        self._event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    def _finish(self, job: dict[str, Any], target: dict[str, Any]) -> None:
        status = clone(job["status"])
        stamp = now()
        if target["type"] == "SuccessCriteriaMet":
            status["conditions"].append(condition("Complete", *COMPLETED, stamp))
            status["completionTime"] = stamp
            self._event(job, "Normal", "Completed", "Job completed")
        else:
            status["conditions"].append(condition("Failed", target["reason"], target["message"],
                                                  stamp))
            self._event(job, "Warning", target["reason"], target["message"])
        job = self.cluster.write_status(self.jobs, job, status)
        self._expire(job, parse_time(stamp))

    def _expire(self, job: dict[str, Any], done: datetime) -> None:
        """ttlSecondsAfterFinished: delete the finished Job (in foreground, as the real one)."""
        ttl = job.get("spec", {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        meta = job["metadata"]
        left = (done + timedelta(seconds=ttl) - datetime.now(UTC)).total_seconds()
        if left > 0:
            self._later((meta["namespace"], meta["name"]), left)
            return
        with contextlib.suppress(errors.ApiError):
            self.cluster.delete(self.jobs, meta["namespace"], meta["name"],
                                propagation="Foreground")

    def _event(self, job: dict[str, Any], kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(job, kind, reason, message, "job-controller")
