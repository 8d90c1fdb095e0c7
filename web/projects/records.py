"""Project rows and their owners' usage counters, kept in step with the folders on the volume.

Every change of an owner's files goes through `changing(owner)`: a transaction holding the
owner's row lock (OwnerUsage.lock), in which the quota is checked against the counters, the
files are moved, and the counters changed, so two parallel writes cannot both pass a quota.
Pipelines write files too: `reconcile_owner` recounts the folders (manage.py reconcile_usage),
adopts folders that have no row (an install upgraded from before rows) and drops rows whose
folder is gone. An owner never reconciled is reconciled the first time one of their pages is
shown, so an upgrade shows every existing folder at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from projects.models import OwnerUsage, Project
from projects.paths import accepts, check_name
from projects.quotas import Usage
from projects.safefs import Dir, NotFound
from projects.storage import Count, count_tree, list_projects
from projects.volume import open_data_root, open_owner


def usage_of(owner: str) -> Usage:
    """The owner's counters as last committed (no lock: for pages and early refusals)."""
    row = OwnerUsage.objects.filter(owner=owner).first()
    if row is None:
        return Usage(projects=0, files=0, bytes=0)
    return Usage(projects=row.projects, files=row.files, bytes=row.bytes)


@dataclass
class Ledger:
    """What one locked change does to the counters; written when the change's block ends."""

    row: OwnerUsage
    project_id: uuid.UUID | None
    files: int = 0
    bytes: int = 0
    projects: int = 0
    dropped: list[Project] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        """The usage the change starts from (read under the lock)."""
        return Usage(projects=self.row.projects, files=self.row.files, bytes=self.row.bytes)

    def add(self, count: Count, sign: int = 1) -> None:
        self.files += sign * count.files
        self.bytes += sign * count.bytes

    def new_project(self, name: str) -> Project:
        """The row of a project about to be made (its folder is made after, in the same block)."""
        project = Project.objects.create(owner=self.row.owner, name=name)
        self.projects += 1
        return project

    def drop_project(self, project: Project) -> None:
        """Forget a project whose folder is gone, with everything it counted."""
        project.delete()
        self.projects -= 1
        self.files -= project.files
        self.bytes -= project.bytes

    def save(self) -> None:
        if self.project_id is not None and (self.files or self.bytes):
            Project.objects.filter(id=self.project_id).update(
                files=F("files") + self.files, bytes=F("bytes") + self.bytes
            )
        if self.files or self.bytes or self.projects:
            OwnerUsage.objects.filter(owner=self.row.owner).update(
                projects=F("projects") + self.projects,
                files=F("files") + self.files,
                bytes=F("bytes") + self.bytes,
            )


@contextmanager
def changing(owner: str, project_id: uuid.UUID | None = None) -> Iterator[Ledger]:
    """A change of the owner's files and counters, under the owner's lock, all or nothing.

    The counters are written when the block ends; an exception rolls back every row change
    (the block undoes its own file changes, as storage.move_all_into does).
    """
    with transaction.atomic():
        ledger = Ledger(OwnerUsage.lock(owner), project_id)
        yield ledger
        ledger.save()


def find(owner: str, name: str) -> Project | None:
    """The owner's project row by folder name; a folder without a row is adopted (counted)."""
    ensure_reconciled(owner)
    project = Project.objects.filter(owner=owner, name=name).first()
    return project if project is not None else adopt(owner, name)


def adopt(owner: str, name: str) -> Project | None:
    """The row for a project folder that has none yet (made by an admin, or before rows
    existed), counted; None if there is no such folder."""
    with changing(owner) as ledger:
        project = Project.objects.filter(owner=owner, name=name).first()
        if project is not None:  # another request adopted it meanwhile
            return project
        try:
            with open_owner(owner) as home, home.open_dir([name]) as folder:
                count = count_tree(folder)
        except NotFound:
            return None
        project = ledger.new_project(name)
        project.files, project.bytes = count.files, count.bytes
        project.save(update_fields=["files", "bytes"])
        ledger.add(count)
        return project


def ensure_reconciled(owner: str) -> None:
    """Reconcile an owner never reconciled yet (the first page they see after an upgrade)."""
    if not OwnerUsage.objects.filter(owner=owner, reconciled_at__isnull=False).exists():
        reconcile_owner(owner)


def reconcile_owner(owner: str) -> list[str]:
    """Recount the owner's project folders and set their rows and counters to match; what
    changed, as lines for people. Folders without a row are adopted, rows without a folder
    dropped. Counted under the owner's lock, so no web write is lost or counted twice."""
    changes: list[str] = []
    with transaction.atomic():
        usage = OwnerUsage.lock(owner)
        rows = {project.name: project for project in Project.objects.filter(owner=owner)}
        counts = _count_projects(owner)
        for name, project in sorted(rows.items()):
            if name not in counts:
                project.delete()
                changes.append(f"{owner}/{name}: dropped (its folder is gone)")
        for name, count in sorted(counts.items()):
            project = rows.get(name)
            if project is None:
                Project.objects.create(owner=owner, name=name, files=count.files,
                                       bytes=count.bytes)
                changes.append(
                    f"{owner}/{name}: adopted ({count.files} files, {count.bytes} bytes)")
            elif (project.files, project.bytes) != (count.files, count.bytes):
                changes.append(f"{owner}/{name}: {project.files} → {count.files} files, "
                               f"{project.bytes} → {count.bytes} bytes")
                project.files, project.bytes = count.files, count.bytes
                project.save(update_fields=["files", "bytes"])
        usage.projects = len(counts)
        usage.files = sum(count.files for count in counts.values())
        usage.bytes = sum(count.bytes for count in counts.values())
        usage.reconciled_at = timezone.now()
        usage.save()
    return changes


def _count_projects(owner: str) -> dict[str, Count]:
    try:
        home = open_owner(owner)
    except NotFound:  # nothing made yet, or not a folder: no projects
        return {}
    counts = {}
    with home:
        for name in list_projects(home):
            try:
                with home.open_dir([name]) as folder:
                    counts[name] = count_tree(folder)
            except NotFound:  # removed or swapped for a link since it was listed
                continue
    return counts


def reconcile_all() -> list[str]:
    """reconcile_owner for every owner with a folder on the volume or rows in the database."""
    with open_data_root() as root:
        owners = set(owner_folders(root))
    changes: list[str] = []
    for owner in sorted(owners | known_owners()):
        changes += reconcile_owner(owner)
    return changes


def forget_owner(owner: str) -> None:
    """Drop an owner's rows (their folder is gone: a guest's cleanup)."""
    with transaction.atomic():
        Project.objects.filter(owner=owner).delete()
        OwnerUsage.objects.filter(owner=owner).delete()


def known_owners() -> set[str]:
    return set(OwnerUsage.objects.values_list("owner", flat=True)) | set(
        Project.objects.values_list("owner", flat=True)
    )


def owner_folders(root: Dir) -> list[str]:
    """The owner folders at the data root (not .staging or .cache, nor links)."""
    return sorted(name for name, is_dir in root.names()
                  if is_dir and not name.startswith(".") and accepts(check_name, name))

