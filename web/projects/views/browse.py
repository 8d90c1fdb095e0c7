"""Folder views: a folder's listing (the project page is its top folder) and new folders."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from projects.forms import FolderCreateForm, first_error
from projects.inlinetypes import is_viewable_name
from projects.lookup import get_project_for_user
from projects.paths import check_relative
from projects.safefs import Entry
from projects.storage import sorted_names
from projects.views.common import (
    attempt,
    busy_refusal,
    folder_url,
    join_path,
    path_urls,
    tell,
)

PAGE_SIZE = 200  # entries per page: a folder of 100,000 files is 500 pages, each as fast


@dataclass(frozen=True)
class Row:
    entry: Entry
    path: str
    href: str  # the folder's page or the file's download ("" for a link or special file)
    view_href: str  # an image's "view" link: the deep-zoom viewer, which redirects a small
    # PNG/JPEG to the file itself ("" for anything else; projects.inlinetypes)
    rename_url: str
    delete_url: str


def listing_rows(project_name: str, folder_path: str, entries: list[Entry]) -> list[Row]:
    """The rows of a page of entries, their URLs made without a reverse() per row."""
    browse, download = path_urls("projects-browse", project_name), path_urls("projects-file",
                                                                              project_name)
    rename = path_urls("projects-entry-rename", project_name)
    delete = path_urls("projects-entry-delete", project_name)
    view = path_urls("deepzoom-viewer", project_name)  # a route of web/deepzoom, by name
    rows = []
    for entry in entries:
        path = join_path(folder_path, entry.name)
        href = browse(path) if entry.is_dir else download(path) if entry.is_file else ""
        view_href = view(path) if entry.is_file and is_viewable_name(entry.name) else ""
        rows.append(Row(entry, path, href, view_href, rename(path), delete(path)))
    return rows


@dataclass(frozen=True)
class Crumb:
    name: str
    path: str


@require_safe
@owner_required
def folder(request: OwnedRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    with found.folder(path) as opened:
        page = Paginator(sorted_names(opened), PAGE_SIZE).get_page(request.GET.get("page"))
        shown = [entry for name, _ in page if (entry := opened.entry(name)) is not None]
    segments = check_relative(path)
    busy_reason = busy_refusal(found)
    return render(
        request,
        "projects/folder.html",
        {
            "project": found,
            "path": path,
            "folder_name": segments[-1] if segments else found.name,
            "crumbs": [Crumb(name, "/".join(segments[: i + 1])) for i, name in enumerate(segments)],
            "rows": listing_rows(found.name, path, shown),
            "page": page,
            "busy_reason": busy_reason,
            "can_change": not request.owner.read_only and busy_reason is None,
            "limits": request.owner.limits,
            "tus_chunk_bytes": settings.TUS_CHUNK_BYTES,
        },
    )


@require_POST
@owner_required
@write_access_required
def make_folder(request: OwnedRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    form = FolderCreateForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    with found.folder(path) as parent:
        problem = busy_refusal(found) or first_error(form)
        if problem is None:
            problem = attempt(lambda: parent.mkdir(name), taken=f"“{name}” already exists here.")
    tell(request, problem, f"Created folder “{name}”.")
    return redirect(folder_url(found.name, path))
