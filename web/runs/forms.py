"""The runs app's Forms: which Pipeline, its run form (built from its JSON Schema), cancelling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from jsonschema import Draft202012Validator

from runs.schemaform import GlobWidget, SchemaField, field_for, field_of, message


class RunForm(forms.Form):
    """A Pipeline's `form` JSON Schema (checked with schemaform.check_schema first) as a Form.

    Each property is a schemaform field, which turns its text into a typed value; the values
    are then checked against the whole schema, each problem shown next to its field (a field
    whose text was already wrong is not told twice). `values` are what the run gets: inputs
    left empty are left out, so the schema's `required` decides whether that is fine.
    """

    use_required_attribute = False  # the inputs say `required` as the schema does, not Django

    def __init__(self, schema: Mapping[str, Any], data: Mapping[str, Any] | None = None, *,
                 values: Mapping[str, Any] | None = None) -> None:
        super().__init__(data, auto_id="field-%s")
        self.schema = schema
        required = set(schema.get("required") or ())
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict):
                field = field_for(name, prop, required=name in required)
                self.fields[name] = field
                self.initial[name] = field.shown((values or {}).get(name, prop.get("default")))

    @property
    def wants_project_files(self) -> bool:
        return any(isinstance(field.widget, GlobWidget) for field in self.fields.values())

    def offer_files(self, paths: list[str], cut: bool) -> None:
        """The project's files its glob fields offer to pick (runs.projectfiles finds them)."""
        for field in self.fields.values():
            if isinstance(field.widget, GlobWidget):
                field.widget.offer_files(paths, cut)

    def clean(self) -> dict[str, Any]:
        values = self.values
        for error in Draft202012Validator(self.schema).iter_errors(values):
            name = field_of(error)
            if name is not None and name in self.errors:
                continue  # already told what is wrong with the text itself
            self.add_error(name if name in self.fields else None, message(error))
        return self.cleaned_data

    @property
    def values(self) -> dict[str, Any]:
        """The typed values of the fields whose text was fine (all of them once is_valid())."""
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value is not None and isinstance(self.fields.get(name), SchemaField)}


MAX_NAME = 253  # a Kubernetes object name's limit


class PipelineChoiceForm(forms.Form):
    """?pipeline=<name> on the run page, and the run form's hidden `pipeline` input."""

    pipeline = forms.CharField(required=False, max_length=MAX_NAME)
    again = forms.CharField(required=False, max_length=MAX_NAME)  # a run whose values to start from

    def wanted(self) -> str:
        """The Pipeline's name asked for, "" for none. Text no Pipeline can be called comes
        back cut to a name's length, so the page says there is no such pipeline."""
        if self.is_valid():
            return self.cleaned_data["pipeline"]
        return str(self.data.get("pipeline", "")).replace("\x00", "")[:MAX_NAME]

    def run_again(self) -> str:
        """The name of the run to run again, "" for none (or for text no run can be called)."""
        return self.cleaned_data.get("again", "") if self.is_valid() else ""


# As the CRD bounds spec.priority (crds/pipelineruns.kubeshowcase.io.yaml).
PRIORITY_MIN, PRIORITY_MAX = -100, 100


class PriorityForm(forms.Form):
    """An admin's priority for a new run (spec.priority; higher starts first, whoever owns
    it). Anyone else posting one gets an error and nothing starts, rather than a run quietly
    queued otherwise than asked."""

    priority = forms.IntegerField(required=False, min_value=PRIORITY_MIN, max_value=PRIORITY_MAX,
                                  label="Priority",
                                  help_text="Admins only: a higher priority starts before every "
                                            "lower one, whoever's run it is (0: as usual).")

    def __init__(self, data: Mapping[str, Any] | None = None, *, admin: bool) -> None:
        super().__init__(data, auto_id="field-%s")
        self.admin = admin

    def clean_priority(self) -> int | None:
        value = self.cleaned_data.get("priority")
        if value is not None and not self.admin:
            raise forms.ValidationError("Only admins may set a run's priority.")
        return value

    def wanted(self) -> int:
        """The priority to write (0 when none was given); call after is_valid()."""
        return self.cleaned_data.get("priority") or 0


class CancelForm(forms.Form):
    """Where the cancel button goes back to: the queue, or (by default) the run's page."""

    back = forms.ChoiceField(choices=[("", "the run's page"), ("queue", "the queue")],
                             required=False)

    def back_route(self) -> str | None:
        """The named route to go back to; None for the run's own page."""
        if self.is_valid() and self.cleaned_data["back"] == "queue":
            return "runs-queue"
        return None
