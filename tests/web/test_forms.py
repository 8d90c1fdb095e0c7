"""The small Forms: typed values from POST and GET data, and the problems they name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from projects.forms import (
    EntryRenameForm,
    FolderCreateForm,
    ProjectCreateForm,
    ProjectRenameForm,
    UploadForm,
    first_error,
)
from results.forms import RunChoiceForm
from runs.forms import CancelForm, PipelineChoiceForm


def test_a_name_is_stripped() -> None:
    form = ProjectCreateForm({"name": "  cells "})
    assert form.is_valid()
    assert form.cleaned_data == {"name": "cells"}
    assert first_error(form) is None


@pytest.mark.parametrize("form_class", [ProjectCreateForm, FolderCreateForm])
@pytest.mark.parametrize(("name", "problem"), [
    ("", "A name cannot be empty."),
    ("..", "“..” cannot be used as a name."),
    ("a/b", "A name cannot contain “/” or “\\”."),
    ("a\x00b", "A name cannot contain control characters such as NUL or a line break."),
])
def test_a_bad_name_is_refused_in_the_words_of_projects_paths(
    form_class: type, name: str, problem: str
) -> None:
    form = form_class({"name": name})
    assert not form.is_valid()
    assert first_error(form) == problem


def test_a_missing_name_is_an_empty_one() -> None:
    assert first_error(ProjectRenameForm({})) == "A name cannot be empty."
    assert first_error(EntryRenameForm({})) == "A name cannot be empty."


def test_project_names_are_checked_as_project_names() -> None:
    # A dot-name is a fine file name but no project name (projects.paths.check_project_name).
    assert EntryRenameForm({"new_name": ".hidden"}).is_valid()
    assert not ProjectRenameForm({"new_name": ".hidden"}).is_valid()


def test_the_upload_form_keeps_only_staged_files_and_reads_the_box() -> None:
    plain = SimpleUploadedFile("a.txt", b"a")  # not staged by projects.uploads: never taken
    form = UploadForm({"unpack_zips": "on"}, MultiValueDict({"files": [plain]}))
    assert form.is_valid()
    assert form.cleaned_data == {"files": [], "unpack_zips": True}
    empty = UploadForm({}, MultiValueDict())
    assert empty.is_valid()
    assert empty.cleaned_data == {"files": [], "unpack_zips": False}


@pytest.mark.parametrize(("data", "route"), [
    ({"back": "queue"}, "runs-queue"), ({}, None), ({"back": "elsewhere"}, None)])
def test_the_cancel_button_goes_back_to_the_queue_or_the_run(data: dict, route: str | None
                                                             ) -> None:
    assert CancelForm(data).back_route() == route


def test_the_run_chooser_takes_a_name_or_none() -> None:
    chosen = RunChoiceForm({"run": "alice-cells-x7k2p"})
    assert chosen.is_valid() and chosen.cleaned_data["run"] == "alice-cells-x7k2p"
    none = RunChoiceForm({})
    assert none.is_valid() and none.cleaned_data["run"] == ""
    assert not RunChoiceForm({"run": "x" * 254}).is_valid()
    assert not RunChoiceForm({"run": "a\x00b"}).is_valid()


def test_the_pipeline_asked_for_is_a_name_or_none() -> None:
    assert PipelineChoiceForm({"pipeline": " nuclei "}).wanted() == "nuclei"
    assert PipelineChoiceForm({}).wanted() == ""
    # No Pipeline is called this: the page is told the name, cut, and says there is none.
    assert PipelineChoiceForm({"pipeline": "a\x00" + "b" * 300}).wanted() == "a" + "b" * 252
