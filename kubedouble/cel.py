"""CRD `x-kubernetes-validations`: CEL rules evaluated as kube-apiserver evaluates them.

The expressions run on `common-expression-language` (a real CEL implementation); this module
adds what the apiserver adds around it (apiextensions-apiserver pkg/apiserver/schema/cel):
`self` typed from the schema, `oldSelf` only where an old value correlates (transition rules
skip otherwise, or get an optional with `optionalOldSelf`), ratcheting of unchanged values,
`messageExpression`, `fieldPath`, `reason`, the Kubernetes string/list/regex libraries, and
error texts worded like the real server's (values shown for scalars, omitted for objects and
arrays, as since Kubernetes 1.35).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import cel

from . import celtypes
from .errors import cause

RULES = "x-kubernetes-validations"
_REASONS = {"FieldValueInvalid": "Invalid value", "FieldValueForbidden": "Forbidden",
            "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


@functools.lru_cache(maxsize=4096)
def _program(source: str) -> Any:
    return cel.compile(source)


@functools.lru_cache(maxsize=4096)
def _uses_old_self(source: str) -> bool:
    return "oldSelf" in _program(source).variables()


def _go_value(value: Any) -> str:
    """A scalar as Go's field.Invalid prints it (%q for strings, %v for the rest)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _field_error(path: str, schema: dict[str, Any], value: Any, detail: str,
                 reason: str | None) -> dict[str, str]:
    path = path or "<nil>"  # a rule at the root: field.Path(nil), as the server prints it
    reason = reason if reason in _REASONS else "FieldValueInvalid"
    kind = _REASONS[reason]
    omit = schema.get("type") in ("object", "array") or isinstance(value, (dict, list))
    if reason in ("FieldValueForbidden", "FieldValueRequired"):
        return cause(path, f"{kind}: {detail}", reason)
    if reason == "FieldValueDuplicate":
        return cause(path, kind if omit else f"{kind}: {_go_value(value)}", reason)
    body = kind if omit else f"{kind}: {_go_value(value)}"
    return cause(path, f"{body}: {detail}", reason)


def _invalid(path: str, schema: dict[str, Any], value: Any, detail: str) -> dict[str, str]:
    return _field_error(path, schema, value, detail, None)


def _rule_text(rule: dict[str, Any]) -> str:
    return (rule.get("message") or "").strip() or str(rule.get("rule", "")).strip()


def _default_message(rule: dict[str, Any]) -> str:
    message = (rule.get("message") or "").strip()
    return message or f"failed rule: {str(rule.get('rule', '')).strip()}"


def _runtime_error(problem: Exception) -> str:
    """CEL runtime errors in cel-go's words (`no such key: x`, `index out of bounds: 3`)."""
    if isinstance(problem, KeyError):
        return f"no such key: {problem.args[0] if problem.args else ''}"
    text = str(problem)
    if isinstance(problem, ZeroDivisionError):
        return "division by zero"
    if isinstance(problem, OverflowError):
        return "integer overflow"
    if isinstance(problem, TypeError) and text.startswith("No such overload"):
        return "no such overload"
    return text.split(". Check ")[0]


class _Node:
    """One schema node with the value at it, its correlated old value and ratcheting state."""

    def __init__(self, schema: dict[str, Any], value: Any, old: Any, path: str,
                 unchanged: bool, root: bool) -> None:
        self.schema, self.value, self.old, self.path = schema, value, old, path
        self.unchanged, self.root = unchanged, root


def validate(schema: dict[str, Any] | None, obj: Any, old: Any = None) -> list[dict[str, str]]:
    """Causes for every failing rule in `schema` on `obj` (`old`: the stored object on update)."""
    if not schema:
        return []
    causes: list[dict[str, str]] = []
    _walk(_Node(schema, obj, old, "", old is not None and obj == old, True), causes)
    return causes


def _walk(node: _Node, causes: list[dict[str, str]]) -> None:
    if node.value is None:
        return  # only non-null values are validated
    schema = node.schema
    for rule in schema.get(RULES) or []:
        found = _check(node, rule)
        if found is not None:
            causes.append(found)
    for sub in schema.get("allOf") or []:
        if isinstance(sub, dict) and sub.get(RULES):
            merged = {**schema, RULES: sub[RULES], "allOf": []}
            for rule in merged[RULES]:
                found = _check(_Node(merged, node.value, node.old, node.path, False, node.root),
                               rule)
                if found is not None:
                    causes.append(found)
    for child in _children(node):
        _walk(child, causes)


def _children(node: _Node) -> list[_Node]:
    schema, value, old = node.schema, node.value, node.old
    found = []
    if isinstance(value, dict):
        atomic = schema.get("x-kubernetes-map-type") == "atomic"
        old_map = old if isinstance(old, dict) and not atomic else {}
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key, child in value.items():
            if node.root and key in ("apiVersion", "kind", "metadata"):
                continue
            if key in properties:
                child_schema, child_path = properties[key], _join(node.path, key)
            elif isinstance(additional, dict):
                child_schema, child_path = additional, f"{node.path}[{key}]"
            else:
                continue
            child_old = old_map.get(key)
            unchanged = (child_old == child) if key in old_map else node.unchanged
            found.append(_Node(child_schema, child, child_old, child_path, unchanged,
                               bool(child_schema.get("x-kubernetes-embedded-resource"))))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        keys = schema.get("x-kubernetes-list-map-keys") or []
        by_key: dict[str, Any] = {}
        if schema.get("x-kubernetes-list-type") == "map" and isinstance(old, list):
            by_key = {_list_key(o, keys): o for o in old if isinstance(o, dict)}
        for index, item in enumerate(value):
            key = _list_key(item, keys) if isinstance(item, dict) else None
            item_old = by_key.get(key) if key is not None else None
            unchanged = (item_old == item) if item_old is not None else node.unchanged
            found.append(_Node(items, item, item_old, f"{node.path}[{index}]", unchanged,
                               bool(items.get("x-kubernetes-embedded-resource"))))
    return found


def _list_key(item: dict[str, Any], keys: list[str]) -> str:
    return json.dumps([item.get(k) for k in keys])


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(node: _Node, rule: dict[str, Any]) -> dict[str, str] | None:
    """The cause for one rule at one node, or None when it holds (or does not apply)."""
    source = str(rule.get("rule", ""))
    if not source.strip():
        return None
    schema, path = node.schema, node.path
    uses_old = _uses_old_self(source)
    optional = bool(rule.get("optionalOldSelf"))
    if uses_old and node.old is None and not optional:
        return None  # transition rules need a correlated old value
    activation = _activation(node, optional)
    try:
        result = _program(source).execute(activation)
    except Exception as problem:  # CEL runtime errors become field errors, as on the server
        return _invalid(path, schema, node.value,
                        f"{_runtime_error(problem)} evaluating rule: {_rule_text(rule)}")
    if result is True:
        return None
    if not uses_old and node.unchanged:
        return None  # ratcheting: an unchanged value keeps passing (a warning on the server)
    target = _with_field_path(path, rule.get("fieldPath"))
    detail = _message_expression(rule, _activation(node, False)) or _default_message(rule)
    return _field_error(target, schema, node.value, detail, rule.get("reason"))


def _activation(node: _Node, optional_old: bool) -> cel.Context:
    variables: dict[str, Any] = {"self": celtypes.to_cel(node.value, node.schema, node.root)}
    old = None if node.old is None else celtypes.to_cel(node.old, node.schema, node.root)
    if optional_old:
        variables["oldSelf"] = (cel.OptionalValue.none() if node.old is None
                                else cel.OptionalValue.of(old))
    elif node.old is not None:
        variables["oldSelf"] = old
    return cel.Context(variables=variables, functions=celtypes.LIBRARY)


def _message_expression(rule: dict[str, Any], activation: cel.Context) -> str | None:
    source = rule.get("messageExpression")
    if not source:
        return None
    try:
        message = _program(str(source)).execute(activation)
    except Exception:  # the server logs it and falls back to message
        return None
    if not isinstance(message, str):
        return None
    message = message.strip()
    return message if message and "\n" not in message and len(message) <= 5120 else None


def _with_field_path(path: str, field_path: str | None) -> str:
    """`fieldPath: .spec.x` or `.m['k.y']` relative to the rule's node, as field.Path prints."""
    if not field_path:
        return path
    result = path
    for name, quoted in re.findall(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]", field_path):
        result = _join(result, name) if name else f"{result}[{quoted}]"
    return result


# CRD registration -------------------------------------------------------------------------
def crd_causes(crd: dict[str, Any]) -> list[dict[str, str]]:
    """Compile every rule of every version at CRD create/update, as the server does."""
    causes: list[dict[str, str]] = []
    for index, version in enumerate((crd.get("spec") or {}).get("versions") or []):
        schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
        if isinstance(schema, dict):
            _crd_walk(schema, f"spec.versions[{index}].schema.openAPIV3Schema", causes)
    return causes


def _crd_walk(schema: dict[str, Any], path: str, causes: list[dict[str, str]]) -> None:
    for index, rule in enumerate(schema.get(RULES) or []):
        here = f"{path}.{RULES}[{index}]"
        if not isinstance(rule, dict) or not str(rule.get("rule", "")).strip():
            causes.append(cause(f"{here}.rule", "Required value", "FieldValueRequired"))
            continue
        for field in ("rule", "messageExpression"):
            if rule.get(field):
                problem = _compile_error(str(rule[field]))
                if problem:
                    shown = _rule_struct(rule) if field == "rule" else json.dumps(rule[field])
                    what = "compilation failed" if field == "rule" else \
                        "messageExpression compilation failed"
                    causes.append(cause(f"{here}.{field}",
                                        f"Invalid value: {shown}: {what}: {problem}"))
        if rule.get("reason") and rule["reason"] not in _REASONS:
            supported = ", ".join(json.dumps(r) for r in _REASONS)
            causes.append(cause(f"{here}.reason", f"Unsupported value: "
                                                  f"{json.dumps(rule['reason'])}: supported "
                                                  f"values: {supported}",
                                "FieldValueNotSupported"))
        if rule.get("message") and "\n" in str(rule["message"]):
            causes.append(cause(f"{here}.message", f"Invalid value: {json.dumps(rule['message'])}"
                                                   ": message must not contain line breaks"))
    for key, child in (schema.get("properties") or {}).items():
        if isinstance(child, dict):
            _crd_walk(child, f"{path}.properties[{key}]", causes)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _crd_walk(schema[key], f"{path}.{key}", causes)


def _compile_error(source: str) -> str | None:
    try:
        _program(source)
    except Exception as problem:  # a parse error: the CRD is refused
        return str(problem).replace(f"Failed to parse expression {source!r}: ", "")
    return None


def _rule_struct(rule: dict[str, Any]) -> str:
    return (f"apiextensions.ValidationRule{{Rule:{json.dumps(rule.get('rule', ''))}, "
            f"Message:{json.dumps(rule.get('message', ''))}}}")

