"""The output files a Pipeline's `results` globs name inside one project, read within budgets.

Files are found and opened by handle (projects.globs, projects.safefs): a link is never followed,
only regular files are read. What one page reads is bounded: bytes per table and per report,
bytes over the whole page, cells over all its tables and columns per row, so a 16 MiB CSV
renders a few thousand cells and says that its table was cut.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from projects.safefs import Dir, NotFound
from projects.globs import Match, find_files

SECTIONS = ("images", "tables", "reports", "files")
MAX_CELL_CHARS = 1000  # a longer cell is shown cut, with "…"


@dataclass(frozen=True)
class Budgets:
    max_files: int  # per section
    max_rows: int  # per table
    table_bytes: int  # read of one CSV
    report_bytes: int  # read of one report
    page_bytes: int  # read of all tables and reports of one page
    cells: int  # shown over all tables of one page, headers included
    columns: int  # shown per row

    @classmethod
    def from_settings(cls) -> Budgets:
        return cls(
            max_files=settings.RESULTS_MAX_FILES, max_rows=settings.RESULTS_MAX_TABLE_ROWS,
            table_bytes=settings.RESULTS_MAX_TABLE_BYTES,
            report_bytes=settings.RESULTS_MAX_REPORT_BYTES,
            page_bytes=settings.RESULTS_MAX_PAGE_BYTES, cells=settings.RESULTS_MAX_CELLS,
            columns=settings.RESULTS_MAX_COLUMNS,
        )


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    cuts: list[str] = field(default_factory=list)  # why the table shown is not the whole file

    @property
    def cut(self) -> bool:
        return bool(self.cuts)


@dataclass
class Output:
    relative: str  # path relative to the project
    size: int
    table: Table | None = None
    text: str | None = None
    text_cut: bool = False


@dataclass(frozen=True)
class Gone:
    """A file the run recorded that is not on disk as it left it (results.recorded)."""

    relative: str
    why: str  # REPLACED, CHANGED or DELETED
    by: str = ""  # REPLACED: the later run that recorded the same path


REPLACED, CHANGED, DELETED = "replaced", "changed", "deleted"


@dataclass
class Results:
    images: list[Output] = field(default_factory=list)
    tables: list[Output] = field(default_factory=list)
    reports: list[Output] = field(default_factory=list)
    files: list[Output] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # sections with more matches than listed
    gone: list[Gone] = field(default_factory=list)  # recorded outputs no longer as recorded

    @property
    def empty(self) -> bool:
        return not (self.images or self.tables or self.reports or self.files)


class Page:
    """What is left of one page's budgets while its tables and reports are read."""

    def __init__(self, budgets: Budgets) -> None:
        self.budgets = budgets
        self.bytes = budgets.page_bytes
        self.cells = budgets.cells

    def read(self, handle: BinaryIO, limit: int) -> tuple[bytes, bool]:
        """At most min(limit, what the page has left) bytes; and whether the file holds more."""
        allowed = max(0, min(limit, self.bytes))
        data = handle.read(allowed + 1)
        self.bytes -= min(len(data), allowed)
        return data[:allowed], len(data) > allowed


def read_table(handle: BinaryIO, page: Page) -> Table:
    budgets = page.budgets
    table = Table(header=[], rows=[])
    if page.bytes <= 0:
        table.cuts.append("the page has read all it may; nothing of this table is shown")
        return table
    raw, more = page.read(handle, budgets.table_bytes)
    if more:
        table.cuts.append(f"only the first {filesizeformat(len(raw))} of the file were read")
        raw = raw[: raw.rfind(b"\n") + 1]  # never show a row cut in the middle
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline=""))
    wide = False
    try:
        for row in reader:
            if table.header and len(table.rows) >= budgets.max_rows:
                table.cuts.append(f"only the first {budgets.max_rows} rows are shown")
                break
            if len(row) > budgets.columns:
                row, wide = row[: budgets.columns], True
            if len(row) > page.cells:
                table.cuts.append(f"the page shows at most {budgets.cells:,} table cells")
                break
            row = [_shorten(cell) for cell in row]
            page.cells -= len(row)
            if not table.header and not table.rows:
                table.header = row
            else:
                table.rows.append(row)
    except csv.Error:
        table.cuts.append("a broken line ends what is shown")
    if wide:
        table.cuts.append(f"rows are cut after {budgets.columns} columns")
    return table


def _shorten(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL_CHARS else cell[:MAX_CELL_CHARS] + "…"


def read_report(handle: BinaryIO, page: Page) -> tuple[str, bool]:
    raw, more = page.read(handle, page.budgets.report_bytes)
    return raw.decode("utf-8", errors="replace"), more


def read_output(project: Dir, match: Match, section: str, page: Page, *,
                same_as_listed: bool = False) -> Output | None:
    """The output with its content read by handle; None if it is no regular file any more (or,
    with same_as_listed, not of the size and mtime it was listed with)."""
    try:
        with project.open_dir(match.segments[:-1]) as folder, \
                folder.open_file(match.segments[-1]) as handle:
            info = os.fstat(handle.fileno())
            if same_as_listed and (info.st_size, info.st_mtime_ns) != (
                    match.entry.size, match.entry.mtime_ns):
                return None
            output = Output(relative=match.relative, size=info.st_size)
            if section == "tables":
                output.table = read_table(handle, page)
            else:
                output.text, output.text_cut = read_report(handle, page)
    except NotFound:  # swapped for a link, a FIFO or a folder since it was listed
        return None
    return output


def collect(project: Dir, spec: dict[str, Any], budgets: Budgets) -> Results:
    results = Results()
    page = Page(budgets)
    for section in SECTIONS:
        patterns = [p for p in (spec.get(section) or []) if isinstance(p, str)]
        matches, cut = find_files(project, patterns, limit=budgets.max_files)
        if cut:
            results.cut.append(section)
        outputs = getattr(results, section)
        for match in matches:
            if section in ("tables", "reports"):
                output = read_output(project, match, section, page)
            else:
                output = Output(relative=match.relative, size=match.entry.size)
            if output is not None:
                outputs.append(output)
    return results


def viewer_url(template: str, owner: str, project: str, run: str) -> str:
    """results.viewerUrl with {owner}, {project}, {run} filled in, each URL-encoded."""
    filled = template
    for key, value in (("owner", owner), ("project", project), ("run", run)):
        filled = filled.replace("{" + key + "}", quote(value, safe=""))
    return filled
