"""The project folder a PipelineRun names (spec.project), contained in DATA_ROOT."""

from __future__ import annotations

from pathlib import Path

from projects.paths import UnsafePath, resolve_inside
from projects.storage import data_root
from runs.model import Run


def run_project_folder(run: Run) -> Path | None:
    """DATA_ROOT/<spec.project> if it is the run owner's folder and exists, else None."""
    owner, _, name = run.project_path.partition("/")
    if owner != run.owner or not name or "/" in name:
        return None
    try:
        path = resolve_inside(data_root(), run.project_path, for_write=True)
    except (UnsafePath, FileNotFoundError):
        return None
    return path if path.is_dir() else None
