"""A pytest session of its own on a few test files, for tests of the suite's plugins (the RBAC
audit, the no-skip rule, xdist): run in a subprocess, as `make test` runs, with this checkout on
PYTHONPATH, no cache and no pyproject settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The variables of the plugins under test: an inner session sees only those it is given.
PLUGIN_VARIABLES = ("KSC_RBAC_AUDIT", "KSC_RBAC_USAGE_FILE", "KSC_FAIL_ON_SKIP")


def run_pytest(folder: Path, files: dict[str, str], *args: str,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Write `files` (name -> text) into `folder`, then `pytest -q ARGS folder` there."""
    for name, text in files.items():
        (folder / name).write_text(text)
    environment = {key: value for key, value in os.environ.items()
                   if key not in PLUGIN_VARIABLES and not key.startswith("PYTEST_")}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django",
         "--rootdir", str(folder), "-c", os.devnull, *args, str(folder)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=240)
