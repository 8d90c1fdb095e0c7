"""`python -m kubeshowcase_operator` runs the operator, and refuses bad settings clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.operator import REPO, KscCluster


def test_python_dash_m_runs_the_operator_and_a_clean_exit_frees_the_lease(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator = operator_factory(entry_point="module", POD_NAME="operator-main")
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert ksc.lease_holder() == "operator-main"
    operator.terminate()
    assert operator.process.returncode == 0
    assert ksc.lease_holder() is None  # handed over: a follower need not wait for it to expire


def test_bad_settings_stop_it_with_a_clear_message(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "operator"), KUBE_NAMESPACE="kubeshowcase",
               DATA_ROOT=str(tmp_path), MAX_CONCURRENT_RUNS="lots")
    result = subprocess.run([sys.executable, "-m", "kubeshowcase_operator"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kubeshowcase-operator: MAX_CONCURRENT_RUNS must be an integer, got 'lots'")
