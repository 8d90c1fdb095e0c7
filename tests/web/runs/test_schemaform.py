"""Turning submitted text into values checked against the schema (pure)."""

from __future__ import annotations

from runs.schemaform import fields_for, parse_submission

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "count": {"type": "integer", "minimum": 1, "multipleOf": 2},
        "ratio": {"anyOf": [{"type": "string", "enum": ["auto"]},
                            {"type": "number", "minimum": 0, "maximum": 1}]},
        "extra": {"type": "array", "items": {"type": "integer"}},
    },
}


def test_values_are_typed_and_checked() -> None:
    values, errors, _ = parse_submission(SCHEMA, {
        "name": "ab", "count": "4", "ratio": "__number__", "ratio__number": "0.5",
        "extra": "[1, 2]"})
    assert errors == {}
    assert values == {"name": "ab", "count": 4, "ratio": 0.5, "extra": [1, 2]}


def test_problems_are_attached_to_their_fields() -> None:
    _, errors, shown = parse_submission(SCHEMA, {
        "count": "3", "ratio": '"nope"', "extra": "[1,"})
    assert errors == {
        "name": ["This field is required."],
        "count": ["3 is not a multiple of 2"],
        "ratio": ["Pick one of the choices."],
        "extra": ["Enter valid JSON."],
    }
    assert shown["count"] == "3"


def test_whole_numbers_are_required_for_integers() -> None:
    _, errors, _ = parse_submission(SCHEMA, {"name": "ab", "count": "2.5"})
    assert errors == {"count": ["Enter a whole number."]}


def test_step_comes_from_multiple_of() -> None:
    count = next(field for field in fields_for(SCHEMA) if field.name == "count")
    assert (count.kind, count.step, count.minimum) == ("integer", "2", 1)
