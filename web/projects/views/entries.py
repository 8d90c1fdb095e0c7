"""Renaming and deleting a file, folder or link inside a project."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from projects import records
from projects.forms import EntryRenameForm, first_error
from projects.lookup import get_project_for_user
from projects.safefs import NotFound
from projects.storage import count_entry, remove_entry
from projects.views.common import (
    attempt,
    busy_refusal,
    folder_url,
    parent_path,
    tell,
)


@require_POST
@owner_required
@write_access_required
def rename_entry(request: OwnedRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = EntryRenameForm(request.POST)
    new_name = form.cleaned_data["new_name"] if form.is_valid() else ""
    parent, name = found.parent_of(path)
    with parent:
        problem = busy_refusal(found) or first_error(form)
        if problem is None:
            problem = attempt(  # renames the name itself: a link is renamed, never followed
                lambda: parent.move(name, parent, new_name),
                taken=f"“{new_name}” already exists here.",
                gone=f"“{name}” is no longer there.",
            )
    tell(request, problem, f"Renamed “{name}” to “{new_name}”.")
    return redirect(folder_url(found.name, parent_path(path)))


@require_POST
@owner_required
@write_access_required
def delete_entry(request: OwnedRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    parent, name = found.parent_of(path)
    with parent:
        problem = busy_refusal(found)
        if problem is None:
            try:  # a link goes, never its target; a folder is emptied by handle in staging
                with records.changing(request.owner.slug, found.id) as ledger:
                    ledger.add(count_entry(parent, name), sign=-1)
                    remove_entry(parent, name)
            except (FileNotFoundError, NotFound):
                problem = f"“{name}” is no longer there."
    tell(request, problem, f"Deleted “{name}”.")
    return redirect(folder_url(found.name, parent_path(path)))
