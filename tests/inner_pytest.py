"""A pytest session of its own on a few test files, for tests of the suite's plugins (the RBAC
audit, the no-skip rule, xdist): run in a subprocess, as `make test` runs, with this checkout on
PYTHONPATH, no cache and no pyproject settings.

Its tmp folders are under `folder` (--basetemp): a session using the shared
/tmp/pytest-of-<user> makes that folder 0700 again, which would lock PostgreSQL's own user out
of the data folder of a test running beside it on another xdist worker (the demo's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The variables of the plugins under test: an inner session sees only those it is given.
PLUGIN_VARIABLES = ("KSC_RBAC_AUDIT", "KSC_RBAC_USAGE_FILE", "KSC_FAIL_ON_SKIP",
                    "KSC_XDIST_LOCK_DIR")


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
         "--rootdir", str(folder), "-c", os.devnull, "--basetemp", str(folder / ".tmp"),
         *args, str(folder)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=240)
