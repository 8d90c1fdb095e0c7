"""The output files a Pipeline's `results` globs name inside one project folder, contained."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from projects.paths import UnsafePath, check_relative, resolve_inside

SECTIONS = ("images", "tables", "reports", "files")
MAX_REPORT_BYTES = 1 * 2**20
MAX_TABLE_BYTES = 16 * 2**20  # read at most this much of a CSV for the page


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    cut: bool  # more rows exist than shown


@dataclass
class Output:
    relative: str  # path relative to the project
    size: int
    table: Table | None = None
    text: str | None = None
    text_cut: bool = False


@dataclass
class Results:
    images: list[Output] = field(default_factory=list)
    tables: list[Output] = field(default_factory=list)
    reports: list[Output] = field(default_factory=list)
    files: list[Output] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # sections with more matches than listed

    @property
    def empty(self) -> bool:
        return not (self.images or self.tables or self.reports or self.files)


def check_glob(pattern: str) -> str:
    """A results glob relative to the project; UnsafePath for absolute or `..` patterns."""
    if not pattern or pattern.startswith("/") or "\\" in pattern or "\x00" in pattern:
        raise UnsafePath("A results glob must be a relative path.")
    if any(part in ("", ".", "..") for part in pattern.rstrip("/").split("/")):
        raise UnsafePath("A results glob cannot contain empty, “.” or “..” parts.")
    return pattern


def matching_files(project_path: Path, patterns: list[str], limit: int) -> tuple[list[Path], bool]:
    """Regular files matching any pattern, each resolved inside the project; (paths, cut)."""
    root = project_path.resolve(strict=True)
    found: dict[str, Path] = {}
    for pattern in patterns:
        try:
            check_glob(pattern)
        except UnsafePath:
            continue
        for candidate in sorted(root.glob(pattern)):
            relative = candidate.relative_to(root).as_posix()
            try:
                resolved = resolve_inside(root, relative)
                check_relative(relative)
            except UnsafePath:
                continue  # a symlink leading out, or an odd name: never shown
            if resolved.is_file() and relative not in found:
                found[relative] = resolved
                if len(found) > limit:
                    return [found[k] for k in list(found)[:limit]], True
    return list(found.values()), False


def read_table(path: Path, max_rows: int) -> Table:
    with path.open("rb") as handle:
        raw = handle.read(MAX_TABLE_BYTES)
    truncated_bytes = path.stat().st_size > len(raw)
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline=""))
    header: list[str] = []
    rows: list[list[str]] = []
    cut = False
    try:
        for index, row in enumerate(reader):
            if index == 0:
                header = row
            elif len(rows) < max_rows:
                rows.append(row)
            else:
                cut = True
                break
    except csv.Error:
        cut = True  # a broken line: show what came before it
    return Table(header=header, rows=rows, cut=cut or truncated_bytes)


def read_report(path: Path) -> tuple[str, bool]:
    with path.open("rb") as handle:
        raw = handle.read(MAX_REPORT_BYTES + 1)
    return raw[:MAX_REPORT_BYTES].decode("utf-8", errors="replace"), len(raw) > MAX_REPORT_BYTES


def collect(project_path: Path, spec: dict[str, Any], *, max_files: int, max_rows: int) -> Results:
    results = Results()
    root = project_path.resolve(strict=True)
    for section in SECTIONS:
        patterns = [p for p in (spec.get(section) or []) if isinstance(p, str)]
        paths, cut = matching_files(root, patterns, max_files)
        if cut:
            results.cut.append(section)
        outputs = getattr(results, section)
        for path in paths:
            output = Output(relative=path.relative_to(root).as_posix(), size=path.stat().st_size)
            if section == "tables":
                output.table = read_table(path, max_rows)
            elif section == "reports":
                output.text, output.text_cut = read_report(path)
            outputs.append(output)
    return results


def viewer_url(template: str, owner: str, project: str, run: str) -> str:
    """results.viewerUrl with {owner}, {project}, {run} filled in, each URL-encoded."""
    filled = template
    for key, value in (("owner", owner), ("project", project), ("run", run)):
        filled = filled.replace("{" + key + "}", quote(value, safe=""))
    return filled
