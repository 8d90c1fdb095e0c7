"""Every way a run can fail ends in phase Failed with a reason and a message that say why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.operator import KscCluster, read_journal, wait_until
from tests.operator.retries import job_controller_settings  # noqa: F401 (fixture)


@pytest.fixture
def cluster(operator_factory, ksc: KscCluster, pipeline_script: Path) -> KscCluster:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    return ksc


def failed(ksc: KscCluster, name: str, timeout: float = 30) -> dict[str, Any]:
    status = ksc.wait_phase(name, "Succeeded", "Failed", "Cancelled", timeout=timeout)
    assert status["phase"] == "Failed"
    summary = {c["type"]: c for c in status["conditions"]}["Succeeded"]
    assert (summary["status"], summary["reason"], summary["message"]) == (
        "False", status["reason"], status["message"])
    wait_until(lambda: "Failed" in [e.reason for e in ksc.events(name)], 10,
               f"a Failed Event for {name}")
    return status


def test_a_pipeline_that_exits_non_zero_fails_after_its_retries(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)], backoffLimit=1)
    operator_factory()
    journal = tmp_path / "journal"
    ksc.create_run("run-1", args={"exit": 3, "journal": str(journal)})
    status = failed(ksc, "run-1")

    assert status["reason"] == "BackoffLimitExceeded"
    assert status["message"] == "Job has reached the specified backoff limit"
    assert len(read_journal(journal)) == 2  # the first try and one retry
    log = (ksc.project() / status["logFile"]).read_text()
    assert log.count("pipeline started for run-1") == 2 and log.count("===== pod ") == 2


def test_a_pipeline_past_its_deadline_fails(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    # Past the deadline the pod is deleted; the test pipeline ignores SIGTERM (PID 1 without
    # a handler), so it is killed when its grace ends, and only then is the Job Failed.
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        activeDeadlineSeconds=1, terminationGracePeriodSeconds=2)
    operator_factory()
    ksc.create_run("run-1", args={"sleep": 60})
    status = failed(ksc, "run-1")
    assert status["reason"] == "DeadlineExceeded"
    assert status["message"] == "Job was active longer than specified deadline"


def test_a_pipeline_that_writes_no_last_run_id_fails(cluster: KscCluster) -> None:
    cluster.create_run("run-1", args={"last_run_id": None})
    status = failed(cluster, "run-1")
    assert status["reason"] == "LastRunIdMismatch"
    assert status["message"] == "the Job completed but .kubeshowcase/LAST_RUN_ID is missing"
    assert status["logFile"] == ".kubeshowcase/logs/run-1.log"


def test_a_pipeline_that_writes_another_run_id_fails(cluster: KscCluster) -> None:
    cluster.create_run("run-1", args={"last_run_id": "someone-else"})
    status = failed(cluster, "run-1")
    assert status["reason"] == "LastRunIdMismatch"
    assert status["message"] == ("the Job completed but .kubeshowcase/LAST_RUN_ID contains "
                                 "'someone-else', expected 'run-1'")


def test_a_job_deleted_by_someone_else_fails_the_run(cluster: KscCluster, tmp_path: Path) -> None:
    cluster.create_run("run-1", args={"hold_file": str(tmp_path / "never")})
    cluster.wait_phase("run-1", "Running")
    wait_until(lambda: cluster.pods("run-1"), 10, "the pipeline's pod")
    cluster.delete_job("run-1")
    status = failed(cluster, "run-1")
    assert status["reason"] == "JobDeleted"
    assert status["message"] == "Job run-1 was deleted by someone else before it finished"


def test_an_unknown_pipeline_fails_the_run_and_the_queue_goes_on(cluster: KscCluster) -> None:
    cluster.create_run("run-1", pipeline="nope")
    cluster.create_run("run-2")
    status = failed(cluster, "run-1")
    assert status["reason"] == "PipelineNotFound"
    assert status["message"] == "Pipeline 'nope' does not exist in namespace 'kubeshowcase'"
    assert cluster.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert cluster.job("run-1") is None


def test_a_missing_project_folder_fails_the_run(cluster: KscCluster) -> None:
    cluster.create_run("run-1", project="alice/missing")
    status = failed(cluster, "run-1")
    assert status["reason"] == "ProjectNotFound"
    assert status["message"] == "project folder 'alice/missing' does not exist on the data volume"
    assert cluster.job("run-1") is None


def test_a_clear_path_through_a_link_fails_the_run(
        operator_factory, ksc: KscCluster, pipeline_script: Path, data_root: Path) -> None:
    project = ksc.project()
    precious = data_root / "bob/precious"
    precious.mkdir(parents=True)
    (precious / "data.csv").write_text("keep me")
    (project / "shared").symlink_to(data_root / "bob")
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        clearPaths=["shared/precious"])
    operator_factory()
    ksc.create_run("run-1")
    status = failed(ksc, "run-1")
    assert status["reason"] == "UnsafePath"
    assert status["message"] == ("clearPaths entry 'shared/precious': shared is a symbolic link "
                                 "(not followed)")
    assert (precious / "data.csv").read_text() == "keep me"
    assert ksc.job("run-1") is None
