"""metav1.LabelSelector fields: validated as ValidateLabelSelector does
(k8s.io/apimachinery/pkg/apis/meta/v1/validation) and printed as FormatLabelSelector prints them
(kubectl's Pod-Selector and Selector columns)."""

from __future__ import annotations

from typing import Any

from . import field_errors as fe
from .builtin_validation import labels_causes

Causes = list[dict[str, str]]


def selector_causes(selector: dict[str, Any] | None, path: str) -> Causes:
    if selector is None:
        return []
    causes = labels_causes(selector.get("matchLabels"), f"{path}.matchLabels")
    for index, requirement in enumerate(selector.get("matchExpressions") or []):
        here = f"{path}.matchExpressions[{index}]"
        operator, values = requirement.get("operator"), requirement.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                causes.append(fe.required(f"{here}.values", "must be specified when `operator` "
                                                           "is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                causes.append(fe.forbidden(f"{here}.values", "may not be specified when "
                                                             "`operator` is 'Exists' or "
                                                             "'DoesNotExist'"))
        else:
            causes.append(fe.invalid(f"{here}.operator", operator or "",
                                     "not a valid selector operator"))
        key = requirement.get("key") or ""
        causes += [fe.invalid(f"{here}.key", key, m) for m in fe.label_key(key)]
        for number, value in enumerate(values):
            causes += [fe.invalid(f"{here}.values[{number}]", value, m)
                       for m in fe.label_value(value)]
    return causes


def format_selector(selector: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty."""
    if selector is None:
        return "<none>"
    parts: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        parts.append((key, f"{key}={value}"))
    for requirement in selector.get("matchExpressions") or []:
        key, operator = requirement.get("key", ""), requirement.get("operator")
        values = ",".join(sorted(requirement.get("values") or []))
        shown = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                 "Exists": key, "DoesNotExist": f"!{key}"}.get(str(operator))
        if shown is None:
            return "<error>"
        parts.append((key, shown))
    text = ",".join(shown for _, shown in sorted(parts, key=lambda part: part[0]))
    return text or "<none>"
