"""`python -m bench.soak` runs end to end on a few runs: figures printed, JSON written, exit
status from the invariants, nothing left running."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bench.test_bench_smoke import REPO, processes_using, venv_env


def test_the_soak_command_prints_figures_writes_json_and_leaves_nothing_running(
        tmp_path: Path) -> None:
    figures, workdir = tmp_path / "soak.json", tmp_path / "work"
    env = venv_env()
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--runs", "4", "--limits", "2", "--kills", "1",
         "--seed", "3", "--json", str(figures), "--workdir", str(workdir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240)

    results = json.loads(figures.read_text())
    assert results["denied"] == []  # the operator ran with the chart's operator account
    [phase] = results["phases"]
    assert results["settings"] == {"runs": 4, "limits": [2], "kills": 1, "seed": 3}
    assert (phase["limit"], phase["runs"], phase["kills"]) == (2, 4, 1)
    assert sum(phase["phases"].values()) == 4 and phase["fault_rules"] > 0
    broken = phase["lost"] or phase["wrong"] or phase["doubled"] or phase["most_alive"] > 2
    assert done.returncode == (1 if broken or phase["most_in_one_folder"] > 1 else 0), \
        done.stdout + done.stderr
    assert "| limit | runs | seconds | kills |" in done.stdout
    assert ("INVARIANTS BROKEN" in done.stdout) == bool(done.returncode)
    # Two replicas, and the killed one back under a new name, as a Deployment's pod.
    logs = sorted(path.name for path in workdir.glob("operator-*.log"))
    assert len(logs) == 3 and {"operator-l2a-1.log", "operator-l2b-1.log"} < set(logs)
    assert processes_using(workdir) == []
