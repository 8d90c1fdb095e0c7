"""Finding the acting owner's project, and folders and files inside it; 404 for anything else."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.http import Http404, HttpRequest

from accounts.identity import Owner
from projects.paths import UnsafePath, check_project_name, check_relative, resolve_inside
from projects.storage import owner_folder


@dataclass(frozen=True)
class Project:
    owner: Owner
    name: str
    path: Path

    def folder(self, relative: str, *, for_write: bool = False) -> Path:
        """A folder inside the project. UnsafePath (400) for bad paths, 404 if not a folder."""
        path = resolve_inside(self.path, relative, for_write=for_write)
        if not path.is_dir():
            raise Http404("No such folder")
        return path

    def entry_to_change(self, relative: str) -> Path:
        """A file, folder or link to rename or delete: its parent has no symlinks, it exists."""
        segments = check_relative(relative)
        if not segments:
            raise Http404("The project itself is changed from the project page")
        parent = self.folder("/".join(segments[:-1]), for_write=True)
        path = parent / segments[-1]
        if not os.path.lexists(path):
            raise Http404("No such file or folder")
        return path

    def file(self, relative: str) -> Path:
        path = resolve_inside(self.path, relative)
        if not path.is_file():
            raise Http404("No such file")
        return path


def get_project_for_user(request: HttpRequest, name: str) -> Project:
    """The project `name` of request.owner. Anyone else's project simply does not exist: 404."""
    owner: Owner = request.owner  # type: ignore[attr-defined]
    try:
        check_project_name(name)
        owner_path = owner_folder(owner.slug)
        if not owner_path.is_dir():
            raise Http404("No such project")
        # for_write: a symlinked project or owner folder is never served, even for reading.
        path = resolve_inside(owner_path, name, for_write=True)
    except UnsafePath:
        raise Http404("No such project") from None
    if not path.is_dir():
        raise Http404("No such project")
    return Project(owner=owner, name=name, path=path)
