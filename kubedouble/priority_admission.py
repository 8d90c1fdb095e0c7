"""The Priority admission plugin: a pod's priority comes from its PriorityClass (or the
globalDefault class, else 0), an unknown class is refused, and only one class may be the
global default.

Source: plugin/pkg/admission/priority/admission.go (admitPod, validatePriorityClass,
getDefaultPriorityClass: of several global defaults the lowest value wins) and
admission.NewForbidden, which names an object by its generateName before a name is generated.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .priorityclasses import DEFAULT_PREEMPTION_POLICY, PRIORITY_CLASSES
from .resources import Resource

DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0


def _shown_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return meta.get("name") or meta.get("generateName") or ""


def default_class(classes: list[dict[str, Any]]) -> dict[str, Any] | None:
    defaults = [c for c in classes if c.get("globalDefault")]
    return min(defaults, key=lambda c: c.get("value", 0)) if defaults else None


def _admit_pod(cluster: Any, resource: Resource, pod: dict[str, Any]) -> None:
    spec = pod.setdefault("spec", {})
    name = spec.get("priorityClassName") or ""
    if name:
        found = cluster.store.get(PRIORITY_CLASSES, "", name)
        if found is None:
            raise errors.admission_forbidden(resource, _shown_name(pod),
                                             f"no PriorityClass with name {name} was found")
    else:
        found = default_class(cluster.store.items(PRIORITY_CLASSES))
    priority = found.get("value", 0) if found else DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS
    policy = (found or {}).get("preemptionPolicy") or DEFAULT_PREEMPTION_POLICY
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise errors.admission_forbidden(resource, _shown_name(pod), (
            f"the integer value of priority ({spec['priority']}) must not be provided in pod "
            f"spec; priority admission controller computed {priority} from the given "
            f"PriorityClass name"))
    if spec.get("preemptionPolicy") and spec["preemptionPolicy"] != policy:
        raise errors.admission_forbidden(resource, _shown_name(pod), (
            f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be "
            f"provided in pod spec; priority admission controller computed {policy} from the "
            f"given PriorityClass name"))
    if found:
        spec["priorityClassName"] = found["metadata"]["name"]
    spec["priority"] = priority
    spec["preemptionPolicy"] = policy


def _admit_class(cluster: Any, resource: Resource, new: dict[str, Any],
                 old: dict[str, Any] | None) -> None:
    if not new.get("globalDefault"):
        return
    current = default_class(cluster.store.items(PRIORITY_CLASSES))
    if current is not None and (old is None or current["metadata"]["name"] !=
                                new["metadata"].get("name")):
        raise errors.admission_forbidden(resource, _shown_name(new), (
            f"PriorityClass {current['metadata']['name']} is already marked as default. "
            f"Only one default can exist"))


def admit(cluster: Any, resource: Resource, new: dict[str, Any],
          old: dict[str, Any] | None = None) -> None:
    """Mutate a new pod's priority or refuse it; refuse a second global default class."""
    if resource.qualified == "pods" and old is None:
        _admit_pod(cluster, resource, new)
    elif resource.qualified == PRIORITY_CLASSES:
        _admit_class(cluster, resource, new, old)
