"""A Job's status as the Job controller writes it: conditions, and counting finished pods
through uncountedTerminatedPods (pkg/controller/job/job_controller.go
trackJobStatusAndRemoveFinalizers, newCondition, ensureJobConditionStatus). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import now, parse_time
from .jobpolicy import is_pod_failed, is_tracked, match_pod_failure_policy, phase_of

Pod = dict[str, Any]


def condition(kind: str, reason: str, message: str, stamp: str,
              status: str = "True") -> dict[str, Any]:
    return {"type": kind, "status": status, "lastProbeTime": stamp, "lastTransitionTime": stamp,
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


def count_finished(job: dict[str, Any], pods: list[Pod], finished: dict[str, Any] | None,
                   deleting: bool, seen_ok: list[str], seen_failed: list[str]) -> list[Pod]:
    """Adds the newly finished pods' uids to seen_ok/seen_failed (uncountedTerminatedPods;
    an ignored failure goes to neither; once the Job is failing every pod left counts as
    failed) and returns the pods whose tracking finalizer may go (canRemoveFinalizer)."""
    policy = job["spec"].get("podFailurePolicy")
    failing = finished is not None and finished["type"] != "SuccessCriteriaMet"
    release = []
    for pod in pods:
        if not is_tracked(pod):
            continue
        uid, considered_failed = str(pod["metadata"]["uid"]), is_pod_failed(pod, job)
        if not (deleting or finished is not None or phase_of(pod) == "Succeeded"
                or considered_failed):
            continue
        release.append(pod)
        if phase_of(pod) == "Succeeded" and uid not in seen_failed:
            if uid not in seen_ok:
                seen_ok.append(uid)
        elif ((considered_failed or failing) and uid not in seen_failed
              and match_pod_failure_policy(policy, pod).counts):
            seen_failed.append(uid)
    return release


def add_interim(status: dict[str, Any], finished: dict[str, Any] | None) -> dict | None:
    """Adds FailureTarget/SuccessCriteriaMet to the status now; returns the Failed/Complete
    condition that follows once every pod is counted and none is terminating."""
    if finished is None:
        return None
    conditions = status.setdefault("conditions", [])
    if finished["type"] == "FailureTarget":
        conditions.append(finished)
        return condition("Failed", finished["reason"], finished["message"], now())
    if finished["type"] == "SuccessCriteriaMet":
        if not any(c.get("type") == "SuccessCriteriaMet" for c in conditions):
            conditions.append(finished)
        return condition("Complete", finished["reason"], finished["message"], now())
    return finished


def set_uncounted(status: dict[str, Any], ok: list[str], failed: list[str]) -> None:
    status["uncountedTerminatedPods"] = {k: v for k, v in (("succeeded", ok),
                                                           ("failed", failed)) if v}


def move_counted(status: dict[str, Any], seen_ok: list[str], seen_failed: list[str],
                 released: set[str]) -> None:
    """cleanUncountedPodsWithoutFinalizers: uids whose finalizer is off become counts."""
    status["succeeded"] = status.get("succeeded", 0) + len(set(seen_ok) & released)
    status["failed"] = status.get("failed", 0) + len(set(seen_failed) & released)
    seen_ok[:] = [u for u in seen_ok if u not in released]
    seen_failed[:] = [u for u in seen_failed if u not in released]
    set_uncounted(status, seen_ok, seen_failed)


def serialised(status: dict[str, Any]) -> dict[str, Any]:
    """The status as the API serialises it: zero counters (omitempty) and empty conditions
    left out; ready, terminating and uncountedTerminatedPods always there."""
    status = dict(status)
    for key in ("active", "succeeded", "failed"):
        if not status.get(key):
            status.pop(key, None)
    if not status.get("conditions"):
        status.pop("conditions", None)
    return status


def ensure_suspension(status: dict[str, Any], suspended: bool, stamp: str) -> bool:
    """ensureJobConditionStatus for Suspended: True (JobSuspended) while suspended; False
    (JobResumed) once resumed, never added as False. Returns whether it changed."""
    wanted = ("True", "JobSuspended", "Job suspended") if suspended else (
        "False", "JobResumed", "Job resumed")
    conditions = status.setdefault("conditions", [])
    made = condition("Suspended", wanted[1], wanted[2], stamp, wanted[0])
    for index, item in enumerate(conditions):
        if item.get("type") == "Suspended":
            if (item.get("status"), item.get("reason"), item.get("message")) == wanted:
                return False
            conditions[index] = made
            return True
    if not suspended:
        return False
    conditions.append(made)
    return True
