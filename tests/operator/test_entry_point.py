"""`python -m kubeshowcase_operator` (the image's entry point) runs the operator, and refuses bad
settings and an unwritable data volume clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.fixtures.operator import REPO, KscCluster
from tests.demo.stack import free_port
from tests.read_only import unwritable_folder


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


def test_the_images_own_entry_point_runs_in_the_pods_namespace(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    """What the chart's operator container runs: no command override, the namespace from the
    downward API (POD_NAMESPACE here, KUBE_NAMESPACE in the chart), liveness on its port."""
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    port = free_port()
    # A container's args: the last --liveness wins (the image's :8080 is not ours to take here).
    operator = operator_factory(entry_point="image", args=(f"--liveness=http://127.0.0.1:{port}/healthz",),
                                KUBE_NAMESPACE="", POD_NAMESPACE=ksc.namespace)
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        assert response.status == 200
    operator.terminate()
    assert operator.process.returncode == 0


def test_an_unwritable_data_volume_stops_it_with_a_clear_message(tmp_path: Path) -> None:
    with unwritable_folder(tmp_path / "data") as data:
        env = dict(os.environ, PYTHONPATH=str(REPO / "operator"), KUBE_NAMESPACE="kubeshowcase",
                   DATA_ROOT=str(data))
        result = subprocess.run([sys.executable, "-m", "kubeshowcase_operator"], env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"kubeshowcase-operator: DATA_ROOT {str(data)!r} is not writable by uid {os.getuid()}")
    assert "the data volume must be mounted read-write" in result.stderr


def test_it_leaves_nothing_behind_when_checking_the_volume(tmp_path: Path) -> None:
    from kubeshowcase_operator.projectfs import unwritable_reason

    assert unwritable_reason(tmp_path) is None
    assert list(tmp_path.iterdir()) == []
