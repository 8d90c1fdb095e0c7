"""Runs made before projects had ids find their project when its row is made.

A folder from before Project rows is adopted (projects.records) after the watcher archived its
old runs; when that row is saved, the runs that name its folder and were never linked to any
project (project_ref NULL) are linked to it. A run unlinked by its project's deletion keeps its
project_ref, so a project made again under the old name starts empty.
"""

from __future__ import annotations

from typing import Any

from runs.models import RunRecord


def link_legacy_runs(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    """post_save of projects.Project (connected in RunsConfig.ready())."""
    if not created:
        return
    RunRecord.objects.filter(
        project__isnull=True, project_ref__isnull=True, owner=instance.owner,
        project_path=f"{instance.owner}/{instance.name}",
    ).update(project=instance, project_ref=instance.id)
