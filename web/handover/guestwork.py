"""A guest's work (projects, their files, their runs) moved into the account that signed in.

Refused while a guest run is queued or running (its Job writes into the folder being moved):
the page says to wait or cancel. Otherwise, in one transaction: projects.handover moves the
folders, rows and counters; the guest's archived runs become the account's, with the project
folder's new path (the PipelineRun objects keep their immutable spec.owner; the archive keeps
what it was given, runs.archive.upsert); results follow the Project rows by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.limits import Limits
from projects.handover import HandoverRefused, MovedProject, move_projects
from projects.models import Project
from runs.model import active_records
from runs.models import RunRecord


@dataclass(frozen=True)
class GuestWork:
    projects: list[Project]
    runs: int
    active: int

    @property
    def empty(self) -> bool:
        return not self.projects and not self.runs


def work_of(guest: str) -> GuestWork:
    return GuestWork(
        projects=list(Project.objects.filter(owner=guest).order_by("name")),
        runs=RunRecord.objects.filter(owner=guest).count(),
        active=active_records().filter(owner=guest).count(),
    )


@dataclass(frozen=True)
class Kept:
    projects: list[MovedProject]
    runs: int


def keep(guest: str, user: str, limits: Limits) -> Kept:
    """Move the guest's work into user's space, all or nothing; HandoverRefused says why not."""
    with transaction.atomic():
        active = active_records().filter(owner=guest).count()
        if active:
            raise HandoverRefused(
                f"{active} of your guest runs are still queued or running: wait for them to "
                "finish, or cancel them, then move your work.")
        moved = move_projects(guest, user, limits)
        runs = 0
        for project in moved:
            runs += RunRecord.objects.filter(owner=guest, project_id=project.id).update(
                owner=user, project_path=f"{user}/{project.new_name}")
        # Runs whose project was deleted meanwhile: the account's history too.
        runs += RunRecord.objects.filter(owner=guest).update(owner=user)
    return Kept(projects=moved, runs=runs)
