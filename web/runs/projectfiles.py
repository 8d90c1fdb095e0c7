"""The files of a project a file picker offers: regular files only, hidden names skipped, capped."""

from __future__ import annotations

from projects.safefs import Dir
from projects.globs import find_files

MAX_PICKER_FILES = 2000  # a select longer than this helps nobody; globs cover the rest
EVERY_FILE = "**/*"  # wildcards skip hidden names, so .kubeshowcase/ is never offered


def pickable_files(project: Dir, limit: int = MAX_PICKER_FILES) -> tuple[list[str], bool]:
    """(relative paths of regular files, sorted; whether the list was cut at limit)."""
    matches, cut = find_files(project, [EVERY_FILE], limit=limit)
    return sorted(match.relative for match in matches), cut
