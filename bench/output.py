"""Where a benchmark works and what it leaves: a scratch folder, and its figures as JSON."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def scratch(workdir: Path | None, prefix: str) -> Iterator[Path]:
    """workdir (made if need be, and kept: --workdir), else a fresh temporary folder, removed
    after."""
    folder = workdir or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


def write_json(path: Path | None, figures: Any) -> None:
    """The figures as indented JSON at path (its folder made), if a path was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
