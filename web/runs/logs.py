"""A run's log for its page: the operator's saved file once the run ended, else the pod's."""

from __future__ import annotations

import os
from pathlib import Path

from runs import kube
from runs.model import Run
from runs.projectpath import run_project_folder
from projects.paths import UnsafePath, resolve_inside

TAIL_BLOCK = 64 * 1024
MAX_TAIL_BYTES = 4 * 2**20


def tail_lines(path: Path, lines: int) -> str:
    """The last `lines` lines of a file, reading backwards (logs can be large)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = position = handle.tell()
        data = b""
        while position > 0 and data.count(b"\n") <= lines and end - position < MAX_TAIL_BYTES:
            step = min(TAIL_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    text = data.decode("utf-8", errors="replace")
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) + ("\n" if kept else "")


def saved_log(run: Run) -> Path | None:
    if not run.log_file:
        return None
    folder = run_project_folder(run)
    if folder is None:
        return None
    try:
        path = resolve_inside(folder, run.log_file)
    except UnsafePath:
        return None
    return path if path.is_file() else None


def run_log(run: Run, lines: int) -> str:
    """Last lines of the run's log; "" when there is none (yet). Raises kube.KubeError."""
    if run.finished:
        saved = saved_log(run)
        if saved is not None:
            return tail_lines(saved, lines)
    if run.job_name:
        return kube.job_pod_log(run.job_name, lines) or ""
    return ""
