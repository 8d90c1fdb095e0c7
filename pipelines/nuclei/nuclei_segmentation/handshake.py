"""The file handshake with the operator: read the run id, and signal success with LAST_RUN_ID."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nuclei_segmentation.errors import ArgsError

MAX_RUN_ID_LENGTH = 256


def read_run_id(path: Path) -> str:
    """The run id the operator wrote before starting us: one non-empty line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArgsError(f"the run id file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArgsError(f"cannot read the run id file {path}: {exc}") from None
    run_id = text.strip()
    if not run_id or "\n" in run_id or len(run_id) > MAX_RUN_ID_LENGTH:
        raise ArgsError(
            f"the run id file {path} must hold one line of 1 to {MAX_RUN_ID_LENGTH} characters"
        )
    return run_id


def write_last_run_id(path: Path, run_id: str) -> None:
    """Write LAST_RUN_ID atomically, so the operator never reads a half-written id."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(run_id)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
