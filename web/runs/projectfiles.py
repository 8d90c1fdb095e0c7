"""The files of a project a file picker offers (hidden folders skipped, capped)."""

from __future__ import annotations

import os
from pathlib import Path

MAX_PICKER_FILES = 2000  # a select longer than this helps nobody; globs cover the rest


def pickable_files(project_path: Path, limit: int = MAX_PICKER_FILES) -> tuple[list[str], bool]:
    """(relative paths, sorted; whether the list was cut at limit)."""
    found: list[str] = []
    for directory, folders, names in os.walk(project_path):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        relative = Path(directory).relative_to(project_path)
        for name in sorted(names):
            path = os.path.join(directory, name)
            if name.startswith(".") or os.path.islink(path) or not os.path.isfile(path):
                continue
            found.append((relative / name).as_posix())
            if len(found) >= limit:
                return sorted(found), True
    return sorted(found), False
