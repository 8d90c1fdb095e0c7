"""Structural-schema handling for custom objects: prune unknown fields, apply defaults, validate.

Messages and field paths follow the real server (`spec.project: Invalid value: "../x":
spec.project in body should match '^...'`), which is why this walks the schema itself rather
than using jsonschema, whose messages and paths differ.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from .errors import cause

_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _keeps_unknown(schema: dict[str, Any]) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields")) or (
        "additionalProperties" in schema and schema["additionalProperties"] is not False
    )


def prune(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Drop, in place, fields the schema does not declare and nulls it does not allow.

    Returns the dropped paths (what `fieldValidation=Strict` reports as unknown fields).
    """
    dropped: list[str] = []
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            child_path = _join(path, key)
            if path == "" and key in _ROOT_KEEP:
                continue
            child_schema = properties.get(key)
            if child_schema is None and isinstance(additional, dict):
                child_schema = additional
            if child_schema is None:
                if not _keeps_unknown(schema):
                    del value[key]
                    dropped.append(child_path)
                continue
            if value[key] is None and not child_schema.get("nullable"):
                del value[key]
                continue
            dropped += prune(value[key], child_schema, child_path)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            dropped += prune(item, schema["items"], f"{path}[{index}]")
    return dropped


def apply_defaults(value: Any, schema: dict[str, Any]) -> None:
    """Fill absent fields that declare a `default`, top-down, in place."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, child_schema in properties.items():
            if key not in value and "default" in child_schema:
                value[key] = copy.deepcopy(child_schema["default"])
            if key in value:
                apply_defaults(value[key], child_schema)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            for key, child in value.items():
                if key not in properties:
                    apply_defaults(child, additional)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _type_of(value)
    return json.dumps(value)


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    actual = _type_of(value)
    if schema.get("x-kubernetes-int-or-string"):
        return actual in ("integer", "string")
    wanted = schema.get("type")
    if wanted is None:
        return True
    if actual == "null":
        return bool(schema.get("nullable"))
    return actual == wanted or (wanted == "number" and actual == "integer")


def validate(value: Any, schema: dict[str, Any], path: str = "") -> list[dict[str, str]]:
    """Causes (`field`, `message`, `reason`) for every violation, in the real server's words."""
    if not _type_ok(value, schema):
        wanted = schema.get("type", "int-or-string")
        actual = _type_of(value)
        message = f'Invalid value: "{actual}": {path} in body must be of type {wanted}: "{actual}"'
        return [cause(path, message, "FieldValueTypeInvalid")]
    causes: list[dict[str, str]] = []
    shown = _show(value)
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(json.dumps(v) for v in schema["enum"])
        causes.append(cause(path, f"Unsupported value: {shown}: supported values: {supported}",
                            "FieldValueNotSupported"))
    if isinstance(value, str):
        causes += _validate_string(value, schema, path, shown)
    elif _type_of(value) in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            causes.append(cause(path, f"Invalid value: {shown}: {path} in body should be greater "
                                      f"than or equal to {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(cause(path, f"Invalid value: {shown}: {path} in body should be less "
                                      f"than or equal to {schema['maximum']}"))
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(cause(path, f"Too many: {len(value)}: must have at most "
                                      f"{schema['maxItems']} items", "FieldValueTooMany"))
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(cause(path, f"Invalid value: {len(value)}: {path} in body should have "
                                      f"at least {schema['minItems']} items"))
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                causes += validate(item, schema["items"], f"{path}[{index}]")
    elif isinstance(value, dict):
        causes += _validate_object(value, schema, path)
    if "anyOf" in schema and not any(not validate(value, s, path) for s in schema["anyOf"]):
        causes.append(cause(path, f"Invalid value: {shown}: {path} in body must validate at "
                                  "least one schema (anyOf)"))
    return causes


def _validate_string(value: str, schema: dict[str, Any], path: str, shown: str) -> list[dict]:
    causes = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        causes.append(cause(path, f"Too long: may not be more than {schema['maxLength']} bytes",
                            "FieldValueTooLong"))
    if "minLength" in schema and len(value) < schema["minLength"]:
        causes.append(cause(path, f"Invalid value: {shown}: {path} in body should be at least "
                                  f"{schema['minLength']} chars long"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        causes.append(cause(path, f"Invalid value: {shown}: {path} in body should match "
                                  f"'{schema['pattern']}'"))
    if schema.get("format") == "date-time" and not _is_datetime(value):
        causes.append(cause(path, f"Invalid value: {shown}: {path} in body must be of type "
                                  f"date-time: {shown}"))
    return causes


def _validate_object(value: dict, schema: dict[str, Any], path: str) -> list[dict]:
    causes = []
    for key in schema.get("required") or []:
        if key not in value:
            causes.append(cause(_join(path, key), "Required value", "FieldValueRequired"))
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    for key, child in value.items():
        if path == "" and key == "metadata":
            continue
        child_schema = properties.get(key)
        if child_schema is None and isinstance(additional, dict):
            child_schema = additional
        if child_schema is not None:
            causes += validate(child, child_schema, _join(path, key))
    return causes


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
