"""The Job controller's pure decisions: which pods count, podFailurePolicy, the failure backoff.

Each function follows a piece of pkg/controller/job (Kubernetes 1.33): pod_failure_policy.go
(matchPodFailurePolicy), backoff_utils.go (backoffRecord, getFinishedTime,
getRemainingTimeForFailuresCount) and job_controller.go (isPodFailed, pastBackoffLimitOnFailure,
pastActiveDeadline), and pkg/controller/controller_utils.go (FilterActivePods,
CountTerminatingPods).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .clock import parse_time

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
TERMINAL = ("Succeeded", "Failed")
Pod = dict[str, Any]


# Pods ---------------------------------------------------------------------------------------
def phase_of(pod: Pod) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_terminating(pod: Pod) -> bool:
    """controller.CountTerminatingPods: being deleted and not yet terminal."""
    return bool(pod["metadata"].get("deletionTimestamp")) and phase_of(pod) not in TERMINAL


def is_active(pod: Pod) -> bool:
    """controller.FilterActivePods: neither terminal nor being deleted."""
    return phase_of(pod) not in TERMINAL and not pod["metadata"].get("deletionTimestamp")


def is_ready(pod: Pod) -> bool:
    """podutil.IsPodReady: the Ready condition is True."""
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def is_tracked(pod: Pod) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def only_replaces_failed(job: dict[str, Any]) -> bool:
    """podReplacementPolicy Failed (the default once a podFailurePolicy is set)."""
    return (job.get("spec") or {}).get("podReplacementPolicy") == "Failed"


def is_pod_failed(pod: Pod, job: dict[str, Any]) -> bool:
    """isPodFailed: Failed; or, unless only failed pods are replaced, being deleted and not
    Succeeded (an orphan may never reach Failed)."""
    if phase_of(pod) == "Failed":
        return True
    if only_replaces_failed(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase_of(pod) != "Succeeded"


# podFailurePolicy --------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyMatch:
    """What matchPodFailurePolicy says of a failed pod."""

    counts: bool = True  # counted towards backoffLimit (False for Ignore)
    action: str | None = None  # the matched rule's action, None when no rule matched
    fail_job_message: str | None = None  # set for FailJob


def _exit_code_matches(code: int, requirement: dict[str, Any]) -> bool:
    values = requirement.get("values") or []
    operator = requirement.get("operator")
    if operator == "In":
        return code in values
    if operator == "NotIn":
        return code not in values
    return False


def matching_container(status: dict[str, Any], requirement: dict[str, Any]) -> dict | None:
    """matchOnExitCodes: the first terminated container (app containers, then init ones)
    with a non-zero exit code the requirement matches."""
    wanted = requirement.get("containerName")
    for key in ("containerStatuses", "initContainerStatuses"):
        for item in status.get(key) or []:
            terminated = (item.get("state") or {}).get("terminated")
            if terminated is None or (wanted is not None and item.get("name") != wanted):
                continue
            code = int(terminated.get("exitCode", 0))
            if code != 0 and _exit_code_matches(code, requirement):
                return dict(item)
    return None


def matching_condition(status: dict[str, Any], patterns: Sequence[dict]) -> dict | None:
    """matchOnPodConditions: the first pod condition some pattern names (type and status)."""
    for item in status.get("conditions") or []:
        for pattern in patterns:
            if item.get("type") == pattern.get("type") and item.get("status") == pattern.get(
                    "status"):
                return dict(item)
    return None


def match_pod_failure_policy(policy: dict[str, Any] | None, pod: Pod) -> PolicyMatch:
    """The first rule matching the failed pod decides; no rule matching means Count."""
    if policy is None:
        return PolicyMatch()
    status = pod.get("status") or {}
    meta = pod["metadata"]
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        message = None
        if rule.get("onExitCodes") is not None:
            found = matching_container(status, rule["onExitCodes"])
            if found is None:
                continue
            code = found["state"]["terminated"]["exitCode"]
            message = (f"Container {found.get('name')} for pod {meta.get('namespace')}/"
                       f"{meta['name']} failed with exit code {code} matching {action} rule "
                       f"at index {index}")
        elif rule.get("onPodConditions"):
            condition = matching_condition(status, rule["onPodConditions"])
            if condition is None:
                continue
            message = (f"Pod {meta.get('namespace')}/{meta['name']} has condition "
                       f"{condition.get('type')} matching {action} rule at index {index}")
        else:
            continue
        if action == "Ignore":
            return PolicyMatch(counts=False, action=action)
        if action == "Count":
            return PolicyMatch(action=action)
        if action == "FailJob":
            return PolicyMatch(action=action, fail_job_message=message)
        if action == "FailIndex":  # only valid with backoffLimitPerIndex (Indexed Jobs)
            return PolicyMatch(action=action)
    return PolicyMatch()


def fail_job_message(job: dict[str, Any], pods: Iterable[Pod]) -> str | None:
    """getFailJobMessage: the message of the first failed pod matching a FailJob rule."""
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is None:
        return None
    for pod in pods:
        if is_pod_failed(pod, job):
            found = match_pod_failure_policy(policy, pod).fail_job_message
            if found is not None:
                return found
    return None


def counted_failures(job: dict[str, Any], failed: Iterable[Pod]) -> int:
    """nonIgnoredFailedPodsCount."""
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    return sum(1 for pod in failed if match_pod_failure_policy(policy, pod).counts)


# Limits ------------------------------------------------------------------------------------
def past_backoff_limit_on_failure(job: dict[str, Any], pods: Iterable[Pod]) -> bool:
    """pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts in pods
    still Pending or Running count as failures."""
    spec = job.get("spec") or {}
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarted = sum(item.get("restartCount", 0) for pod in pods
                    if phase_of(pod) in ("Pending", "Running")
                    for key in ("initContainerStatuses", "containerStatuses")
                    for item in pod["status"].get(key) or [])
    limit = spec.get("backoffLimit", 6)
    return restarted > 0 if limit == 0 else restarted >= limit


def deadline_of(job: dict[str, Any]) -> datetime | None:
    """When activeDeadlineSeconds runs out (None: no deadline, not started, or suspended)."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    seconds = spec.get("activeDeadlineSeconds")
    if seconds is None or not status.get("startTime") or spec.get("suspend"):
        return None
    return parse_time(status["startTime"]) + timedelta(seconds=seconds)


# Failure backoff ---------------------------------------------------------------------------
def _finished_from_containers(pod: Pod) -> datetime | None:
    latest = None
    for item in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (item.get("state") or {}).get("terminated") or {}
        if not terminated.get("finishedAt"):
            return None
        moment = parse_time(terminated["finishedAt"])
        latest = moment if latest is None or moment > latest else latest
    return latest


def finished_time(pod: Pod) -> datetime:
    """getFinishedTime: the last container's finishedAt, else Ready=False's transition,
    else deletionTimestamp less the grace period, else the pod's creation."""
    found = _finished_from_containers(pod)
    if found is not None:
        return found
    for item in (pod.get("status") or {}).get("conditions") or []:
        if (item.get("type") == "Ready" and item.get("status") == "False"
                and item.get("lastTransitionTime")):
            return parse_time(item["lastTransitionTime"])
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        grace = meta.get("deletionGracePeriodSeconds") or 0
        return parse_time(meta["deletionTimestamp"]) - timedelta(seconds=grace)
    return parse_time(meta["creationTimestamp"])


@dataclass(frozen=True)
class BackoffRecord:
    """backoffRecord: consecutive failures since the last success, and the last one's time."""

    failures_after_last_success: int = 0
    last_failure_time: datetime | None = None

    def remaining(self, moment: datetime, base: float, cap: float) -> float:
        """Seconds until a replacement pod may be created (getRemainingTimeForFailuresCount):
        base for the first failure, doubling per failure, at most cap."""
        if self.failures_after_last_success == 0 or self.last_failure_time is None:
            return 0.0
        delay = base
        for _ in range(1, self.failures_after_last_success):
            delay *= 2
            if delay >= cap:
                delay = cap
                break
        elapsed = (moment - self.last_failure_time).total_seconds()
        return 0.0 if delay < elapsed else delay - elapsed


def next_backoff_record(old: BackoffRecord, succeeded: Sequence[Pod],
                        failed: Sequence[Pod]) -> BackoffRecord:
    """newBackoffRecord: the record after newly finished pods (a success resets the count,
    failures after the last success start it again)."""
    failures = sorted(finished_time(p) for p in failed)
    if not succeeded:
        if not failures:
            return old
        return BackoffRecord(old.failures_after_last_success + len(failures), failures[-1])
    if not failures:
        return BackoffRecord()
    last_success = max(finished_time(p) for p in succeeded)
    after = [moment for moment in failures if moment > last_success]
    return BackoffRecord(len(after), after[-1] if after else None)
