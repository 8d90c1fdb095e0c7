"""A run's outputs manifest (status.outputs), recorded when it ends, before its final phase.

What counts as an output: every regular file below the project folder (or below the run's own
folder, with results.perRun) whose ctime is at or after that of the run id file the operator
wrote just before the Job (the file server's clock on both sides, so no clock skew between the
operator and the volume; a pipeline can set a file's mtime but not its ctime). The handshake
folder and files are left out. Bounded for etcd and for the operator's time: at most MAX_FILES
entries and MAX_MANIFEST_BYTES of them, a sha256 only for files up to HASH_FILE_CAP and within
HASH_BUDGET bytes per run; `complete` is false when anything was left out."""

from __future__ import annotations

import json
import logging
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .jobs import Handshake
from .projectfs import FileWalk, Folder, ProjectError, open_project, segments

logger = logging.getLogger(__name__)

MAX_FILES = 1000
MAX_MANIFEST_BYTES = 128 * 1024  # the files list as JSON: status stays well under etcd's limits
MAX_PATH = 1024  # a longer path is left out (complete: false)
HASH_FILE_CAP = 64 * 1024 * 1024
HASH_BUDGET = 1024 * 1024 * 1024  # bytes hashed per run at most
MAX_ENTRIES = 100_000  # names looked at per run
MAX_DEPTH = 32
HANDSHAKE_FOLDER = ".kubeshowcase"
TEMP_SUFFIX = ".partial"  # projectfs.NewFile's names while a file is being written


def is_output(path: str, ctime_ns: int, since_ns: int, handshake: Handshake) -> bool:
    """Whether the file at `path` (relative to the project) is one of the run's outputs."""
    if ctime_ns < since_ns or path.startswith(HANDSHAKE_FOLDER + "/"):
        return False
    if path in (handshake.args, handshake.run_id, handshake.last_run_id):
        return False
    name = path.rsplit("/", 1)[-1]
    return not (name.startswith(".ksc-") and name.endswith(TEMP_SUFFIX))


@dataclass
class Manifest:
    """The files list being built, within its bounds (pure: entries in, status out)."""

    dir: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    size: int = 2  # the JSON list's brackets
    hash_budget: int = HASH_BUDGET
    full: bool = False  # no more entries fit

    def should_hash(self, size: int) -> bool:
        """Whether a file of `size` bytes gets a sha256; charges the budget when it does."""
        if size > HASH_FILE_CAP or size > self.hash_budget:
            return False
        self.hash_budget -= size
        return True

    def has_room(self) -> bool:
        if len(self.files) >= MAX_FILES:
            self.full = True
        if self.full:
            self.complete = False
        return not self.full

    def add(self, path: str, size: int, mtime_ns: int, sha256: str | None) -> None:
        if len(path) > MAX_PATH:
            self.complete = False
            return
        entry: dict[str, Any] = {"path": path, "size": size, "mtimeNs": mtime_ns}
        if sha256 is not None:
            entry["sha256"] = sha256
        cost = len(json.dumps(entry)) + 1
        if self.size + cost > MAX_MANIFEST_BYTES:
            self.complete, self.full = False, True
            return
        self.size += cost
        self.files.append(entry)

    def status(self) -> dict[str, Any]:
        return {"dir": self.dir, "complete": self.complete, "files": self.files}


def since_ns(folder: Folder, handshake: Handshake, started: datetime | None) -> int:
    """Where the run's changes begin: the ctime of the run id file written just before its
    Job, else (the pipeline removed or replaced it) the recorded start time."""
    try:
        parent, name = folder.parent_of(handshake.run_id, "files.runId")
        with parent:
            info = parent.info_of(name)
        if info is not None and stat.S_ISREG(info.st_mode):
            return info.st_ctime_ns
    except (FileNotFoundError, ProjectError):
        pass
    return int(started.timestamp() * 1e9) if started is not None else 0


def collect(folder: Folder, handshake: Handshake, output_dir: str, since: int) -> Manifest:
    """The manifest of `folder` (the project), or of its `output_dir` when the run has one."""
    manifest = Manifest(dir=output_dir)
    prefix = ""
    start = folder
    if output_dir:
        try:
            start = folder.walk(segments(output_dir, "output folder"))
        except FileNotFoundError:
            return manifest  # the pipeline removed its folder: it left nothing
        except ProjectError:
            manifest.complete = False  # a link or a file in its place: not followed
            return manifest
        prefix = output_dir + "/"
    try:
        # The handshake folder (a log per run, over the years) is not even looked into.
        walk = FileWalk(start, MAX_ENTRIES, MAX_DEPTH,
                        frozenset() if output_dir else frozenset({HANDSHAKE_FOLDER}))
        for parent, name, path, info in walk:
            full = prefix + path
            if not is_output(full, info.st_ctime_ns, since, handshake):
                continue
            if not manifest.has_room():
                break
            sha = parent.sha256_entry(name, info) if manifest.should_hash(info.st_size) else None
            manifest.add(full, info.st_size, info.st_mtime_ns, sha)
        if not walk.complete:
            manifest.complete = False
    finally:
        if start is not folder:
            start.close()
    return manifest


def outputs_of(data_root: Path, project: str, handshake: Handshake, output_dir: str,
               started: datetime | None) -> dict[str, Any]:
    """status.outputs for a run that has ended (blocking: run it in a thread). A project that
    cannot be read gives an empty, incomplete manifest: the run's outcome is written anyway."""
    try:
        with open_project(data_root, project) as folder:
            return collect(folder, handshake, output_dir,
                           since_ns(folder, handshake, started)).status()
    except (ProjectError, OSError) as error:
        logger.warning("outputs of project %s not recorded: %s", project, error)
        return Manifest(dir=output_dir, complete=False).status()
