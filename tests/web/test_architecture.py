"""The web apps' import layers (.importlinter): none imports an app above it, so no cycles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(web: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache", "--no-logo"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(web)},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_layers_contract_is_kept() -> None:
    result = lint_imports(REPO / "web")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_an_import_upwards_breaks_it_even_inside_a_function(tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(REPO / "web", web, ignore=shutil.ignore_patterns("__pycache__", "static"))
    busy = web / "projects" / "busy.py"
    # What projects.busy did before issue #10: ask the runs app from inside a function.
    busy.write_text(busy.read_text() + "\n\ndef _ask_runs():\n    from runs import busy\n")
    result = lint_imports(web)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "projects is not allowed to import runs" in result.stdout
    assert "projects.busy -> runs.busy" in result.stdout
