"""A Deployment's rollout arithmetic, pure: template hashes, the new and old ReplicaSets,
maxSurge/maxUnavailable, how far each step may scale, proportional scaling and history cleanup.

It follows pkg/controller/deployment/util/deployment_util.go (FindNewReplicaSet,
ResolveFenceposts, NewRSNewReplicas, MaxRevision, IsSaturated), rolling.go
(reconcileOldReplicaSets, cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate)
and sync.go (scale, cleanupDeployment) of Kubernetes 1.33. ReplicaSets are plain dicts as the
API answers them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .apps_validation import scaled_value

HASH_LABEL = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
# Deployment annotations not copied onto its ReplicaSets (annotationsToSkip).
SKIPPED_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration", REVISION,
                       REVISION_HISTORY, DESIRED, MAX_REPLICAS,
                       "deprecated.deployment.rollback.to"}
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString: no vowels, no 0/1/3
ReplicaSet = dict[str, Any]


def replicas(rs: ReplicaSet | None) -> int:
    return int(((rs or {}).get("spec") or {}).get("replicas", 0)) if rs else 0


def status_count(rs: ReplicaSet | None, key: str) -> int:
    return int(((rs or {}).get("status") or {}).get(key, 0)) if rs else 0


# Hash and identity --------------------------------------------------------------------------
def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-32a of the template (here its canonical JSON, where the real
    controller hashes its Go dump) and the collisionCount, written with SafeEncodeString."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += str(collision_count).encode()
    return "".join(SAFE_ALPHABET[int(c) % len(SAFE_ALPHABET)]
                   for c in str(_fnv32a(data)))


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(template or {})
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
        if not labels:
            copied["metadata"].pop("labels")
    if copied.get("metadata") == {}:
        copied.pop("metadata")
    return copied


def equal_ignore_hash(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """EqualIgnoreHash: the templates, pod-template-hash label left out."""
    return _without_hash(one) == _without_hash(other)


def by_creation(rss: list[ReplicaSet]) -> list[ReplicaSet]:
    """controller.ReplicaSetsByCreationTimestamp: oldest first, then by name."""
    return sorted(rss, key=lambda r: (r["metadata"].get("creationTimestamp", ""),
                                      r["metadata"]["name"]))


def find_new(deployment: dict[str, Any], rss: list[ReplicaSet]) -> ReplicaSet | None:
    """FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's."""
    template = deployment["spec"].get("template") or {}
    for rs in by_creation(rss):
        if equal_ignore_hash(rs["spec"].get("template") or {}, template):
            return rs
    return None


def revision_of(rs: ReplicaSet) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(rss: list[ReplicaSet]) -> int:
    return max((revision_of(rs) for rs in rss), default=0)


def new_rs_body(deployment: dict[str, Any], collision_count: int | None) -> ReplicaSet:
    """The ReplicaSet getNewReplicaSet creates (replicas and annotations set by the caller)."""
    meta, spec = deployment["metadata"], deployment["spec"]
    template = copy.deepcopy(spec.get("template") or {})
    hashed = template_hash(template, collision_count)
    labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hashed}
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(spec.get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: hashed}
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{meta['name']}-{hashed}", "namespace": meta["namespace"],
                     "labels": dict(labels), "ownerReferences": [controller_ref(deployment)]},
        "spec": {"replicas": 0, "minReadySeconds": spec.get("minReadySeconds", 0),
                 "selector": selector, "template": template},
    }


def controller_ref(owner: dict[str, Any]) -> dict[str, Any]:
    """metav1.NewControllerRef."""
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


# maxSurge and maxUnavailable ----------------------------------------------------------------
def is_rolling(deployment: dict[str, Any]) -> bool:
    return (deployment["spec"].get("strategy") or {}).get("type") == "RollingUpdate"


def fenceposts(deployment: dict[str, Any]) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge rounded up, maxUnavailable rounded down); both 0 → 1
    unavailable, so that a rollout can proceed."""
    rolling = (deployment["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = int(deployment["spec"].get("replicas", 1))
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: dict[str, Any]) -> int:
    return fenceposts(deployment)[0] if is_rolling(deployment) else 0


def max_unavailable(deployment: dict[str, Any]) -> int:
    """MaxUnavailable: 0 for Recreate or no replicas, at most the replicas."""
    desired = int(deployment["spec"].get("replicas", 1))
    if not is_rolling(deployment) or desired == 0:
        return 0
    return min(fenceposts(deployment)[1], desired)


def new_rs_new_replicas(deployment: dict[str, Any], all_rss: list[ReplicaSet],
                        new_rs: ReplicaSet) -> int:
    """NewRSNewReplicas: how far the new ReplicaSet may grow now."""
    desired = int(deployment["spec"].get("replicas", 1))
    if not is_rolling(deployment):
        return desired
    current = sum(replicas(rs) for rs in all_rss)
    ceiling = desired + max_surge(deployment)
    if current >= ceiling:
        return replicas(new_rs)
    return replicas(new_rs) + min(ceiling - current, desired - replicas(new_rs))


def old_scale_down(deployment: dict[str, Any], new_rs: ReplicaSet | None,
                   old_rss: list[ReplicaSet]) -> dict[str, int]:
    """reconcileOldReplicaSets: the old ReplicaSets to shrink (name → new size), unhealthy
    replicas first, never below replicas - maxUnavailable available pods."""
    old_count = sum(replicas(rs) for rs in old_rss)
    if old_count == 0:
        return {}
    all_count = old_count + replicas(new_rs)
    min_available = int(deployment["spec"].get("replicas", 1)) - max_unavailable(deployment)
    new_unavailable = replicas(new_rs) - status_count(new_rs, "availableReplicas")
    budget = all_count - min_available - new_unavailable
    if budget <= 0:
        return {}
    plan: dict[str, int] = {}
    cleaned = 0
    for rs in by_creation(old_rss):  # cleanupUnhealthyReplicas
        if cleaned >= budget:
            break
        size, available = replicas(rs), status_count(rs, "availableReplicas")
        if size == 0 or size == available:
            continue
        down = min(budget - cleaned, size - available)
        plan[rs["metadata"]["name"]] = size - down
        cleaned += down

    def size_of(rs: ReplicaSet) -> int:
        return plan.get(rs["metadata"]["name"], replicas(rs))

    # scaleDownOldReplicaSetsForRollingUpdate, on the sizes after the clean-up
    available = status_count(new_rs, "availableReplicas") + sum(
        status_count(rs, "availableReplicas") for rs in old_rss)
    if available <= min_available:
        return plan
    total, done = available - min_available, 0
    for rs in by_creation(old_rss):
        if done >= total:
            break
        if size_of(rs) == 0:
            continue
        down = min(size_of(rs), total - done)
        plan[rs["metadata"]["name"]] = size_of(rs) - down
        done += down
    return plan


# Scaling events -----------------------------------------------------------------------------
def desired_annotation(rs: ReplicaSet) -> int | None:
    try:
        return int((rs["metadata"].get("annotations") or {})[DESIRED])
    except (KeyError, ValueError):
        return None


def is_scaling_event(deployment: dict[str, Any], active: list[ReplicaSet]) -> bool:
    """isScalingEvent: an active ReplicaSet was sized for another replica count."""
    desired = int(deployment["spec"].get("replicas", 1))
    return any(desired_annotation(rs) not in (None, desired) for rs in active)


def is_saturated(deployment: dict[str, Any], rs: ReplicaSet | None) -> bool:
    if rs is None:
        return False
    desired = int(deployment["spec"].get("replicas", 1))
    return (desired_annotation(rs) == desired and replicas(rs) == desired
            and status_count(rs, "availableReplicas") == desired)


def _active_or_latest(new_rs: ReplicaSet | None,
                      old_rss: list[ReplicaSet]) -> ReplicaSet | None:
    """FindActiveOrLatest: the only active ReplicaSet; with none, the new or newest one."""
    every = [rs for rs in [*old_rss, new_rs] if rs is not None]
    active = [rs for rs in every if replicas(rs) > 0]
    if len(active) == 1:
        return active[0]
    if not active:
        return new_rs if new_rs is not None else (by_creation(every)[-1] if every else None)
    return None


def _fraction(rs: ReplicaSet, deployment: dict[str, Any]) -> int:
    """getReplicaSetFraction: the share of the new total by its max-replicas annotation."""
    total = int(deployment["spec"].get("replicas", 1)) + max_surge(deployment)
    try:
        annotated = int((rs["metadata"].get("annotations") or {})[MAX_REPLICAS])
    except (KeyError, ValueError):
        annotated = int((deployment.get("status") or {}).get("replicas", 0))
    if annotated == 0:
        return total - replicas(rs)
    return int(replicas(rs) * total / annotated + 0.5) - replicas(rs)


def scale_sizes(deployment: dict[str, Any], new_rs: ReplicaSet | None,
                old_rss: list[ReplicaSet]) -> dict[str, int]:
    """sync.go scale: the sizes after a change of spec.replicas (name → new size)."""
    desired = int(deployment["spec"].get("replicas", 1))
    only = _active_or_latest(new_rs, old_rss)
    if only is not None:
        return {only["metadata"]["name"]: desired} if replicas(only) != desired else {}
    if is_saturated(deployment, new_rs):
        return {rs["metadata"]["name"]: 0 for rs in old_rss if replicas(rs) > 0}
    active = [rs for rs in [*old_rss, new_rs] if rs is not None and replicas(rs) > 0]
    if not is_rolling(deployment) or not active:
        return {}
    to_add = desired + max_surge(deployment) - sum(replicas(rs) for rs in active)
    if to_add == 0:
        return {}
    # ReplicaSetsBySizeNewer (up) or BySizeOlder (down): the largest first, it gets leftovers.
    stamp = [rs["metadata"].get("creationTimestamp", "") for rs in active]
    order = sorted(range(len(active)), key=lambda i: stamp[i], reverse=to_add > 0)
    order = sorted(order, key=lambda i: -replicas(active[i]))  # stable: ties keep their age
    sizes, added = {}, 0
    for index in order:
        rs = active[index]
        allowed = to_add - added
        share = _fraction(rs, deployment)
        share = min(share, allowed) if to_add > 0 else max(share, allowed)
        sizes[rs["metadata"]["name"]] = replicas(rs) + share
        added += share
    first = active[order[0]]["metadata"]["name"]
    sizes[first] = max(sizes[first] + to_add - added, 0)
    return {rs["metadata"]["name"]: sizes[rs["metadata"]["name"]] for rs in active
            if sizes[rs["metadata"]["name"]] != replicas(rs)}


def replica_annotations(deployment: dict[str, Any]) -> dict[str, str]:
    desired = int(deployment["spec"].get("replicas", 1))
    return {DESIRED: str(desired), MAX_REPLICAS: str(desired + max_surge(deployment))}


def copied_annotations(deployment: dict[str, Any]) -> dict[str, str]:
    """copyDeploymentAnnotationsToReplicaSet: all but annotationsToSkip."""
    return {k: v for k, v in (deployment["metadata"].get("annotations") or {}).items()
            if k not in SKIPPED_ANNOTATIONS}


def history_to_delete(deployment: dict[str, Any], old_rss: list[ReplicaSet]) -> list[str]:
    """cleanupDeployment: the oldest revisions beyond revisionHistoryLimit that are empty and
    observed."""
    limit = deployment["spec"].get("revisionHistoryLimit")
    if limit is None:
        return []
    alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
    extra = len(alive) - int(limit)
    if extra <= 0:
        return []
    names = []
    oldest = sorted(alive, key=lambda r: (revision_of(r), r["metadata"].get(
        "creationTimestamp", "")))
    for rs in oldest[:extra]:
        observed = status_count(rs, "observedGeneration") >= rs["metadata"].get("generation", 0)
        if replicas(rs) == 0 and status_count(rs, "replicas") == 0 and observed:
            names.append(rs["metadata"]["name"])
    return names
