"""The inputs manifest of a run: the project's files its pipeline will read, recorded at submission.

Pipelines declare no input patterns (crds/pipelines.kubeshowcase.io.yaml), so the inputs are every
regular file of the project but hidden names (the handshake folder .kubeshowcase/ among them),
the handshake files wherever spec.files puts them, and with results.perRun the runs/ folder of
earlier runs' outputs. The entries have the shape of the operator's outputs manifest
(status.outputs.files: {"path", "size", "mtimeNs", "sha256"?}); a symbolic link or a special
file (FIFO, socket, device) is recorded as {"path", "kind", "skipped"}: named, never followed
nor opened.

It runs in the submitting request, so it is bounded (settings RUN_INPUTS_*): at most max_files
entries over at most MAX_SCANNED_ENTRIES names looked at; a sha256 only for regular files up to
hash_file_max bytes (64 MiB) and within hash_budget bytes hashed per run (256 MiB, about half a
second of one core). `complete` is False when the list was cut short. Folders are entered and
files opened by handle only (projects.safefs: O_NOFOLLOW, O_NONBLOCK, fstat).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from projects.globs import MAX_SCANNED_ENTRIES
from projects.paths import MAX_DEPTH, UnsafePath, accepts, check_name, check_relative
from projects.safefs import FILE, LINK, Dir, Entry, NotFound, read_chunks, scan

PER_RUN_FOLDER = "runs"  # results.perRun: runs/<run name>/ (the operator's jobs.py)
HANDSHAKE_DEFAULTS = (".kubeshowcase/args", ".kubeshowcase/run_id", ".kubeshowcase/LAST_RUN_ID")
SKIPPED = {LINK: "a symbolic link: never followed",
           "other": "a special file (FIFO, socket or device): never opened"}


@dataclass(frozen=True)
class Bounds:
    max_files: int = 10_000
    hash_file_max: int = 64 * 2**20
    hash_budget: int = 256 * 2**20
    max_scanned: int = MAX_SCANNED_ENTRIES


@dataclass
class InputManifest:
    """The entries found so far, within their bounds (files in, the stored value out)."""

    bounds: Bounds
    files: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    hash_left: int = 0

    def __post_init__(self) -> None:
        self.hash_left = self.bounds.hash_budget

    def has_room(self) -> bool:
        if len(self.files) >= self.bounds.max_files:
            self.complete = False
        return self.complete

    def should_hash(self, size: int) -> bool:
        """Whether a file of `size` bytes gets a sha256; charges the budget when it does."""
        if size > self.bounds.hash_file_max or size > self.hash_left:
            return False
        self.hash_left -= size
        return True


def excluded_paths(spec: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(files, top folders) of the project that are not inputs: the handshake files the
    Pipeline names, and runs/ when it keeps a folder per run."""
    files = spec.get("files") if isinstance(spec.get("files"), dict) else {}
    named = {str(files.get(key) or default)
             for key, default in zip(("args", "runId", "lastRunId"), HANDSHAKE_DEFAULTS)}
    results = spec.get("results") if isinstance(spec.get("results"), dict) else {}
    folders = {PER_RUN_FOLDER} if results.get("perRun") else set()
    return frozenset(named), frozenset(folders)


def sha256_of(folder: Dir, entry: Entry) -> str | None:
    """The sha256 of a regular file opened by handle, reading at most the size it was listed
    with; None when it is no longer that regular file or it grew meanwhile."""
    try:
        with folder.open_file(entry.name) as handle:
            digest, read = hashlib.sha256(), 0
            for chunk in read_chunks(handle):
                read += len(chunk)
                if read > entry.size:
                    return None
                digest.update(chunk)
    except NotFound:
        return None
    return digest.hexdigest() if read == entry.size else None


def collect(project: Dir, spec: dict[str, Any], bounds: Bounds) -> InputManifest:
    """The inputs manifest of `project` for a run of a Pipeline with `spec`."""
    manifest = InputManifest(bounds)
    skip_files, skip_folders = excluded_paths(spec)
    budget = bounds.max_scanned
    pending: list[tuple[str, ...]] = [()]
    while pending and manifest.complete:
        segments = pending.pop()
        try:
            folder = project.open_dir(segments)
        except NotFound:
            continue  # swapped for a link or removed since it was listed
        with folder:
            entries, more = scan(folder, budget)
            budget -= len(entries)
            if more or budget <= 0:
                manifest.complete = False
            folders = []
            for entry in sorted(entries, key=lambda e: e.name):
                path = "/".join((*segments, entry.name))
                if entry.name.startswith(".") or path in skip_files or \
                        (not segments and entry.name in skip_folders):
                    continue
                if not accepts(check_name, entry.name):
                    manifest.complete = False  # a name no page of ours could name
                    continue
                if entry.is_dir:
                    if len(segments) + 1 < MAX_DEPTH:
                        folders.append((*segments, entry.name))
                    continue
                if not manifest.has_room():
                    break
                manifest.files.append(_entry(folder, entry, path, manifest))
            pending.extend(reversed(folders))
    manifest.files.sort(key=lambda item: item["path"])
    return manifest


def _entry(folder: Dir, entry: Entry, path: str, manifest: InputManifest) -> dict[str, Any]:
    if entry.kind != FILE:
        kind = entry.kind if entry.kind == LINK else "other"
        return {"path": path, "kind": kind, "skipped": SKIPPED[kind]}
    found: dict[str, Any] = {"path": path, "size": entry.size, "mtimeNs": entry.mtime_ns}
    if manifest.should_hash(entry.size):
        sha = sha256_of(folder, entry)
        if sha is not None:
            found["sha256"] = sha
    return found


def recorded_files(inputs: list[Any]) -> list[dict[str, Any]]:
    """The stored entries a page or a crate may show: dicts whose path is a safe relative one."""
    usable = []
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        try:
            check_relative(item["path"])
        except UnsafePath:
            continue
        usable.append(item)
    return usable
