"""Project views: list, create, rename, delete."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from projects.forms import ProjectCreateForm, ProjectRenameForm, first_error
from projects.lookup import get_project_for_user
from projects.quotas import Usage, refuse_new_project
from projects.safefs import Dir, NotFound
from projects.storage import list_projects, measure_usage, remove_entry
from projects.views.common import attempt, busy_refusal, tell
from projects.volume import open_owner


def _owner_folder(request: OwnedRequest) -> Dir:
    """The acting owner's folder, made if missing; 404 if something else holds its place
    (only an administrator could put it there: no pipeline mounts an owner's folder)."""
    try:
        return open_owner(request.owner.slug, create=True)
    except NotFound:
        raise Http404("No such owner folder") from None


@require_safe
@owner_required
def project_list(request: OwnedRequest) -> HttpResponse:
    try:
        owner = open_owner(request.owner.slug)
    except NotFound:  # nothing made yet
        projects, usage = [], Usage(projects=0, files=0, bytes=0)
    else:
        with owner:
            projects, usage = list_projects(owner), measure_usage(owner)
    return render(
        request,
        "projects/list.html",
        {"projects": projects, "usage": usage, "limits": request.owner.limits},
    )


@require_POST
@owner_required
@write_access_required
def project_create(request: OwnedRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    with _owner_folder(request) as owner:
        problem = first_error(form) or refuse_new_project(
            request.owner.limits, measure_usage(owner)
        )
        if problem is None:
            problem = attempt(
                lambda: owner.mkdir(name), taken=f"You already have a project called “{name}”."
            )
    tell(request, problem, f"Created project “{name}”.")
    if problem:
        return redirect("projects-list")
    return redirect("projects-detail", project=name)


@require_POST
@owner_required
@write_access_required
def project_rename(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = ProjectRenameForm(request.POST)
    new_name = form.cleaned_data["new_name"] if form.is_valid() else ""
    problem = busy_refusal(found) or first_error(form)
    if problem is None:
        with _owner_folder(request) as owner:
            problem = attempt(  # never replaces: renameat2 NOREPLACE
                lambda: owner.move(found.name, owner, new_name),
                taken=f"You already have a project called “{new_name}”.",
            )
    tell(request, problem, f"Renamed “{found.name}” to “{new_name}”.")
    return redirect("projects-detail", project=found.name if problem else new_name)


@require_POST
@owner_required
@write_access_required
def project_delete(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    problem = busy_refusal(found)
    if problem is None:
        with _owner_folder(request) as owner:
            remove_entry(owner, found.name)
    tell(request, problem, f"Deleted project “{found.name}”.")
    if problem:
        return redirect("projects-detail", project=found.name)
    return redirect("projects-list")
