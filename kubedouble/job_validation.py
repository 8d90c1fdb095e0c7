"""A Job's podFailurePolicy and podReplacementPolicy, validated as
pkg/apis/batch/validation/validation.go validatePodFailurePolicy and
validatePodReplacementPolicy do (Kubernetes 1.33)."""

from __future__ import annotations

import itertools
from typing import Any

from . import field_errors as fe
from .errors import cause

MAX_RULES = 20  # maxPodFailurePolicyRules
MAX_EXIT_CODES = 255  # maxPodFailurePolicyOnExitCodesValues
MAX_CONDITION_PATTERNS = 20  # maxPodFailurePolicyOnPodConditionsPatterns
ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"]  # sets.List: sorted
OPERATORS = ["In", "NotIn"]
STATUSES = ["False", "True", "Unknown"]
REPLACEMENT_POLICIES = ["Failed", "TerminatingOrFailed"]
Causes = list[dict[str, str]]


def too_many(field: str, actual: int, limit: int) -> dict[str, str]:
    return cause(field, f"Too many: {actual}: must have at most {limit} items",
                 "FieldValueTooMany")


def _valid_values(values: list[str]) -> str:
    return "valid values: [" + " ".join(f'"{v}"' for v in values) + "]"


def _on_exit_codes(requirement: dict[str, Any], path: str, names: set[str]) -> Causes:
    causes: Causes = []
    operator = requirement.get("operator")
    if not operator:
        causes.append(fe.required(f"{path}.operator", _valid_values(OPERATORS)))
    elif operator not in OPERATORS:
        causes.append(fe.not_supported(f"{path}.operator", operator, OPERATORS))
    wanted = requirement.get("containerName")
    if wanted is not None and wanted not in names:
        causes.append(fe.invalid(f"{path}.containerName", wanted, "must be one of the container "
                                 "or initContainer names in the pod template"))
    values = requirement.get("values") or []
    if not values:
        causes.append(fe.invalid(f"{path}.values", values, "at least one value is required"))
    elif len(values) > MAX_EXIT_CODES:
        causes.append(too_many(f"{path}.values", len(values), MAX_EXIT_CODES))
    seen: set[int] = set()
    for index, value in enumerate(values):
        where = f"{path}.values[{index}]"
        if operator == "In" and value == 0:
            causes.append(fe.invalid(where, value, "must not be 0 for the In operator"))
        if value in seen:
            causes.append(fe.duplicate(where, value))
        seen.add(value)
    if any(a > b for a, b in itertools.pairwise(values)):
        causes.append(fe.invalid(f"{path}.values", values, "must be ordered"))
    return causes


def _on_pod_conditions(patterns: list[dict[str, Any]], path: str) -> Causes:
    causes: Causes = []
    if len(patterns) > MAX_CONDITION_PATTERNS:
        causes.append(too_many(path, len(patterns), MAX_CONDITION_PATTERNS))
    for index, pattern in enumerate(patterns):
        where = f"{path}[{index}]"
        kind = str(pattern.get("type") or "")
        causes += [fe.invalid(f"{where}.type", kind, m) for m in fe.label_key(kind)]
        status = pattern.get("status")
        if not status:
            causes.append(fe.required(f"{where}.status", _valid_values(STATUSES)))
        elif status not in STATUSES:
            causes.append(fe.not_supported(f"{where}.status", status, STATUSES))
    return causes


def _rule(spec: dict[str, Any], rule: dict[str, Any], path: str, names: set[str]) -> Causes:
    causes: Causes = []
    action = rule.get("action")
    if not action:
        causes.append(fe.required(f"{path}.action", _valid_values(ACTIONS)))
    elif action == "FailIndex":
        if spec.get("backoffLimitPerIndex") is None:
            causes.append(fe.invalid(f"{path}.action", action,
                                     "requires the backoffLimitPerIndex to be set"))
    elif action not in ACTIONS:
        causes.append(fe.not_supported(f"{path}.action", action, ACTIONS))
    on_exit, on_conditions = rule.get("onExitCodes"), rule.get("onPodConditions") or []
    if on_exit is not None:
        causes += _on_exit_codes(on_exit, f"{path}.onExitCodes", names)
    if on_conditions:
        causes += _on_pod_conditions(on_conditions, f"{path}.onPodConditions")
    if on_exit is not None and on_conditions:
        causes.append(cause(path, "Invalid value: specifying both OnExitCodes and "
                                  "OnPodConditions is not supported"))
    if on_exit is None and not on_conditions:
        causes.append(cause(path, "Invalid value: specifying one of OnExitCodes and "
                                  "OnPodConditions is required"))
    return causes


def pod_failure_policy_causes(spec: dict[str, Any]) -> Causes:
    """validatePodFailurePolicy and, with it, restartPolicy Never."""
    policy = spec.get("podFailurePolicy")
    if policy is None:
        return []
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    causes: Causes = []
    rules = policy.get("rules") or []
    if len(rules) > MAX_RULES:
        causes.append(too_many("spec.podFailurePolicy.rules", len(rules), MAX_RULES))
    names = {c.get("name", "") for key in ("containers", "initContainers")
             for c in pod_spec.get(key) or []}
    for index, rule in enumerate(rules):
        causes += _rule(spec, rule, f"spec.podFailurePolicy.rules[{index}]", names)
    restart = pod_spec.get("restartPolicy")
    if restart == "OnFailure":  # Always and others are refused on their own
        causes.append(fe.invalid("spec.template.spec.restartPolicy", restart,
                                 'only "Never" is supported when podFailurePolicy is specified'))
    return causes


def pod_replacement_policy_causes(spec: dict[str, Any]) -> Causes:
    """validatePodReplacementPolicy: only Failed with a podFailurePolicy."""
    value = spec.get("podReplacementPolicy")
    if value is None:
        return []
    allowed = ["Failed"] if spec.get("podFailurePolicy") is not None else REPLACEMENT_POLICIES
    if value not in allowed:
        return [fe.not_supported("spec.podReplacementPolicy", value, allowed)]
    return []
