"""Answers projects.busy's question from the run archive (PostgreSQL), never from a LIST
(registered in RunsConfig.ready())."""

from __future__ import annotations

from django.db.models import Q

from runs import freshness, kube
from runs.model import Run, active_records, busy_reason, runs_of


def project_busy_reason(owner: str, project: str) -> str | None:
    if not kube.configured():
        return None  # runs are off: nothing can be using the project
    stale = freshness.stale_reason()
    if stale:
        # Refusing is the safe side: a run the archive has not seen may be reading the files.
        return f"whether a run is using it cannot be checked now. {stale}"
    return busy_reason(active_runs_using(owner, project), owner, project)


def active_runs_using(owner: str, project: str) -> list[Run]:
    """The owner's queued and running runs of project: by folder, or by the Project row named
    so now (a run of a renamed project still names the old folder)."""
    return runs_of(active_records().filter(owner=owner).filter(
        Q(project_path=f"{owner}/{project}") | Q(project__owner=owner, project__name=project)))
