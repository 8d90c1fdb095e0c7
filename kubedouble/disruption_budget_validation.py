"""Defaults and validation of policy/v1 PodDisruptionBudgets, as the real server's.

Sources: pkg/registry/policy/poddisruptionbudget/strategy.go (PrepareForCreate: an empty
status, generation 1), pkg/apis/policy/validation/validation.go
(ValidatePodDisruptionBudgetSpec) and pkg/apis/apps/validation/validation.go
(ValidatePositiveIntOrPercent, IsNotMoreThan100Percent).
"""

from __future__ import annotations

import re
from typing import Any

from . import field_errors as fe
from .label_selectors import selector_causes

Causes = list[dict[str, str]]
EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"]
PERCENT = "[0-9]+%"


def default_budget(budget: dict[str, Any]) -> None:
    status = budget.setdefault("status", {})
    for key in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):
        status.setdefault(key, 0)


def int_or_percent_causes(value: Any, path: str) -> Causes:
    """ValidatePositiveIntOrPercent, then IsNotMoreThan100Percent."""
    if isinstance(value, str):
        if not re.fullmatch(PERCENT, value):
            return [fe.invalid(path, value, fe.regex_error(
                "a valid percent string must be a numeric string followed by an ending '%'",
                PERCENT, "1%", "93%"))]
        if int(value[:-1]) > 100:
            return [fe.invalid(path, value, "must not be greater than 100%")]
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return fe.nonnegative(path, value)
    return [fe.invalid(path, value, "must be an integer or percentage (e.g '5%')")]


def budget_causes(budget: dict[str, Any]) -> Causes:
    spec = budget.get("spec") or {}
    causes: Causes = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        # The internal struct, JSON-marshalled in its field order.
        shown = {key: spec[key] for key in ("minAvailable", "selector", "maxUnavailable",
                                            "unhealthyPodEvictionPolicy") if key in spec}
        causes.append(fe.invalid("spec", shown,
                                 "minAvailable and maxUnavailable cannot be both set"))
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            causes += int_or_percent_causes(spec[key], f"spec.{key}")
    causes += selector_causes(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in EVICTION_POLICIES:
        causes.append(fe.not_supported("spec.unhealthyPodEvictionPolicy", policy,
                                       EVICTION_POLICIES))
    return causes
