"""The project folder a PipelineRun names (spec.project), opened by handle from DATA_ROOT."""

from __future__ import annotations

from projects.paths import UnsafePath, check_name, check_project_name
from projects.safefs import Dir, NotFound
from projects.volume import open_owner
from runs.model import Run


def open_run_project(run: Run) -> Dir | None:
    """DATA_ROOT/<spec.project> if it is a folder of the run owner's (no link on the way)."""
    owner, _, name = run.project_path.partition("/")
    if owner != run.owner:
        return None
    try:
        check_name(owner)
        check_project_name(name)
    except UnsafePath:
        return None
    try:
        with open_owner(owner) as home:
            return home.open_dir([name])
    except NotFound:
        return None
