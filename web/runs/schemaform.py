"""A Pipeline's `form` JSON Schema, one property at a time, as Django form fields and widgets.

One Field class per kind of property: text, number, integer, checkbox, select (an enum),
choice-or-number (an `anyOf` of an enum and a number), project-glob (a string of format
project-glob: a glob, or a file picked from the project) and json (anything else, typed in as
JSON). Each turns submitted text into a typed value, None for an input left empty, so the
schema's `required` decides whether that is fine (runs.forms.RunForm checks the whole schema).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

PROJECT_GLOB = "project-glob"
OTHER_NUMBER = "__number__"  # the choice-or-number select's "other number" option
NUMBER_SUFFIX = "__number"  # name suffix of its number input
PICK_SUFFIX = "__pick"  # name suffix of a project-glob's file select


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


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_number(text: str, kind: str) -> int | float:
    """A number typed in; ValidationError with the message the page shows if it is none."""
    try:
        number = float(text)
    except ValueError:
        raise ValidationError("Enter a number.", code="number") from None
    if not math.isfinite(number):
        raise ValidationError("Enter a finite number.", code="finite")
    if kind == "integer":
        if not number.is_integer():
            raise ValidationError("Enter a whole number.", code="integer")
        return int(number)
    whole = number.is_integer() and "." not in text and "e" not in text.lower()
    return int(number) if whole else number


def _number_attrs(prop: Mapping[str, Any], kind: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "step": _number_text(prop["multipleOf"]) if "multipleOf" in prop
        else "1" if kind == "integer" else "any",
    }
    for key, attr in (("minimum", "min"), ("maximum", "max")):
        if prop.get(key) is not None:
            attrs[attr] = prop[key]
    return attrs


def _is_choice(value: Any, choices: list[Any]) -> bool:
    return any(value == choice and type(value) is type(choice) for choice in choices)


class SchemaField(forms.Field):
    """A field for one schema property; `kind` names it for the template and the tests.

    shown(value) is what its widget shows for a value (a default, or one given back); after a
    submission the widget shows the text as submitted instead.
    """

    kind = ""

    def __init__(self, prop: Mapping[str, Any], *, name: str, required: bool,
                 **kwargs: Any) -> None:
        self.schema_required = required
        # Empty is not the field's error: the schema's `required` says it, worded the same.
        super().__init__(
            required=False,
            label=str(prop.get("title") or name),
            help_text=str(prop.get("description") or ""),
            **kwargs,
        )

    def shown(self, value: Any) -> Any:
        return "" if value is None else str(value)


class TextField(SchemaField):
    kind = "text"
    widget = forms.TextInput

    def __init__(self, prop: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(prop, **kwargs)
        self.max_length = prop.get("maxLength")
        if self.max_length:
            self.widget.attrs["maxlength"] = self.max_length
        if self.schema_required:
            self.widget.attrs["required"] = True

    def to_python(self, value: Any) -> str | None:
        return _text(value) or None


class NumberField(SchemaField):
    """kind "number" or "integer"."""

    widget = forms.NumberInput

    def __init__(self, prop: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(prop, **kwargs)
        self.kind = prop["type"]
        self.widget.attrs.update(_number_attrs(prop, self.kind))
        if self.schema_required:
            self.widget.attrs["required"] = True

    def shown(self, value: Any) -> str:
        return _number_text(value)

    def to_python(self, value: Any) -> int | float | None:
        text = _text(value)
        return parse_number(text, self.kind) if text else None


class CheckboxField(SchemaField):
    """A boolean: always a value (unticked is false)."""

    kind = "checkbox"
    widget = forms.CheckboxInput

    def shown(self, value: Any) -> bool:
        return value is True

    def to_python(self, value: Any) -> bool:
        return bool(value)


class SelectField(SchemaField):
    """An enum: a select whose options carry the JSON of each value."""

    kind = "select"

    def __init__(self, prop: Mapping[str, Any], *, required: bool, **kwargs: Any) -> None:
        self.enum = list(prop["enum"])
        options = [(_token(choice), str(choice)) for choice in self.enum]
        if not required and "default" not in prop:
            options.insert(0, ("", "—"))
        super().__init__(prop, required=required, widget=forms.Select(choices=options), **kwargs)

    def shown(self, value: Any) -> str | None:
        return _token(value) if _is_choice(value, self.enum) else None

    def to_python(self, value: Any) -> Any:
        return parse_choice(_text(value), self.enum)


def parse_choice(text: str, choices: list[Any]) -> Any:
    """The enum value an option's JSON names; None if none was picked."""
    if not text:
        return None
    try:
        choice = json.loads(text)
    except ValueError:
        raise ValidationError("Pick one of the choices.", code="choice") from None
    if choice not in choices:
        raise ValidationError("Pick one of the choices.", code="choice")
    return choice


class PairWidget(forms.MultiWidget):
    """Two inputs named `name` and `name<suffix>`, with ids `field-name` and `field-name<suffix>`
    (Django numbers them `_0`, `_1`; the page's script and labels use the names)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        id_ = context["widget"]["attrs"].get("id")
        subwidgets = context["widget"]["subwidgets"]
        if id_:
            for subwidget, suffix in zip(subwidgets, self.widgets_names, strict=True):
                subwidget["attrs"]["id"] = id_ + suffix
        return context


class ChoiceOrNumberWidget(PairWidget):
    template_name = "runs/widgets/choice_or_number.html"

    def __init__(self, options: list[tuple[str, str]], number_attrs: dict[str, Any]) -> None:
        super().__init__({
            "": forms.Select(choices=options),
            NUMBER_SUFFIX[1:]: forms.NumberInput(attrs={**number_attrs, "placeholder": "number"}),
        })
        self.label = ""  # the field's, for the number input's label

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        choice, number = context["widget"]["subwidgets"]
        choice["attrs"]["data-other-number"] = number["attrs"].get("id", "")
        context["widget"]["label"] = self.label
        return context


class ChoiceOrNumberField(SchemaField):
    """An `anyOf` of an enum and a number: a select of the choices and "other number…", and a
    number input beside it."""

    kind = "choice-or-number"

    def __init__(self, prop: Mapping[str, Any], choices: list[Any], number: Mapping[str, Any],
                 **kwargs: Any) -> None:
        self.enum = choices
        options = [(_token(choice), str(choice)) for choice in choices]
        options.append((OTHER_NUMBER, "other number…"))
        widget = ChoiceOrNumberWidget(options, _number_attrs(number, number.get("type", "number")))
        super().__init__(prop, widget=widget, **kwargs)
        self.widget.label = self.label

    def shown(self, value: Any) -> list[str | None]:
        if _is_choice(value, self.enum):
            return [_token(value), ""]
        if value is None:
            return [None, ""]
        return [OTHER_NUMBER, _number_text(value)]

    def to_python(self, value: Any) -> Any:
        choice, number = (_text(part) for part in value) if value else ("", "")
        if choice != OTHER_NUMBER:
            return parse_choice(choice, self.enum)
        if not number:
            raise ValidationError("Enter the number, or pick a choice.", code="number")
        return parse_number(number, "number")


class GlobWidget(PairWidget):
    template_name = "runs/widgets/project_glob.html"

    def __init__(self, max_length: int | None) -> None:
        text_attrs: dict[str, Any] = {"class": "glob"}
        if max_length:
            text_attrs["maxlength"] = max_length
        super().__init__({"": forms.TextInput(attrs=text_attrs),
                          PICK_SUFFIX[1:]: forms.Select()})
        self.files_cut = False

    def offer_files(self, paths: list[str], cut: bool) -> None:
        self.widgets[1].choices = [("", "— type a glob above, or choose a file —")] + [
            (path, path) for path in paths]
        self.files_cut = cut

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        text, pick = context["widget"]["subwidgets"]
        pick["attrs"]["data-fills"] = text["attrs"].get("id", "")
        context["widget"]["files_cut"] = self.files_cut
        context["widget"]["files_offered"] = len(self.widgets[1].choices) - 1
        return context


class ProjectGlobField(SchemaField):
    """A glob naming files of the project, typed in or picked from a list of its files."""

    kind = PROJECT_GLOB

    def __init__(self, prop: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(prop, widget=GlobWidget(prop.get("maxLength")), **kwargs)

    def shown(self, value: Any) -> list[str]:
        return ["" if value is None else str(value), ""]

    def to_python(self, value: Any) -> str | None:
        typed, picked = (_text(part) for part in value) if value else ("", "")
        return typed or picked or None


class JsonField(SchemaField):
    """Objects, arrays and untyped properties: typed in as JSON."""

    kind = "json"

    def __init__(self, prop: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(prop, widget=forms.Textarea(attrs={"rows": 3}), **kwargs)

    def shown(self, value: Any) -> str:
        return "" if value is None else json.dumps(value)

    def to_python(self, value: Any) -> Any:
        text = _text(value)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise ValidationError("Enter valid JSON.", code="json") from None


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


def field_for(name: str, prop: Mapping[str, Any], *, required: bool) -> SchemaField:
    """The form field for one property of the schema."""
    common: dict[str, Any] = {"name": name, "required": required}
    choice = _enum_and_number(prop)
    kind = prop.get("type")
    if choice is not None:
        return ChoiceOrNumberField(prop, *choice, **common)
    if isinstance(prop.get("enum"), list):
        return SelectField(prop, **common)
    if kind == "boolean":
        return CheckboxField(prop, **common)
    if kind in ("number", "integer"):
        return NumberField(prop, **common)
    if kind == "string":
        if prop.get("format") == PROJECT_GLOB:
            return ProjectGlobField(prop, **common)
        return TextField(prop, **common)
    return JsonField(prop, **common)


def field_of(error: Any) -> str | None:
    """The property a jsonschema error is about, if one."""
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        missing = [n for n in error.validator_value if n not in error.instance]
        return missing[0] if missing else None
    return None


def message(error: Any) -> str:
    """A jsonschema error in the page's words."""
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
