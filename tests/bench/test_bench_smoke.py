"""Each benchmark runs end to end in --quick mode and prints well-formed figures.

No thresholds: the machine is shared and noisy, so speed is reported, never asserted."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bench.operator_dispatch import main

REPO = Path(__file__).resolve().parents[2]


def processes_using(folder: Path) -> list[str]:
    """Live processes whose command line or working directory lies in `folder`."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            words = [*(process.info["cmdline"] or ()), process.info["cwd"] or ""]
        except psutil.Error:
            continue
        if any(str(folder) in word for word in words):
            found.append(f"{process.info['pid']}: {' '.join(words)}")
    return found


def venv_env() -> dict[str, str]:
    """This environment with the project's venv first on PATH (the benches start its tools)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(REPO / ".venv" / "bin"), env.get("PATH", "")])
    return env


def test_operator_dispatch_quick_prints_figures_and_leaves_nothing_running(
        tmp_path: Path) -> None:
    figures, workdir = tmp_path / "figures.json", tmp_path / "work"
    env = venv_env()
    done = subprocess.run(
        [sys.executable, "-m", "bench.operator_dispatch", "--quick", "--json", str(figures),
         "--workdir", str(workdir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Operator start-up" in done.stdout
    assert "Created -> Job ADDED" in done.stdout
    assert "Serial queue throughput" in done.stdout
    assert processes_using(workdir) == []
    results = json.loads(figures.read_text())
    startups = [r for r in results if r["startup_s"] is not None]
    latencies = [r for r in results if r["latency"] is not None]
    throughputs = [r for r in results if r["runs_per_second"] is not None]
    assert [r["finished"] for r in latencies] == [0, 30]
    assert [(r["finished"], r["waiting"]) for r in throughputs] == [(0, 0), (30, 0), (30, 15)]
    assert [r["finished"] for r in startups] == [0, 30]
    for result in startups:
        assert result["startup_s"] > 0
        assert result["startup_cpu_s"] > 0
    for result in latencies:
        latency = result["latency"]
        assert 0 <= latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] \
            <= latency["max_ms"]
    for result in throughputs:
        assert 0 < result["runs_per_second"] < math.inf
        assert result["start_p50_ms"] is not None
        assert result["job_p50_ms"] > 0
        assert result["finish_p50_ms"] is not None
    for result in latencies + throughputs:
        assert result["operator_cpu_ms_per_run"] > 0
        # Every run is one Job, created once, and ends with a status write of its own.
        assert result["writes_by_kind_per_run"]["POST jobs"] == 1.0
        assert result["writes_by_kind_per_run"]["PATCH pipelineruns/status"] >= 1.0
        assert result["api_writes_per_run"] == pytest.approx(
            sum(result["writes_by_kind_per_run"].values()), abs=0.05)
    for line in done.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| namespace"):
            assert "nan" not in line and "inf" not in line, line


@pytest.mark.parametrize("argv, message", [
    (["--runs", "1"], "--runs must be at least 2"),
    (["--finished", "0,lots"], "--finished must be comma-separated integers"),
    (["--finished", "-5"], "--finished counts must not be negative"),
    (["--waiting", "-1"], "--waiting must not be negative"),
])
def test_operator_dispatch_refuses_bad_options(argv: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
