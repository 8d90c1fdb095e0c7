"""Moving every project of one owner into another's space: a guest's work, kept on signing in.

All or nothing, under both owners' locks (taken in name order, so two handovers never wait
for each other): the quota is checked against the receiving owner's counters, each folder is
renamed into the receiving owner's folder on the same volume (never copied, never replacing),
and the Project rows and both owners' counters follow (the receiver's unfinished uploads
count as they do for every write; the giver's must have finished). A name the receiver already uses gets
a free one ("cells" → "cells-guest", "cells-guest-2", ...). Project rows keep their ids, so
what points at a project by id (its runs, its results) follows it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from accounts.limits import Limits
from projects import records
from projects.models import OwnerUsage, Project
from projects.paths import MAX_PROJECT_NAME, UnsafePath, check_project_name
from projects.quotas import Usage, refuse_new_files
from projects.reservations import unfinished, with_reservations
from projects.storage import Count, Move, move_all_into
from projects.volume import open_owner

SUFFIX = "guest"


class HandoverRefused(Exception):
    """Nothing was moved; the message says why."""


@dataclass(frozen=True)
class MovedProject:
    id: uuid.UUID
    old_name: str
    new_name: str


def free_name(name: str, taken: set[str]) -> str:
    """name, or name-guest, name-guest-2, ...: the first one not taken (cut to fit a project
    name's length)."""
    if name not in taken:
        return name
    for number in range(1, 1000):
        suffix = SUFFIX if number == 1 else f"{SUFFIX}-{number}"
        candidate = f"{name[:MAX_PROJECT_NAME - len(suffix) - 1]}-{suffix}"
        if candidate not in taken:
            return candidate
    raise HandoverRefused(f"No free name for “{name}”.")


def move_projects(from_owner: str, to_owner: str, limits: Limits) -> list[MovedProject]:
    """Every project of from_owner into to_owner's space (see the module's docstring)."""
    with transaction.atomic():
        for owner in sorted({from_owner, to_owner}):
            OwnerUsage.lock(owner)
        projects = list(Project.objects.filter(owner=from_owner).order_by("name"))
        if not projects:
            return []
        if unfinished(from_owner).exists():  # it lands into the folder it was made for
            raise HandoverRefused("An upload of your guest space is not finished: let it "
                                  "finish, or cancel it, then move your work.")
        with records.changing(to_owner) as receiving, records.changing(from_owner) as giving:
            moving = Count(files=sum(p.files for p in projects),
                           bytes=sum(p.bytes for p in projects))
            _refuse(limits, with_reservations(receiving.usage, to_owner), len(projects), moving)
            taken = set(Project.objects.filter(owner=to_owner).values_list("name", flat=True))
            moved = []
            for project in projects:
                new_name = free_name(project.name, taken)
                try:
                    check_project_name(new_name)
                except UnsafePath as error:
                    raise HandoverRefused(f"“{project.name}”: {error}") from None
                taken.add(new_name)
                moved.append(MovedProject(project.id, project.name, new_name))
            with open_owner(from_owner) as source, open_owner(to_owner, create=True) as target:
                move_all_into(target, [Move(source, m.old_name, m.new_name) for m in moved])
                try:
                    for m in moved:
                        Project.objects.filter(id=m.id).update(owner=to_owner, name=m.new_name)
                    receiving.projects += len(moved)
                    receiving.add(moving)
                    giving.projects -= len(moved)
                    giving.add(moving, sign=-1)
                except BaseException:
                    for m in reversed(moved):
                        target.move(m.new_name, source, m.old_name)
                    raise
        return moved


def _refuse(limits: Limits, usage: Usage, projects: int, count: Count) -> None:
    if usage.projects + projects > limits.max_projects:
        refusal = (f"this would make {usage.projects + projects} projects; the limit is "
                   f"{limits.max_projects}.")
    else:
        refusal = refuse_new_files(limits, usage, count.files, count.bytes)
    if refusal:
        raise HandoverRefused(f"Your account has no room for it: {refusal}")
