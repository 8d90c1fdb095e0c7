"""scheduling.k8s.io/v1 PriorityClasses: defaults, validation, the immutable value and the two
classes every cluster has.

Sources: pkg/apis/scheduling/v1/defaults.go (preemptionPolicy PreemptLowerPriority),
pkg/apis/scheduling/validation/validation.go (ValidatePriorityClass, ValidatePriorityClassUpdate),
k8s.io/api/scheduling/v1 helpers (IsKnownSystemPriorityClass) and the built-in classes of
pkg/apis/scheduling/types.go, created by the API server at start (SystemPriorityClasses).
"""

from __future__ import annotations

import copy
from typing import Any

from . import field_errors as fe

PRIORITY_CLASSES = "priorityclasses.scheduling.k8s.io"
SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
PREEMPTION_POLICIES = ["Never", "PreemptLowerPriority"]
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"
Causes = list[dict[str, str]]


def _system_class(name: str, value: int, description: str) -> dict[str, Any]:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "globalDefault": False,
            "description": description, "preemptionPolicy": DEFAULT_PREEMPTION_POLICY}


SYSTEM_CLASSES = (
    _system_class("system-node-critical", 2000001000,
                  "Used for system critical pods that must not be moved from their current node."),
    _system_class("system-cluster-critical", 2000000000,
                  "Used for system critical pods that must run in the cluster, but can be moved "
                  "to another node if necessary."),
)


def set_defaults(priority_class: dict[str, Any]) -> None:
    priority_class.setdefault("preemptionPolicy", DEFAULT_PREEMPTION_POLICY)
    priority_class.setdefault("value", 0)


def _system_class_problem(name: str, value: Any, global_default: bool) -> str | None:
    for known in SYSTEM_CLASSES:
        if known["metadata"]["name"] == name:
            if value != known["value"] or global_default:
                return f"value of {name} PriorityClass must be {known['value']}"
            return None
    return f"{name} is not a known system priority class"


def validate(priority_class: dict[str, Any]) -> Causes:
    """ValidatePriorityClass (the metadata is checked as every kind's)."""
    set_defaults(priority_class)
    name = priority_class["metadata"].get("name", "")
    value = priority_class.get("value")
    causes: Causes = []
    if name.startswith(SYSTEM_PREFIX):
        problem = _system_class_problem(name, value, bool(priority_class.get("globalDefault")))
        if problem:
            causes.append(fe.forbidden("metadata.name", (
                f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system "
                f"use only. error: {problem}")))
    elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
        causes.append(fe.forbidden("value", "maximum allowed value of a user defined priority "
                                            f"is {HIGHEST_USER_DEFINABLE_PRIORITY}"))
    policy = priority_class.get("preemptionPolicy")
    if policy not in PREEMPTION_POLICIES:
        causes.append(fe.not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    return causes


def update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """ValidatePriorityClassUpdate: value and preemptionPolicy stay."""
    set_defaults(new)
    causes: Causes = []
    if new.get("value") != old.get("value"):
        causes.append(fe.forbidden("value", "may not be changed in an update."))
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        causes.append(fe.invalid("preemptionPolicy", new.get("preemptionPolicy"),
                                 "field is immutable"))
    return causes


def ensure(cluster: Any) -> None:
    """Create the system classes that are not there (a saved state may hold them)."""
    resource = cluster.resource("scheduling.k8s.io", "v1", "priorityclasses")
    for obj in SYSTEM_CLASSES:
        if cluster.store.get(resource.qualified, "", obj["metadata"]["name"]) is None:
            cluster.create(resource, "", copy.deepcopy(obj))
