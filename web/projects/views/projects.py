"""Project views: list, create, rename, delete; each changes the row and the folder together."""

from __future__ import annotations

from django.db import DatabaseError, IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from projects import records
from projects.forms import ProjectCreateForm, ProjectRenameForm, first_error
from projects.lookup import get_project_for_user
from projects.models import Project
from projects.quotas import refuse_new_project
from projects.safefs import Dir, NotFound
from projects.storage import remove_entry
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
    """The rows and their counters: the volume is not touched (reconciled once if never)."""
    slug = request.owner.slug
    records.ensure_reconciled(slug)
    return render(
        request,
        "projects/list.html",
        {
            "projects": Project.objects.filter(owner=slug).order_by("name"),
            "usage": records.usage_of(slug),
            "limits": request.owner.limits,
        },
    )


class _Taken(Exception):
    """The name is taken (by a row or by something on the volume): roll the change back."""


class _Failed(Exception):
    """The folder could not be made or moved (the disk is full): roll the row back, say why."""


@require_POST
@owner_required
@write_access_required
def project_create(request: OwnedRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    taken = f"You already have a project called “{name}”."
    problem = first_error(form)
    if problem is None:
        records.ensure_reconciled(request.owner.slug)  # folders from before rows count
        with _owner_folder(request) as owner:
            try:
                problem = _create(request, owner, name, taken)
            except (_Taken, IntegrityError):
                problem = taken
            except _Failed as error:
                problem = str(error)
    tell(request, problem, f"Created project “{name}”.")
    if problem:
        return redirect("projects-list")
    return redirect("projects-detail", project=name)


def _create(request: OwnedRequest, owner: Dir, name: str, taken: str) -> str | None:
    """The row first, then the folder, under the owner's lock; any failure leaves neither."""
    with records.changing(request.owner.slug) as ledger:
        problem = refuse_new_project(request.owner.limits, ledger.usage)
        if problem:
            return problem
        ledger.new_project(name)
        problem = attempt(lambda: owner.mkdir(name), taken=taken)
        if problem == taken:
            raise _Taken  # something already sits there: no row for it from here
        if problem:
            raise _Failed(problem)
    return None


@require_POST
@owner_required
@write_access_required
def project_rename(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = ProjectRenameForm(request.POST)
    new_name = form.cleaned_data["new_name"] if form.is_valid() else ""
    taken = f"You already have a project called “{new_name}”."
    problem = busy_refusal(found) or first_error(form)
    if problem is None:
        with _owner_folder(request) as owner:
            try:
                _rename(request, owner, found.name, new_name, taken)
            except (_Taken, IntegrityError):
                problem = taken
            except _Failed as error:
                problem = str(error)
    tell(request, problem, f"Renamed “{found.name}” to “{new_name}”.")
    return redirect("projects-detail", project=found.name if problem else new_name)


def _rename(request: OwnedRequest, owner: Dir, name: str, new_name: str, taken: str) -> None:
    """The row and the folder both, or neither: the folder moves inside the row's transaction
    (never replacing: renameat2 NOREPLACE) and moves back if the commit fails."""
    moved = False
    try:
        with records.changing(request.owner.slug):
            Project.objects.filter(owner=request.owner.slug, name=name).update(name=new_name)
            problem = attempt(lambda: owner.move(name, owner, new_name), taken=taken)
            if problem == taken:
                raise _Taken
            if problem:
                raise _Failed(problem)
            moved = True
    except DatabaseError:
        if moved:
            owner.move(new_name, owner, name)
        raise


@require_POST
@owner_required
@write_access_required
def project_delete(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    problem = busy_refusal(found)
    if problem is None:
        with _owner_folder(request) as owner:
            try:
                remove_entry(owner, found.name)
            finally:  # the row goes once the folder has left its place, even half-emptied
                if not owner.exists(found.name):
                    with records.changing(request.owner.slug) as ledger:
                        row = Project.objects.filter(id=found.id).first()
                        if row is not None:
                            ledger.drop_project(row)
    tell(request, problem, f"Deleted project “{found.name}”.")
    if problem:
        return redirect("projects-detail", project=found.name)
    return redirect("projects-list")
