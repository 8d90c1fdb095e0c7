"""The file handshake on the data volume: paths kept inside the project folder, always."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from .jobs import Handshake

LOG_FOLDER = ".kubeshowcase/logs"


class ProjectError(Exception):
    """The run's project folder or a Pipeline path cannot be used; the run fails with this."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def project_folder(data_root: Path, project: str) -> Path:
    """The run's project folder, resolved; it must exist inside the data root."""
    parts = project.split("/")
    if project.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ProjectError("InvalidProject",
                           f"project {project!r} must be a relative path without '.' or '..'")
    root = data_root.resolve()
    folder = (root / project).resolve()
    if folder == root or not _within(folder, root):
        raise ProjectError("InvalidProject",
                           f"project {project!r} resolves outside the data volume")
    if not folder.is_dir():
        raise ProjectError("ProjectNotFound",
                           f"project folder {project!r} does not exist on the data volume")
    return folder


def inside(folder: Path, relative: str, what: str) -> Path:
    """`folder/relative` where every folder on the way resolves inside `folder`.

    The last component is not followed: a symlink there is the thing itself (removing or
    replacing it never touches its target)."""
    trimmed = relative.rstrip("/")
    parts = trimmed.split("/")
    if not trimmed or trimmed.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ProjectError("InvalidPath",
                           f"{what} {relative!r} must be a relative path inside the project")
    candidate = folder / trimmed
    parent = candidate.parent.resolve()
    if not _within(parent, folder):
        raise ProjectError("PathEscapesProject",
                           f"{what} {relative!r} escapes the project folder")
    return parent / candidate.name


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink(missing_ok=True)


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content.encode())
    os.replace(partial, path)


def check_paths(folder: Path, handshake: Handshake) -> None:
    """Refuse a Pipeline whose handshake or clear paths would leave the project folder."""
    inside(folder, handshake.args, "files.args")
    inside(folder, handshake.run_id, "files.runId")
    inside(folder, handshake.last_run_id, "files.lastRunId")
    for entry in handshake.clear_paths:
        inside(folder, entry, "clearPaths entry")


def prepare(data_root: Path, project: str, handshake: Handshake, run_id: str, args: str) -> None:
    """Before the Job: clear the Pipeline's paths, drop a stale LAST_RUN_ID, write args and run id.

    Refuses (touching nothing) when LAST_RUN_ID already names this run: it ran to its end before,
    and its Job is gone (removed after its TTL while no operator watched). Never run it twice."""
    folder = project_folder(data_root, project)
    check_paths(folder, handshake)
    previous = read_last_run_id(folder, handshake)
    if previous is not None and previous.strip() == run_id:
        raise ProjectError("JobLost", f"{handshake.last_run_id} already names this run but its "
                           "Job is gone: the outcome is unknown and the run is not repeated")
    try:
        # Clearing first: a clear path may well contain the handshake folder itself.
        for entry in handshake.clear_paths:
            _remove(inside(folder, entry, "clearPaths entry"))
        _remove(inside(folder, handshake.last_run_id, "files.lastRunId"))
        _write_atomically(inside(folder, handshake.args, "files.args"), args)
        _write_atomically(inside(folder, handshake.run_id, "files.runId"), run_id)
    except OSError as error:
        raise ProjectError("ProjectNotWritable",
                           f"cannot prepare the project folder: {error}") from error


def read_last_run_id(folder: Path, handshake: Handshake) -> str | None:
    """The LAST_RUN_ID file's content, None when it does not exist (or is not a file)."""
    path = inside(folder, handshake.last_run_id, "files.lastRunId")
    try:
        if not path.is_file():
            return None
        return path.read_text(errors="replace")
    except OSError:
        return None


def last_run_id_of(data_root: Path, project: str, handshake: Handshake) -> str | None:
    """A run's LAST_RUN_ID content; None when it, or the project folder, is missing or unusable."""
    try:
        return read_last_run_id(project_folder(data_root, project), handshake)
    except ProjectError:
        return None


def log_file_for(run_name: str) -> str:
    """Where a run's log is kept, relative to its project folder."""
    return f"{LOG_FOLDER}/{run_name}.log"


def saved_log(data_root: Path, project: str, run_name: str) -> str | None:
    """The run's saved log (relative to the project) if there is one."""
    try:
        path = inside(project_folder(data_root, project), log_file_for(run_name), "log file")
    except ProjectError:
        return None
    return log_file_for(run_name) if path.is_file() else None


def save_log(data_root: Path, project: str, run_name: str, chunks: Iterable[bytes]) -> str:
    """Write the pipeline's log from `chunks`; returns its path relative to the project."""
    relative = log_file_for(run_name)
    path = inside(project_folder(data_root, project), relative, "log file")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    os.replace(partial, path)
    return relative
