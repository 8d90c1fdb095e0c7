"""Cancelling a queued run and a running one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.fixtures.operator import KscCluster, Span, read_journal, wait_until


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_queued_run_is_cancelled_without_a_job(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("run-1", args={"hold_file": str(tmp_path / "release")})
    ksc.create_run("run-2")
    ksc.wait_phase("run-1", "Running")
    ksc.wait_phase("run-2", "Queued")
    ksc.cancel("run-2")
    status = ksc.wait_phase("run-2", "Cancelled", "Failed", "Succeeded")
    (tmp_path / "release").touch()
    ksc.wait_phase("run-1", "Succeeded")

    assert status["phase"] == "Cancelled" and status["reason"] == "Cancelled"
    assert status["message"] == "cancelled before it started"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Succeeded": "False", "Running": "False"}
    assert ksc.job("run-2") is None and "jobName" not in status
    wait_until(lambda: sorted(e.reason for e in ksc.events("run-2")) == ["Cancelled", "Queued"],
               10, "Events Queued, Cancelled")


def start_a_held_run_with_one_behind(operator_factory, ksc: KscCluster, pipeline_script: Path,
                                     journal: Path, hold_file: Path) -> Span:
    """run-1 running until `hold_file` exists, run-2 queued behind it; run-1's journal span.
    The test pipeline ignores SIGTERM (PID 1 without a handler): a 2 s grace, not 30 s."""
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)],
                        terminationGracePeriodSeconds=2)
    operator_factory()
    ksc.create_run("run-1", args={"journal": str(journal), "hold_file": str(hold_file)})
    ksc.create_run("run-2", args={"journal": str(journal)})
    ksc.wait_phase("run-1", "Running")
    [span] = wait_until(lambda: read_journal(journal), 10, "the pipeline to start")
    return span


def test_a_running_run_is_cancelled_its_process_killed_and_its_job_removed(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    span = start_a_held_run_with_one_behind(operator_factory, ksc, pipeline_script, journal,
                                           tmp_path / "never")
    ksc.cancel("run-1")
    status = ksc.wait_phase("run-1", "Cancelled", "Failed", "Succeeded")

    assert status["phase"] == "Cancelled" and status["reason"] == "Cancelled"
    assert status["message"] == "cancelled while running; Job run-1 deleted"
    wait_until(lambda: process_gone(span.pid), 10, "the pipeline process to be killed")
    assert ksc.job("run-1") is None and ksc.pods("run-1") == []
    assert "pipeline started for run-1" in (ksc.project() / status["logFile"]).read_text()
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert [(s.run, s.end is None) for s in read_journal(journal)] == [
        ("run-1", True), ("run-2", False)]
    wait_until(lambda: sorted(e.reason for e in ksc.events("run-1")) == [
        "Cancelled", "Queued", "Started"], 10, "Events Queued, Started, Cancelled")


def test_deleting_a_running_run_takes_its_job_and_process_with_it(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    span = start_a_held_run_with_one_behind(operator_factory, ksc, pipeline_script, journal,
                                           tmp_path / "never")

    ksc.delete_run("run-1")

    wait_until(lambda: process_gone(span.pid), 10, "the pipeline process to be killed")
    wait_until(lambda: ksc.job("run-1") is None and ksc.pods("run-1") == [], 10,
               "the Job and its pod to go with their run")
    assert ksc.wait_phase("run-2", "Succeeded", "Failed")["phase"] == "Succeeded"
    assert [span.run for span in read_journal(journal)] == ["run-1", "run-2"]
