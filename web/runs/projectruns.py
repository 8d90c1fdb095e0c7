"""A project's runs as the archive holds them: by the Project row's id, never by folder name.

A renamed project keeps its rows (the id stays); a project deleted and made again under the same
name is a new row and starts with no runs. Pages read these; none of this calls the API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from projects.models import Project
from runs.models import FINISHED_PHASES, RunRecord

# The phases of a run that has been at the project's files (a queued or never-started run has not).
TOUCHED_PHASES = ("Running", "Succeeded", "Failed")
NEWEST_FIRST = F("created_at").desc(nulls_last=True)
# What a list of runs shows: the manifests, parameters and conditions (large JSON) stay unread.
LISTED = ("uid", "name", "pipeline", "phase", "created_at", "finished_at", "duration")


def project_row(found: Any) -> Project | None:
    """The Project row of a project found by projects.lookup (by the id lookup found); None if it
    was deleted since."""
    return Project.objects.filter(id=found.id).first()


def runs_of(row: Project | None) -> QuerySet[RunRecord]:
    """Every archived run of the Project row (none for None), newest first."""
    if row is None:
        return RunRecord.objects.none()
    return RunRecord.objects.filter(project=row).order_by(NEWEST_FIRST, "-uid")


def run_named(runs: QuerySet[RunRecord], name: str) -> RunRecord | None:
    """The newest run of that name (a name may come back once its object was deleted)."""
    return runs.filter(name=name).first() if name else None


def shown_by_default(runs: QuerySet[RunRecord]) -> RunRecord | None:
    """The newest finished run, else the newest run at all."""
    return runs.filter(phase__in=FINISHED_PHASES).first() or runs.first()


def later_runs(runs: QuerySet[RunRecord], run: RunRecord) -> QuerySet[RunRecord]:
    """The runs of the same project made after `run`, newest first."""
    if run.created_at is None:
        return runs.none()
    return runs.filter(created_at__gt=run.created_at)


def touched_since(runs: QuerySet[RunRecord], run: RunRecord) -> bool:
    """Whether a later run of the project has started (so may have changed its files)."""
    return later_runs(runs, run).filter(
        Q(phase__in=TOUCHED_PHASES) | Q(started_at__isnull=False)).exists()
