"""Finished runs are labelled out of the operator's watch, once and with nothing else done."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.fixtures.operator import KscCluster, wait_until

FINISHED = "kubeshowcase.io/finished"


def wait_labelled(ksc: KscCluster, name: str) -> None:
    wait_until(lambda: ksc.labels(name).get(FINISHED) == "true", 30,
               f"run {name} to be labelled finished")


def test_each_final_phase_labels_the_run_finished_and_leaves_its_job_alone(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("a-ok", args={"hold_file": str(tmp_path / "release")})
    ksc.create_run("b-cancelled")
    ksc.create_run("c-failed", pipeline="missing")
    ksc.wait_phase("a-ok", "Running")
    ksc.wait_phase("b-cancelled", "Queued")
    assert FINISHED not in ksc.labels("a-ok")
    ksc.cancel("b-cancelled")
    (tmp_path / "release").touch()

    phases = {name: ksc.wait_phase(name, "Succeeded", "Failed", "Cancelled")["phase"]
              for name in ("a-ok", "b-cancelled", "c-failed")}
    assert phases == {"a-ok": "Succeeded", "b-cancelled": "Cancelled",
                      "c-failed": "Failed"}
    for name in phases:
        wait_labelled(ksc, name)
    # Out of the watch is not gone: the finished run's Job stays, the outcome stays.
    wait_until(lambda: sorted(e.reason for e in ksc.events("a-ok")) == [
        "Queued", "Started", "Succeeded"], 10, "Events Queued, Started, Succeeded")
    job = ksc.job("a-ok")
    assert job is not None and job.status.succeeded
    assert {name: ksc.phase(name) for name in phases} == phases


def test_a_run_finished_while_no_operator_ran_is_labelled_and_nothing_else(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    ksc.create_run("old")
    # An operator wrote the final phase, then died before labelling the run.
    written = ksc.write_status("old", {
        "phase": "Succeeded", "reason": "Succeeded", "message": "the pipeline finished",
        "jobName": "old", "startTime": "2025-01-01T10:00:00Z",
        "completionTime": "2025-01-01T10:01:00Z"})["status"]
    ksc.create_run("new")
    operator_factory()

    wait_labelled(ksc, "old")
    ksc.wait_phase("new", "Succeeded")
    wait_until(lambda: sorted(e.reason for e in ksc.events("new")) == [
        "Queued", "Started", "Succeeded"], 10, "Events Queued, Started, Succeeded of new")
    wait_labelled(ksc, "new")
    assert ksc.status("old") == written
    assert ksc.job("old") is None and ksc.events("old") == []
    assert [job.metadata.name for job in ksc.jobs()] == ["new"]
