"""Whether a pod may go to the node at all: its nodeSelector and required node affinity against
the node's labels (and name), and the node's taints against its tolerations.

Sources: the scheduler's TaintToleration and NodeAffinity filter plugins
(pkg/scheduler/framework/plugins/tainttoleration, nodeaffinity), k8s.io/component-helpers
scheduling/corev1/nodeaffinity (terms ORed, an empty term matching nothing, matchFields on
`metadata.name` only) and core/v1 helper ToleratesTaint. As the real filters do, taints are
checked first and only NoSchedule and NoExecute taints keep a pod off (PreferNoSchedule only
weighs in scoring, which one node does not need); both failures are ones preemption cannot cure.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from typing import Any

AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
FILTERING_EFFECTS = ("NoSchedule", "NoExecute")
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def default_labels(node_name: str) -> dict[str, str]:
    """The labels every kubelet puts on its node (well-known labels, kubelet_node_status.go)."""
    machine = platform.machine().lower()
    arch = ARCHES.get(machine, machine)
    return {"kubernetes.io/hostname": node_name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch, "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": arch}


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """core/v1 Toleration.ToleratesTaint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(pod_spec: Mapping[str, Any],
                      taints: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first NoSchedule/NoExecute taint none of the pod's tolerations tolerates."""
    tolerations = pod_spec.get("tolerations") or []
    for taint in taints:
        if taint.get("effect") not in FILTERING_EFFECTS:
            continue
        if not any(tolerates(toleration, taint) for toleration in tolerations):
            return taint
    return None


def _number(text: Any) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def requirement_matches(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One NodeSelectorRequirement against a label set (In, NotIn, Exists, DoesNotExist, Gt, Lt)."""
    key, operator = requirement.get("key"), requirement.get("operator")
    values = list(requirement.get("values") or [])
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        have, bound = _number(labels[key]), _number(values[0])
        if have is None or bound is None:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def term_matches(term: Mapping[str, Any], node_name: str, labels: Mapping[str, str]) -> bool:
    """A NodeSelectorTerm: all its expressions and fields hold; an empty term matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    node_fields = {"metadata.name": node_name}
    return (all(requirement_matches(r, labels) for r in expressions)
            and all(r.get("key") == "metadata.name" and requirement_matches(r, node_fields)
                    for r in fields))


def node_matches(pod_spec: Mapping[str, Any], node_name: str, labels: Mapping[str, str]) -> bool:
    """The pod's nodeSelector and its required node affinity (any one term) both hold."""
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    return any(term_matches(term, node_name, labels)
               for term in required.get("nodeSelectorTerms") or [])


def filter_failure(pod_spec: Mapping[str, Any], node_name: str, labels: Mapping[str, str],
                   taints: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the node is out for this pod, in the scheduler's words; None when it is not."""
    taint = untolerated_taint(pod_spec, taints)
    if taint is not None:
        return f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}"
    if not node_matches(pod_spec, node_name, labels):
        return AFFINITY_MISMATCH
    return None
