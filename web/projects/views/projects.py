"""Project views: list, create, rename, delete."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from projects.lookup import get_project_for_user
from projects.paths import check_project_name
from projects.quotas import refuse_new_project
from projects.storage import list_projects, measure_usage, owner_folder, remove_entry
from projects.views.common import busy_refusal, name_problem, tell


@require_safe
@owner_required
def project_list(request: HttpRequest) -> HttpResponse:
    owner_path = owner_folder(request.owner.slug)
    return render(
        request,
        "projects/list.html",
        {
            "projects": list_projects(owner_path),
            "usage": measure_usage(owner_path),
            "limits": request.owner.limits,
        },
    )


@require_POST
@owner_required
@write_access_required
def project_create(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    owner_path = owner_folder(request.owner.slug)
    problem = name_problem(check_project_name, name) or refuse_new_project(
        request.owner.limits, measure_usage(owner_path)
    )
    if problem is None:
        owner_path.mkdir(exist_ok=True)
        try:
            (owner_path / name).mkdir()
        except FileExistsError:
            problem = f"You already have a project called “{name}”."
    tell(request, problem, f"Created project “{name}”.")
    if problem:
        return redirect("projects-list")
    return redirect("projects-detail", project=name)


@require_POST
@owner_required
@write_access_required
def project_rename(request: HttpRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    new_name = request.POST.get("new_name", "").strip()
    target = found.path.parent / new_name
    problem = busy_refusal(found) or name_problem(check_project_name, new_name)
    if problem is None and os.path.lexists(target):
        problem = f"You already have a project called “{new_name}”."
    if problem is None:
        os.rename(found.path, target)
    tell(request, problem, f"Renamed “{found.name}” to “{new_name}”.")
    return redirect("projects-detail", project=found.name if problem else new_name)


@require_POST
@owner_required
@write_access_required
def project_delete(request: HttpRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    problem = busy_refusal(found)
    if problem is None:
        remove_entry(found.path)
    tell(request, problem, f"Deleted project “{found.name}”.")
    if problem:
        return redirect("projects-detail", project=found.name)
    return redirect("projects-list")
