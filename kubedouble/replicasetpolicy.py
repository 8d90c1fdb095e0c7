"""A ReplicaSet's decisions, pure: which pods it owns, which surplus pods go first, when a
ready pod counts as available, and its status.

It follows pkg/controller/replicaset/replica_set.go (manageReplicas, getPodsToDelete),
replica_set_utils.go calculateStatus, pkg/controller/controller_utils.go ActivePods (the
deletion order) and pkg/api/v1/pod/util.go IsPodAvailable of Kubernetes 1.33.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .builtin_validation import selector_matches
from .clock import parse_time
from .jobpolicy import is_active, is_ready, phase_of

Pod = dict[str, Any]
PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def ready_since(pod: Pod) -> datetime | None:
    for found in (pod.get("status") or {}).get("conditions") or []:
        if found.get("type") == "Ready" and found.get("status") == "True":
            stamp = found.get("lastTransitionTime")
            return parse_time(stamp) if stamp else None
    return None


def is_available(pod: Pod, min_ready_seconds: int, moment: datetime) -> bool:
    """IsPodAvailable: Ready, for at least minReadySeconds."""
    if not is_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = ready_since(pod)
    return since is not None and since + timedelta(seconds=min_ready_seconds) <= moment


def available_in(pods: list[Pod], min_ready_seconds: int, moment: datetime) -> float | None:
    """Seconds until the next ready pod turns available (the controller syncs again then)."""
    waits = []
    for pod in pods:
        since = ready_since(pod)
        if since is not None and not is_available(pod, min_ready_seconds, moment):
            waits.append((since + timedelta(seconds=min_ready_seconds) - moment)
                         .total_seconds())
    return max(min(waits), 0.0) + 0.05 if waits else None


def _restarts(pod: Pod) -> int:
    return sum(s.get("restartCount", 0)
               for s in (pod.get("status") or {}).get("containerStatuses") or [])


def deletion_order(pod: Pod) -> tuple[Any, ...]:
    """controller.ActivePods Less, the pods to delete first sorting first: unscheduled, then
    pending/unknown before running, not ready before ready, ready for less time, more
    restarts, newer."""
    since = ready_since(pod) if is_ready(pod) else None
    created = pod["metadata"].get("creationTimestamp")
    return (bool(pod["spec"].get("nodeName")), PHASE_RANK.get(phase_of(pod), 0), is_ready(pod),
            -(since.timestamp() if since else 0), -_restarts(pod),
            -(parse_time(created).timestamp() if created else 0))


def pods_to_delete(pods: list[Pod], count: int) -> list[Pod]:
    return sorted(pods, key=deletion_order)[:max(count, 0)]


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in obj["metadata"].get("ownerReferences") or []
                 if r.get("controller")), None)


def claims(owner: dict[str, Any], candidates: list[dict[str, Any]]
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """ClaimPods / ClaimReplicaSets (controller_ref_manager.go): (owned and matching,
    orphans to adopt, owned but no longer matching: to release). A controller being deleted
    adopts nothing; objects being deleted are neither adopted nor released."""
    selector = owner["spec"].get("selector") or {}
    uid = owner["metadata"]["uid"]
    owned, adopt, release = [], [], []
    for obj in candidates:
        ref = controller_of(obj)
        matches = selector_matches(selector, obj["metadata"].get("labels") or {})
        deleting = bool(obj["metadata"].get("deletionTimestamp"))
        if ref is not None and ref.get("uid") == uid:
            if matches:
                owned.append(obj)
            elif not deleting:
                release.append(obj)
        elif ref is None and matches and not deleting \
                and not owner["metadata"].get("deletionTimestamp"):
            adopt.append(obj)
    return owned, adopt, release


def replica_set_status(rs: dict[str, Any], pods: list[Pod], moment: datetime) -> dict[str, Any]:
    """calculateStatus over the active pods the ReplicaSet owns."""
    active = [p for p in pods if is_active(p)]
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get(
        "labels") or {}
    min_ready = int(rs["spec"].get("minReadySeconds", 0))
    status: dict[str, Any] = {
        "replicas": len(active),
        "fullyLabeledReplicas": sum(
            1 for p in active if selector_matches({"matchLabels": template_labels},
                                                  p["metadata"].get("labels") or {})),
        "readyReplicas": sum(1 for p in active if is_ready(p)),
        "availableReplicas": sum(1 for p in active if is_available(p, min_ready, moment)),
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    kept = [c for c in (rs.get("status") or {}).get("conditions") or []]
    if kept:
        status["conditions"] = kept
    return status
