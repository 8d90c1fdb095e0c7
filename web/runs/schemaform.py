"""A Pipeline's `form` JSON Schema as HTML form fields; submitted text back to checked values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

PROJECT_GLOB = "project-glob"
OTHER_NUMBER = "__number__"  # the choice-or-number select's "other number" option
NUMBER_SUFFIX = "__number"  # name suffix of its number input
PICK_SUFFIX = "__pick"  # name suffix of a project-glob's file select


@dataclass
class Option:
    token: str  # what the <option value> carries: the JSON of the enum value
    label: str
    selected: bool = False


@dataclass
class Field:
    name: str
    kind: str  # text, number, integer, checkbox, select, choice-or-number, project-glob, json
    title: str
    description: str
    required: bool
    has_default: bool = False
    value: str = ""  # what the input shows
    checked: bool = False
    options: list[Option] = field(default_factory=list)
    number_value: str = ""  # choice-or-number: the "other number" input
    minimum: Any = None
    maximum: Any = None
    step: str = ""
    min_length: int | None = None
    max_length: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def number_name(self) -> str:
        return self.name + NUMBER_SUFFIX

    @property
    def pick_name(self) -> str:
        return self.name + PICK_SUFFIX

    @property
    def other_selected(self) -> bool:
        return any(option.selected and option.token == OTHER_NUMBER for option in self.options)


class UnusableSchema(Exception):
    """The Pipeline's form is not a JSON Schema we can render; str() says why."""


def check_schema(schema: Mapping[str, Any]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise UnusableSchema(f"The pipeline's form is not a valid JSON Schema: {error.message}")
    if schema.get("type", "object") != "object":
        raise UnusableSchema("The pipeline's form must describe an object.")


def _token(value: Any) -> str:
    return json.dumps(value)


def _number_text(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else json.dumps(value)


def _enum_and_number(prop: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]] | None:
    """(choices, number schema) for an `anyOf` of an enum and a number, else None."""
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2:
        return None
    enums = [b for b in branches if isinstance(b, dict) and isinstance(b.get("enum"), list)]
    numbers = [
        b for b in branches
        if isinstance(b, dict) and b.get("type") in ("number", "integer") and "enum" not in b
    ]
    if len(enums) != 1 or len(numbers) != 1:
        return None
    return list(enums[0]["enum"]), numbers[0]


def _step(prop: Mapping[str, Any], kind: str) -> str:
    if "multipleOf" in prop:
        return _number_text(prop["multipleOf"])
    return "1" if kind == "integer" else "any"


def fields_for(schema: Mapping[str, Any], values: Mapping[str, Any] | None = None) -> list[Field]:
    """One Field per property, showing `values` (defaults from the schema where missing)."""
    required = set(schema.get("required") or ())
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        value = (values or {}).get(name, prop.get("default"))
        common = {
            "name": name,
            "title": str(prop.get("title") or name),
            "description": str(prop.get("description") or ""),
            "required": name in required,
            "has_default": "default" in prop,
        }
        choice = _enum_and_number(prop)
        kind = prop.get("type")
        if choice is not None:
            choices, number = choice
            is_choice = any(value == c and type(value) is type(c) for c in choices)
            options = [Option(_token(c), str(c), is_choice and value == c) for c in choices]
            other = not is_choice and value is not None
            options.append(Option(OTHER_NUMBER, "other number…", other))
            fields.append(Field(
                kind="choice-or-number", options=options,
                number_value=_number_text(value) if other else "",
                minimum=number.get("minimum"), maximum=number.get("maximum"),
                step=_step(number, number.get("type", "number")), **common,
            ))
        elif isinstance(prop.get("enum"), list):
            options = [
                Option(_token(c), str(c), value == c and type(value) is type(c))
                for c in prop["enum"]
            ]
            fields.append(Field(kind="select", options=options, **common))
        elif kind == "boolean":
            fields.append(Field(kind="checkbox", checked=value is True, **common))
        elif kind in ("number", "integer"):
            fields.append(Field(
                kind=kind, value=_number_text(value),
                minimum=prop.get("minimum"), maximum=prop.get("maximum"),
                step=_step(prop, kind), **common,
            ))
        elif kind == "string":
            fields.append(Field(
                kind=PROJECT_GLOB if prop.get("format") == PROJECT_GLOB else "text",
                value="" if value is None else str(value),
                min_length=prop.get("minLength"), max_length=prop.get("maxLength"), **common,
            ))
        else:  # objects, arrays, untyped: typed in as JSON
            fields.append(Field(
                kind="json", value="" if value is None else json.dumps(value), **common
            ))
    return fields


def _parse_number(text: str, kind: str) -> tuple[Any, str | None]:
    try:
        number = float(text)
    except ValueError:
        return None, "Enter a number."
    if not math.isfinite(number):
        return None, "Enter a finite number."
    if kind == "integer":
        if not number.is_integer():
            return None, "Enter a whole number."
        return int(number), None
    return (int(number) if number.is_integer() and "." not in text and "e" not in text.lower()
            else number), None


def parse_submission(
    schema: Mapping[str, Any], data: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, str]]:
    """(values, errors per field, raw text to show again) from a POSTed form.

    Empty inputs are left out of values, so the schema's `required` decides whether that is fine.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    shown: dict[str, Any] = {}
    for item in fields_for(schema):
        name = item.name
        raw = (data.get(name) or "").strip()
        if item.kind == "checkbox":
            values[name] = shown[name] = name in data
            continue
        if item.kind == "project-glob":
            raw = raw or (data.get(item.pick_name) or "").strip()
            shown[name] = raw
            if raw:
                values[name] = raw
            continue
        if item.kind == "text":
            shown[name] = raw
            if raw:
                values[name] = raw
            continue
        if item.kind in ("number", "integer"):
            shown[name] = raw
            if raw:
                number, problem = _parse_number(raw, item.kind)
                if problem:
                    errors.setdefault(name, []).append(problem)
                else:
                    values[name] = number
            continue
        if item.kind in ("select", "choice-or-number"):
            if raw == OTHER_NUMBER and item.kind == "choice-or-number":
                number_raw = (data.get(item.number_name) or "").strip()
                if not number_raw:
                    errors.setdefault(name, []).append("Enter the number, or pick a choice.")
                    continue
                number, problem = _parse_number(number_raw, "number")
                if problem:
                    errors.setdefault(name, []).append(problem)
                    shown[name] = None
                    continue
                values[name] = shown[name] = number
                continue
            if not raw:
                continue
            try:
                choice = json.loads(raw)
            except ValueError:
                errors.setdefault(name, []).append("Pick one of the choices.")
                continue
            if choice not in [json.loads(option.token) for option in item.options
                              if option.token != OTHER_NUMBER]:
                errors.setdefault(name, []).append("Pick one of the choices.")
                continue
            values[name] = shown[name] = choice
            continue
        # json
        shown[name] = raw
        if raw:
            try:
                values[name] = json.loads(raw)
            except ValueError:
                errors.setdefault(name, []).append("Enter valid JSON.")
    for error in Draft202012Validator(schema).iter_errors(values):
        name = _field_of(error)
        if name is not None and name in errors:
            continue  # already told what is wrong with the text itself
        errors.setdefault(name or "", []).append(_message(error))
    return values, errors, shown


def _field_of(error: Any) -> str | None:
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        missing = [n for n in error.validator_value if n not in error.instance]
        return missing[0] if missing else None
    return None


def _message(error: Any) -> str:
    if error.validator == "required":
        return "This field is required."
    if error.validator == "minimum":
        return f"Must be at least {error.validator_value}."
    if error.validator == "maximum":
        return f"Must be at most {error.validator_value}."
    if error.validator == "minLength":
        return f"Must have at least {error.validator_value} character(s)."
    if error.validator == "maxLength":
        return f"Must have at most {error.validator_value} characters."
    if error.validator == "anyOf":
        return "Pick one of the choices or enter a number in range."
    return error.message


def shown_fields(
    schema: Mapping[str, Any], shown: Mapping[str, Any], errors: Mapping[str, list[str]]
) -> list[Field]:
    """Fields re-filled with what was submitted, each with its errors."""
    fields = fields_for(schema, {k: v for k, v in shown.items()})
    for item in fields:
        item.errors = list(errors.get(item.name, ()))
        typed = item.kind in ("number", "integer", "text", "project-glob", "json")
        if typed and item.name in shown:
            item.value = str(shown.get(item.name, "") or "")
    return fields
