"""The projects app's Forms: names typed into the project and folder pages, and uploads.

The pages post them and go back with a message, so a problem is the first error's text
(`first_error`); the checks and their wording are projects.paths'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from projects.paths import UnsafePath, check_name, check_project_name
from projects.uploads import staged_files


class NameField(forms.Field):
    """A name, stripped of surrounding spaces and checked by a projects.paths check.

    An empty name is the check's business too, so its message is the one shown.
    """

    def __init__(self, check: Callable[[str], str], **kwargs: Any) -> None:
        self.check = check
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> str:
        return value.strip() if isinstance(value, str) else ""

    def validate(self, value: str) -> None:
        try:
            self.check(value)
        except UnsafePath as error:
            raise ValidationError(str(error), code="unsafe") from None


class ProjectCreateForm(forms.Form):
    name = NameField(check_project_name)


class ProjectRenameForm(forms.Form):
    new_name = NameField(check_project_name)


class FolderCreateForm(forms.Form):
    name = NameField(check_name)


class EntryRenameForm(forms.Form):
    new_name = NameField(check_name)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class StagedFilesField(forms.Field):
    """Every file of a multiple file input, as the staging upload handler kept them.

    None chosen is not this field's error: projects.intake refuses it with the other refusals.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list:
        return staged_files(list(value) if isinstance(value, list | tuple) else [])


class UploadForm(forms.Form):
    files = StagedFilesField()
    unpack_zips = forms.BooleanField(required=False)


def first_error(form: forms.Form) -> str | None:
    """The first problem of an invalid form as one sentence (None if it is valid)."""
    if form.is_valid():
        return None
    return next(message for messages in form.errors.values() for message in messages)
