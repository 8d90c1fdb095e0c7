"""apps/v1 Deployments and ReplicaSets: the real server's defaults and validation.

Sources: pkg/apis/apps/v1/defaults.go (SetDefaults_Deployment, SetDefaults_ReplicaSet; the pod
template gets SetDefaults_PodSpec as pods do), pkg/apis/apps/validation/validation.go
(ValidateDeploymentSpec, ValidateDeploymentStrategy, ValidateRollingUpdateDeployment,
ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet) and
pkg/registry/apps/deployment/strategy.go ValidateUpdate (the selector is immutable in apps/v1;
the ReplicaSet strategy says the same).
"""

from __future__ import annotations

import re
from typing import Any

from . import field_errors as fe
from .builtin_validation import (Causes, annotations_causes, labels_causes, pod_spec_causes,
                                 selector_matches)
from .defaults import _container_causes, _default_pod_spec

DEPLOYMENTS, REPLICASETS = "deployments.apps", "replicasets.apps"
MAX_INT32 = (1 << 31) - 1
STRATEGIES = ["Recreate", "RollingUpdate"]
PERCENT = re.compile(r"^[0-9]+%$")
SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"]


# Defaults -----------------------------------------------------------------------------------
def _default_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.setdefault("spec", {}), dict):
        _default_pod_spec(template["spec"], "Always")


def default_deployment(deployment: dict[str, Any]) -> None:
    """SetDefaults_Deployment: one replica, RollingUpdate 25 %/25 %, 10 revisions, 600 s."""
    spec = deployment.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(spec)


def default_replica_set(replica_set: dict[str, Any]) -> None:
    spec = replica_set.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    _default_template(spec)


def prepare_deployment(deployment: dict[str, Any]) -> Causes:
    default_deployment(deployment)
    return []


def prepare_replica_set(replica_set: dict[str, Any]) -> Causes:
    default_replica_set(replica_set)
    return []


# Validation ---------------------------------------------------------------------------------
def _label_selector(selector: dict[str, Any], path: str) -> Causes:
    """metav1validation.ValidateLabelSelector."""
    causes = labels_causes(selector.get("matchLabels"), f"{path}.matchLabels")
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        here = f"{path}.matchExpressions[{index}]"
        operator, values = expression.get("operator"), expression.get("values") or []
        if operator in ("In", "NotIn") and not values:
            causes.append(fe.required(f"{here}.values", "must be specified when `operator` is "
                                                        "'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist") and values:
            causes.append(fe.forbidden(f"{here}.values", "may not be specified when `operator` "
                                                         "is 'Exists' or 'DoesNotExist'"))
        elif operator not in SELECTOR_OPERATORS:
            causes.append(fe.invalid(f"{here}.operator", operator, "not a valid selector "
                                                                   "operator"))
        causes += [fe.invalid(f"{here}.key", expression.get("key", ""), m)
                   for m in fe.label_key(str(expression.get("key", "")))]
    return causes


def _selector_and_template(spec: dict[str, Any]) -> Causes:
    """The selector (required, not empty) and ValidatePodTemplateSpecForReplicaSet."""
    causes: Causes = []
    selector = spec.get("selector")
    if selector is None:
        causes.append(fe.required("spec.selector"))
    else:
        causes += _label_selector(selector, "spec.selector")
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(fe.invalid("spec.selector", selector,
                                     "empty selector is invalid for deployment"))
    template = spec.get("template")
    if not isinstance(template, dict) or not template:
        return causes + [fe.required("spec.template")]
    meta = template.get("metadata") or {}
    labels = meta.get("labels") or {}
    if selector and (selector.get("matchLabels") or selector.get("matchExpressions")) \
            and not selector_matches(selector, labels):
        causes.append(fe.invalid("spec.template.metadata.labels", labels,
                                 "`selector` does not match template `labels`"))
    causes += labels_causes(meta.get("labels"), "spec.template.labels")
    causes += annotations_causes(meta.get("annotations"), "spec.template.annotations")
    pod_spec = template.get("spec") or {}
    causes += _container_causes(pod_spec, "spec.template.spec")
    causes += pod_spec_causes(pod_spec, "spec.template.spec")
    policy = pod_spec.get("restartPolicy")
    if policy != "Always":
        causes.append(fe.not_supported("spec.template.spec.restartPolicy", policy, ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(fe.forbidden("spec.template.spec.activeDeadlineSeconds",
                                   "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return causes


def int_or_percent(value: Any, path: str) -> Causes:
    """ValidatePositiveIntOrPercent (which allows 0) and IsNotMoreThan100Percent."""
    if isinstance(value, str):
        if not PERCENT.match(value):
            return [fe.invalid(path, value, "must be an integer or percentage (e.g '5%')")]
        return []
    return fe.nonnegative(path, value)


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    percent = int(str(value).rstrip("%"))
    exact, remainder = divmod(percent * total, 100)
    return exact + (1 if round_up and remainder else 0)


def _rolling_update(rolling: dict[str, Any], path: str) -> Causes:
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = int_or_percent(unavailable, f"{path}.maxUnavailable")
    causes += int_or_percent(surge, f"{path}.maxSurge")
    if causes:
        return causes
    if isinstance(unavailable, str) and int(unavailable[:-1]) > 100:
        causes.append(fe.invalid(f"{path}.maxUnavailable", unavailable,
                                 "must not be greater than 100%"))
    # getIntOrPercentValue: a percentage counts as its number.
    if scaled_value(unavailable, 100, False) == 0 and scaled_value(surge, 100, False) == 0:
        causes.append(fe.invalid(f"{path}.maxUnavailable", unavailable,
                                 "may not be 0 when `maxSurge` is 0"))
    return causes


def _strategy(strategy: dict[str, Any]) -> Causes:
    path = "spec.strategy"
    kind = strategy.get("type")
    if kind == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            return [fe.forbidden(f"{path}.rollingUpdate", "may not be specified when strategy "
                                                          "`type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if strategy.get("rollingUpdate") is None:
            return [fe.required(f"{path}.rollingUpdate", "this should be defaulted and never "
                                                         "be nil")]
        return _rolling_update(strategy["rollingUpdate"], f"{path}.rollingUpdate")
    return [fe.not_supported(f"{path}.Type", kind, STRATEGIES)]


def deployment_causes(deployment: dict[str, Any]) -> Causes:
    """ValidateDeploymentSpec."""
    spec = deployment.get("spec") or {}
    causes: Causes = []
    for key in ("replicas", "minReadySeconds", "revisionHistoryLimit",
                "progressDeadlineSeconds"):
        causes += fe.nonnegative(f"spec.{key}", spec.get(key))
    causes += _selector_and_template(spec)
    causes += _strategy(spec.get("strategy") or {})
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None and deadline <= spec.get("minReadySeconds", 0):
        causes.append(fe.invalid("spec.progressDeadlineSeconds", deadline,
                                 "must be greater than minReadySeconds"))
    return causes


def replica_set_causes(replica_set: dict[str, Any]) -> Causes:
    """ValidateReplicaSetSpec."""
    spec = replica_set.get("spec") or {}
    causes: Causes = []
    for key in ("replicas", "minReadySeconds"):
        causes += fe.nonnegative(f"spec.{key}", spec.get(key))
    return causes + _selector_and_template(spec)


def selector_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """The apps/v1 strategies: `spec.selector` may not change."""
    selector = (new.get("spec") or {}).get("selector")
    if selector == (old.get("spec") or {}).get("selector"):
        return []
    return [fe.invalid("spec.selector", selector, "field is immutable")]


KIND_RULES = {DEPLOYMENTS: deployment_causes, REPLICASETS: replica_set_causes}
UPDATE_RULES = {DEPLOYMENTS: selector_update_causes, REPLICASETS: selector_update_causes}
PREPARE = {DEPLOYMENTS: prepare_deployment, REPLICASETS: prepare_replica_set}
DEFAULTS = {DEPLOYMENTS: default_deployment, REPLICASETS: default_replica_set}
