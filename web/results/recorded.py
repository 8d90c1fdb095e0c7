"""A run's own outputs: the manifest the operator recorded at its end, checked against the disk.

RunRecord.outputs lists [{path, size, mtimeNs, sha256?}], paths relative to the project folder
(runs.archive). The Pipeline's results globs sort them into sections, matched inside
outputs_dir when the Pipeline keeps a folder per run. A recorded file is shown only while it is
the same regular file: lstat by handle (projects.safefs, no link followed) gives the size and
mtime it was recorded with, and the open file's fstat agrees. Otherwise the page says which
later run of the project recorded the same path (it replaced the file), or that the file changed
or was deleted since. Nothing here lists a folder: a recorded run costs one lstat per output.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Subquery

from projects.globs import Match, check_glob, path_matches
from projects.paths import UnsafePath, check_relative
from projects.safefs import Dir, Entry, NotFound
from results.collect import (
    CHANGED, DELETED, REPLACED, SECTIONS, Budgets, Gone, Output, Page, Results, read_output,
)
from runs.models import RunRecord

MAX_REPLACER_ROWS = 500  # newest later runs searched for who replaced a file; beyond: "changed"


@dataclass(frozen=True)
class RecordedFile:
    segments: tuple[str, ...]  # below the project folder
    size: int
    mtime_ns: int

    @property
    def relative(self) -> str:
        return "/".join(self.segments)


def has_manifest(run: RunRecord) -> bool:
    """Whether the operator recorded this run's outputs. Runs archived before manifests existed
    have none, and no pipelineGeneration either (the same operator version writes both), so a
    recorded run that wrote nothing is told apart from an old one."""
    return bool(run.outputs or run.outputs_dir or run.pipeline_generation is not None) \
        and run.phase in ("Succeeded", "Failed", "Cancelled")


def parse_manifest(outputs: Iterable[Any]) -> list[RecordedFile]:
    """The usable entries of status.outputs.files; odd or unsafe ones are left out."""
    files = []
    for item in outputs:
        if not isinstance(item, dict):
            continue
        path, size, mtime = item.get("path"), item.get("size"), item.get("mtimeNs")
        if not (isinstance(path, str) and isinstance(size, int) and isinstance(mtime, int)):
            continue
        try:
            segments = check_relative(path)
        except UnsafePath:
            continue
        if segments:
            files.append(RecordedFile(segments, size, mtime))
    return files


def select(files: list[RecordedFile], spec: dict[str, Any], outputs_dir: str, limit: int
           ) -> tuple[dict[str, list[RecordedFile]], list[str]]:
    """The recorded files of each section, as find_files orders a walk's (per glob, by path),
    at most `limit` per section; and the sections that had more."""
    try:
        base = check_relative(outputs_dir)
    except UnsafePath:
        return {section: [] for section in SECTIONS}, []
    inside = [(f.segments[len(base):], f) for f in files
              if f.segments[:len(base)] == base and len(f.segments) > len(base)]
    chosen: dict[str, list[RecordedFile]] = {}
    cut = []
    for section in SECTIONS:
        found: dict[tuple[str, ...], RecordedFile] = {}
        for pattern in (p for p in (spec.get(section) or []) if isinstance(p, str)):
            try:
                glob = check_glob(pattern)
            except UnsafePath:
                continue
            matching = sorted((f for below, f in inside if path_matches(below, glob)
                               and f.segments not in found), key=lambda f: f.relative)
            for recorded in matching:
                found[recorded.segments] = recorded
        chosen[section] = list(found.values())[:limit]
        if len(found) > limit:
            cut.append(section)
    return chosen, cut


def on_disk(project: Dir, recorded: RecordedFile) -> Entry | None:
    """What the recorded path is now (lstat through the handles); None when it is gone or a
    folder on its way is not a folder any more."""
    try:
        with project.open_dir(recorded.segments[:-1]) as folder:
            return folder.entry(recorded.segments[-1])
    except NotFound:
        return None


def is_unchanged(entry: Entry | None, recorded: RecordedFile) -> bool:
    return entry is not None and entry.is_file and \
        (entry.size, entry.mtime_ns) == (recorded.size, recorded.mtime_ns)


def replacers(later: QuerySet[RunRecord], paths: list[str]) -> dict[str, str]:
    """For each path, the newest of the `later` runs whose manifest records it (by name)."""
    if not paths:
        return {}
    wanted = set(paths)
    named: dict[str, str] = {}
    records = functools.reduce(operator.or_, (Q(outputs__contains=[{"path": p}]) for p in paths))
    # Only the newest later runs are searched (a bound on what one page reads), streamed, so
    # the search stops at the first runs that name every path.
    newest = later.order_by("-created_at").values("uid")[:MAX_REPLACER_ROWS]
    matching = RunRecord.objects.filter(uid__in=Subquery(newest)).filter(records)
    for row in matching.order_by("-created_at").only("name", "outputs").iterator(chunk_size=20):
        for item in row.outputs:
            path = item.get("path") if isinstance(item, dict) else None
            if path in wanted and path not in named:
                named[path] = row.name
        if len(named) == len(wanted):
            break
    return named


def collect_recorded(project: Dir, run: RunRecord, spec: dict[str, Any], budgets: Budgets,
                     later: QuerySet[RunRecord]) -> Results:
    """The run's recorded outputs that are still as it left them, and what became of the rest."""
    results = Results()
    page = Page(budgets)
    chosen, results.cut = select(parse_manifest(run.outputs), spec, run.outputs_dir,
                                 budgets.max_files)
    missing: list[tuple[RecordedFile, bool]] = []  # (file, whether something else is there)
    seen: set[tuple[str, ...]] = set()
    for section in SECTIONS:
        for recorded in chosen[section]:
            entry = on_disk(project, recorded)
            output = None
            if is_unchanged(entry, recorded) and entry is not None:
                output = _output(project, Match(recorded.segments, entry), section, page)
            if output is not None:
                getattr(results, section).append(output)
            elif recorded.segments not in seen:
                missing.append((recorded, entry is not None))
            seen.add(recorded.segments)
    results.gone.extend(what_became_of(later, missing))
    return results


def what_became_of(later: QuerySet[RunRecord], missing: list[tuple[RecordedFile, bool]]
                   ) -> list[Gone]:
    """For recorded files no longer as the run left them ((file, whether something else is at
    its path now)): replaced by a later run that recorded it, changed, or deleted."""
    named = replacers(later, [recorded.relative for recorded, _ in missing])
    gone = []
    for recorded, present in missing:
        by = named.get(recorded.relative, "")
        why = REPLACED if by else (CHANGED if present else DELETED)
        gone.append(Gone(recorded.relative, why, by))
    return gone


def _output(project: Dir, match: Match, section: str, page: Page) -> Output | None:
    if section in ("tables", "reports"):  # read by handle; a swap since the lstat: not shown
        return read_output(project, match, section, page, same_as_listed=True)
    return Output(relative=match.relative, size=match.entry.size)
