"""The run form built from a JSON Schema: submitted text to typed values checked against the
schema, each problem next to its field (runs.forms.RunForm, runs.schemaform's fields)."""

from __future__ import annotations

import pytest

from runs.forms import RunForm

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "title": "Name", "description": "Who"},
        "count": {"type": "integer", "minimum": 1, "multipleOf": 2},
        "ratio": {"anyOf": [{"type": "string", "enum": ["auto"]},
                            {"type": "number", "minimum": 0, "maximum": 1}]},
        "extra": {"type": "array", "items": {"type": "integer"}},
        "mode": {"enum": ["fast", 1, True]},
        "loud": {"type": "boolean", "default": True},
        "glob": {"type": "string", "format": "project-glob"},
    },
}


def submit(data: dict[str, str]) -> RunForm:
    form = RunForm(SCHEMA, data)
    form.is_valid()
    return form


def test_values_are_typed_and_checked() -> None:
    form = submit({
        "name": " ab ", "count": "4", "ratio": "__number__", "ratio__number": "0.5",
        "extra": "[1, 2]", "mode": "true", "loud": "on", "glob": "", "glob__pick": "raw/a.png"})
    assert form.errors == {}
    assert form.values == {"name": "ab", "count": 4, "ratio": 0.5, "extra": [1, 2],
                           "mode": True, "loud": True, "glob": "raw/a.png"}


def test_empty_inputs_are_left_out_and_an_unticked_box_is_false() -> None:
    form = submit({"name": "ab", "count": "", "ratio": "", "extra": " ", "mode": ""})
    assert form.is_valid()
    assert form.values == {"name": "ab", "loud": False}


def test_a_typed_glob_wins_over_a_picked_file() -> None:
    assert submit({"name": "ab", "glob": "**/*.png", "glob__pick": "a.png"}).values["glob"] == (
        "**/*.png")


def test_problems_are_attached_to_their_fields() -> None:
    form = submit({"count": "3", "ratio": '"nope"', "extra": "[1,", "mode": "2"})
    assert form.errors == {
        "name": ["This field is required."],
        "count": ["3 is not a multiple of 2"],
        "ratio": ["Pick one of the choices."],
        "extra": ["Enter valid JSON."],
        "mode": ["Pick one of the choices."],
    }
    assert not form.is_valid()


@pytest.mark.parametrize(("data", "field", "problem"), [
    ({"count": "2.5"}, "count", "Enter a whole number."),
    ({"count": "lots"}, "count", "Enter a number."),
    ({"count": "inf"}, "count", "Enter a finite number."),
    ({"count": "-2"}, "count", "Must be at least 1."),
    ({"ratio": "__number__"}, "ratio", "Enter the number, or pick a choice."),
    ({"ratio": "__number__", "ratio__number": "2"}, "ratio",
     "Pick one of the choices or enter a number in range."),
    ({"name": "a"}, "name", "Must have at least 2 character(s)."),
    ({"extra": '["x"]'}, "extra", "'x' is not of type 'integer'"),
])
def test_each_kind_says_what_is_wrong(data: dict[str, str], field: str, problem: str) -> None:
    assert submit({"name": "ab", **data}).errors == {field: [problem]}


def test_a_required_name_the_schema_has_no_field_for_is_a_form_error() -> None:
    form = RunForm({"type": "object", "required": ["ghost"], "properties": {}}, {})
    assert not form.is_valid()
    assert form.non_field_errors() == ["This field is required."]


def test_fields_show_defaults_or_given_values_until_submitted() -> None:
    shown = RunForm(SCHEMA, values={"ratio": 0.25, "mode": 1, "extra": [3]})
    assert shown["ratio"].value() == ["__number__", "0.25"]
    assert shown["mode"].value() == "1"
    assert shown["extra"].value() == "[3]"
    assert shown["loud"].value() is True
    typed = submit({"name": "x", "count": "lots"})
    assert typed["count"].value() == "lots"  # what was typed, to fix


def test_widgets_carry_the_schema_constraints() -> None:
    html = str(RunForm(SCHEMA)["count"])
    assert 'type="number"' in html and 'step="2"' in html and 'min="1"' in html
    name = str(RunForm(SCHEMA)["name"])
    assert 'id="field-name"' in name and " required" in name
    ratio = str(RunForm(SCHEMA)["ratio"])
    assert 'name="ratio__number"' in ratio and 'id="field-ratio__number"' in ratio
    assert 'data-other-number="field-ratio__number"' in ratio
    assert [field.field.kind for field in RunForm(SCHEMA)] == [
        "text", "integer", "choice-or-number", "json", "select", "checkbox", "project-glob"]


def test_the_project_files_are_offered_to_pick() -> None:
    form = RunForm(SCHEMA)
    assert form.wants_project_files
    form.offer_files(["a.png", "raw/b.tif"], True)
    html = str(form["glob"])
    assert '<option value="raw/b.tif">raw/b.tif</option>' in html
    assert "Only the first 2 files are listed" in html
    assert not RunForm({"type": "object", "properties": {"n": {"type": "integer"}}}
                       ).wants_project_files
