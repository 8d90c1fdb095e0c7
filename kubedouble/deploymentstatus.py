"""A Deployment's status, pure: counts from its ReplicaSets and the Available and Progressing
conditions with the real reasons and messages.

It follows pkg/controller/deployment/sync.go calculateStatus, progress.go syncRolloutStatus and
util/deployment_util.go (NewDeploymentCondition, SetDeploymentCondition, DeploymentComplete,
DeploymentProgressing, DeploymentTimedOut) of Kubernetes 1.33.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .clock import format_time, parse_time
from .rollout import ReplicaSet, max_unavailable, replicas, status_count

MAX_INT32 = (1 << 31) - 1
AVAILABLE, PROGRESSING = "Available", "Progressing"
# util/deployment_util.go reasons
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"
MIN_AVAILABLE, MIN_UNAVAILABLE = "MinimumReplicasAvailable", "MinimumReplicasUnavailable"


def condition(kind: str, status: str, reason: str, message: str,
              moment: datetime) -> dict[str, Any]:
    stamp = format_time(moment)
    return {"type": kind, "status": status, "lastUpdateTime": stamp,
            "lastTransitionTime": stamp, "reason": reason, "message": message}


def get_condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)


def set_condition(status: dict[str, Any], new: dict[str, Any]) -> None:
    """SetDeploymentCondition: same status and reason → unchanged; same status → the old
    lastTransitionTime is kept."""
    current = get_condition(status, new["type"])
    if current is not None and current["status"] == new["status"] \
            and current.get("reason") == new["reason"]:
        return
    if current is not None and current["status"] == new["status"]:
        new = {**new, "lastTransitionTime": current["lastTransitionTime"]}
    status["conditions"] = [c for c in status.get("conditions") or []
                            if c.get("type") != new["type"]] + [new]


def remove_condition(status: dict[str, Any], kind: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != kind]


def has_progress_deadline(deployment: dict[str, Any]) -> bool:
    deadline = deployment["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != MAX_INT32


def calculate(deployment: dict[str, Any], all_rss: list[ReplicaSet],
              new_rs: ReplicaSet | None, moment: datetime) -> dict[str, Any]:
    """calculateStatus: the counts, and Available by replicas - maxUnavailable."""
    available = sum(status_count(rs, "availableReplicas") for rs in all_rss)
    total = sum(replicas(rs) for rs in all_rss)
    old = deployment.get("status") or {}
    status: dict[str, Any] = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": sum(status_count(rs, "replicas") for rs in all_rss),
        "updatedReplicas": status_count(new_rs, "replicas"),
        "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
        "conditions": [dict(c) for c in old.get("conditions") or []],
    }
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= int(deployment["spec"].get("replicas", 1)) - max_unavailable(deployment):
        set_condition(status, condition(AVAILABLE, "True", MIN_AVAILABLE,
                                        "Deployment has minimum availability.", moment))
    else:
        set_condition(status, condition(AVAILABLE, "False", MIN_UNAVAILABLE,
                                        "Deployment does not have minimum availability.",
                                        moment))
    return status


def is_complete(deployment: dict[str, Any], status: dict[str, Any]) -> bool:
    """DeploymentComplete."""
    desired = int(deployment["spec"].get("replicas", 1))
    return (status.get("updatedReplicas", 0) == desired and status.get("replicas", 0) == desired
            and status.get("availableReplicas", 0) == desired
            and status.get("observedGeneration", 0) >= deployment["metadata"].get(
                "generation", 1))


def is_progressing(deployment: dict[str, Any], status: dict[str, Any]) -> bool:
    """DeploymentProgressing: more updated, ready or available pods, or fewer old ones."""
    old = deployment.get("status") or {}
    old_olds = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_olds = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return (status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
            or new_olds < old_olds
            or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or status.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def deadline_at(deployment: dict[str, Any], status: dict[str, Any]) -> datetime | None:
    """When the Progressing condition times out, if it can."""
    if not has_progress_deadline(deployment):
        return None
    current = get_condition(status, PROGRESSING)
    if current is None or current.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
        return None
    seconds = int(deployment["spec"]["progressDeadlineSeconds"])
    return parse_time(current["lastUpdateTime"]) + timedelta(seconds=seconds)


def is_timed_out(deployment: dict[str, Any], status: dict[str, Any], moment: datetime) -> bool:
    """DeploymentTimedOut."""
    current = get_condition(status, PROGRESSING)
    if not has_progress_deadline(deployment) or current is None:
        return False
    if current.get("reason") == TIMED_OUT:
        return True
    deadline = deadline_at(deployment, status)
    return deadline is not None and deadline < moment


def rollout_status(deployment: dict[str, Any], all_rss: list[ReplicaSet],
                   new_rs: ReplicaSet | None, moment: datetime) -> dict[str, Any]:
    """syncRolloutStatus: the new status, Progressing moved on as the rollout goes."""
    status = calculate(deployment, all_rss, new_rs, moment)
    if not has_progress_deadline(deployment):
        remove_condition(status, PROGRESSING)
    current = get_condition(status, PROGRESSING)
    complete = (status["replicas"] == status["updatedReplicas"] and current is not None
                and current.get("reason") == NEW_RS_AVAILABLE)
    name = new_rs["metadata"]["name"] if new_rs is not None else ""
    if has_progress_deadline(deployment) and not complete:
        if is_complete(deployment, status):
            set_condition(status, condition(PROGRESSING, "True", NEW_RS_AVAILABLE,
                                            f'ReplicaSet "{name}" has successfully progressed.',
                                            moment))
        elif is_progressing(deployment, status):
            made = condition(PROGRESSING, "True", RS_UPDATED,
                             f'ReplicaSet "{name}" is progressing.', moment)
            if current is not None:
                if current["status"] == "True":
                    made["lastTransitionTime"] = current["lastTransitionTime"]
                remove_condition(status, PROGRESSING)
            set_condition(status, made)
        elif is_timed_out(deployment, status, moment):
            set_condition(status, condition(PROGRESSING, "False", TIMED_OUT,
                                            f'ReplicaSet "{name}" has timed out progressing.',
                                            moment))
    return status


def paused_condition(deployment: dict[str, Any], moment: datetime) -> dict[str, Any] | None:
    """checkPausedConditions: Progressing Unknown while paused, then resumed; a reported
    timeout is kept."""
    if not has_progress_deadline(deployment):
        return None
    status = deployment.get("status") or {}
    current = get_condition(status, PROGRESSING)
    if current is not None and current.get("reason") == TIMED_OUT:
        return None
    paused_now = current is not None and current.get("reason") == PAUSED
    if deployment["spec"].get("paused") and not paused_now:
        return condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused", moment)
    if not deployment["spec"].get("paused") and paused_now:
        return condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed", moment)
    return None
