"""Finding the acting owner's project, and folders and files inside it; 404 for anything else.

Every folder and file is reached by walking handles from the data root (projects.safefs): a
planted link is never followed, whatever its place in the path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import BinaryIO

from django.http import Http404

from accounts.identity import OwnedRequest, Owner
from projects import records
from projects.paths import UnsafePath, check_project_name, check_relative
from projects.safefs import Dir, NotFound
from projects.volume import open_owner


@dataclass(frozen=True)
class Project:
    """The acting owner's project: its row's stable id, and its folder reached by handle."""

    owner: Owner
    name: str
    id: uuid.UUID

    def open(self) -> Dir:
        """The project folder itself. Http404 if it is gone (or was swapped for a link)."""
        try:
            with open_owner(self.owner.slug) as owner:
                return owner.open_dir([self.name])
        except NotFound:
            raise Http404("No such project") from None

    def folder(self, relative: str) -> Dir:
        """A folder inside the project. UnsafePath (400) for bad paths, 404 if not a folder."""
        segments = check_relative(relative)
        with self.open() as project:
            try:
                return project.open_dir(segments)
            except NotFound:
                raise Http404("No such folder") from None

    def parent_of(self, relative: str) -> tuple[Dir, str]:
        """(the folder holding an entry, its name) for an entry that exists (file, folder or link)."""
        segments = check_relative(relative)
        if not segments:
            raise Http404("The project itself is changed from the project page")
        parent = self.folder("/".join(segments[:-1]))
        if not parent.exists(segments[-1]):
            parent.close()
            raise Http404("No such file or folder")
        return parent, segments[-1]

    def volume_path(self, relative: str) -> tuple[str, ...]:
        """The segments of a path in this project below DATA_ROOT (for a front proxy to open)."""
        return (self.owner.slug, self.name, *check_relative(relative))

    def file(self, relative: str) -> BinaryIO:
        """A regular file inside the project, open for reading; 404 for anything else."""
        segments = check_relative(relative)
        if not segments:
            raise Http404("No such file")
        with self.folder("/".join(segments[:-1])) as parent:
            try:
                return parent.open_file(segments[-1])
            except NotFound:
                raise Http404("No such file") from None


def get_project_for_user(request: OwnedRequest, name: str) -> Project:
    """The project `name` of request.owner. Anyone else's project simply does not exist: 404."""
    owner = request.owner
    try:
        check_project_name(name)
    except UnsafePath:
        raise Http404("No such project") from None
    row = records.find(owner.slug, name)  # a folder made outside the web app is adopted
    if row is None:
        raise Http404("No such project")
    project = Project(owner=owner, name=name, id=row.id)
    project.open().close()  # it exists, and neither it nor the owner folder is a link
    return project
