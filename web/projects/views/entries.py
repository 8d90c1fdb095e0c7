"""Renaming and deleting a file or folder inside a project."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.decorators import owner_required, write_access_required
from projects.lookup import get_project_for_user
from projects.paths import check_name
from projects.storage import remove_entry
from projects.views.common import busy_refusal, folder_url, name_problem, parent_path, tell


@require_POST
@owner_required
@write_access_required
def rename_entry(request: HttpRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    entry = found.entry_to_change(path)
    new_name = request.POST.get("new_name", "").strip()
    problem = busy_refusal(found) or name_problem(check_name, new_name)
    if problem is None and os.path.lexists(entry.parent / new_name):
        problem = f"“{new_name}” already exists here."
    if problem is None:
        os.rename(entry, entry.parent / new_name)
    tell(request, problem, f"Renamed “{entry.name}” to “{new_name}”.")
    return redirect(folder_url(found.name, parent_path(path)))


@require_POST
@owner_required
@write_access_required
def delete_entry(request: HttpRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    entry = found.entry_to_change(path)
    problem = busy_refusal(found)
    if problem is None:
        remove_entry(entry)
    tell(request, problem, f"Deleted “{entry.name}”.")
    return redirect(folder_url(found.name, parent_path(path)))
