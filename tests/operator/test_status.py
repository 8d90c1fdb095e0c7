"""Outcomes from Jobs, durations, conditions and the status each phase writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kubeshowcase_operator.status import (
    Outcome,
    completion_time,
    conditions_for,
    finished_status,
    format_duration,
    phase_from_job,
    position_patch,
    queued_status,
    run_id_excerpt,
    running_status,
    timestamp,
)
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, run_body

NOW = datetime(2025, 1, 1, 10, 5, 0, tzinfo=timezone.utc)


def job(**kwargs: object) -> JobView:
    return JobView.from_body(job_body(**kwargs))


def test_a_running_job_has_no_outcome() -> None:
    assert phase_from_job(job(), "run-1", "run-1") is None


def test_a_complete_job_with_its_run_id_succeeded() -> None:
    assert phase_from_job(job(condition="Complete"), "run-1\n", "run-1") == Outcome(
        "Succeeded", "Succeeded", "the pipeline finished and wrote .kubeshowcase/LAST_RUN_ID")


def test_a_complete_job_without_last_run_id_failed() -> None:
    assert phase_from_job(job(condition="Complete"), None, "run-1") == Outcome(
        "Failed", "LastRunIdMismatch",
        "the Job completed but .kubeshowcase/LAST_RUN_ID is missing")


def test_a_complete_job_with_another_run_id_failed() -> None:
    outcome = phase_from_job(job(condition="Complete"), "run-0\n", "run-1", "out/LAST")
    assert outcome == Outcome(
        "Failed", "LastRunIdMismatch",
        "the Job completed but out/LAST contains 'run-0', expected 'run-1'")


@pytest.mark.parametrize(("content", "shown"), [
    ("run-0.a\n", "'run-0.a'"),
    ("DECOY SECRET\n", "13 bytes that are not a run id"),
    ("root:x:0:0:root:/root:/bin/bash\n", "32 bytes that are not a run id"),
    ("a" * 64, "64 bytes that are not a run id"),
    ("é", "2 bytes that are not a run id"),
])
def test_another_run_id_is_shown_only_when_it_looks_like_one(content: str, shown: str) -> None:
    assert run_id_excerpt(content) == shown
    outcome = phase_from_job(job(condition="Complete"), content, "run-1")
    assert outcome is not None and outcome.message == (
        f"the Job completed but .kubeshowcase/LAST_RUN_ID contains {shown}, expected 'run-1'")


def test_an_unreadable_last_run_id_fails_with_what_was_found() -> None:
    outcome = phase_from_job(job(condition="Complete"), None, "run-1",
                             unreadable=".kubeshowcase/LAST_RUN_ID is a symbolic link")
    assert outcome == Outcome("Failed", "LastRunIdUnreadable",
                              "the Job completed but .kubeshowcase/LAST_RUN_ID is a symbolic link")
    failed = job(condition="Failed", reason="DeadlineExceeded", message="too long")
    assert phase_from_job(failed, None, "run-1", unreadable="x") == Outcome(
        "Failed", "DeadlineExceeded", "too long")


def test_a_failed_job_passes_on_its_reason_and_message() -> None:
    failed = job(condition="Failed", reason="DeadlineExceeded",
                 message="Job was active longer than specified deadline")
    assert phase_from_job(failed, None, "run-1") == Outcome(
        "Failed", "DeadlineExceeded", "Job was active longer than specified deadline")


def test_a_failed_job_with_an_odd_reason_still_fails_cleanly() -> None:
    outcome = phase_from_job(job(condition="Failed", reason="weird reason"), None, "run-1")
    assert outcome is not None and outcome.reason == "JobFailed"
    assert "weird reason" in outcome.message


@pytest.mark.parametrize(("seconds", "text"), [
    (0.42, "0.4s"), (9.96, "10.0s"), (42, "42s"), (192, "3m12s"), (3600, "1h0m0s"),
    (7505, "2h5m5s"), (-3, "0.0s")])
def test_durations_are_short_and_human(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_timestamps_are_rfc3339_utc() -> None:
    moment = datetime(2025, 1, 1, 10, 5, 0, 123456, tzinfo=timezone.utc)
    assert timestamp(moment) == "2025-01-01T10:05:00Z"
    assert timestamp(moment, precise=True) == "2025-01-01T10:05:00.123456Z"


def test_completion_time_is_ours_unless_we_saw_it_late() -> None:
    finished = job(condition="Complete")  # finished at 10:04:00
    assert completion_time(NOW, finished) == datetime(2025, 1, 1, 10, 4, tzinfo=timezone.utc)
    soon = datetime(2025, 1, 1, 10, 4, 1, tzinfo=timezone.utc)
    assert completion_time(soon, finished) == soon
    assert completion_time(NOW, None) == NOW


def test_conditions_carry_reason_message_time_and_generation() -> None:
    run = RunView.from_body(run_body(generation=3))
    conditions = conditions_for(run, "Running", "JobCreated", "Job run-1 is running", NOW)
    assert conditions == [
        {"type": "Succeeded", "status": "Unknown", "reason": "JobCreated",
         "message": "Job run-1 is running", "lastTransitionTime": "2025-01-01T10:05:00Z",
         "observedGeneration": 3},
        {"type": "Running", "status": "True", "reason": "JobCreated",
         "message": "Job run-1 is running", "lastTransitionTime": "2025-01-01T10:05:00Z",
         "observedGeneration": 3},
    ]


def test_a_condition_keeps_its_transition_time_while_its_status_holds() -> None:
    earlier = [{"type": "Succeeded", "status": "Unknown", "reason": "Queued", "message": "",
                "lastTransitionTime": "2025-01-01T09:00:00Z"},
               {"type": "Running", "status": "False", "reason": "Queued", "message": "",
                "lastTransitionTime": "2025-01-01T09:00:00Z"}]
    run = RunView.from_body(run_body(phase="Queued", conditions=earlier))
    succeeded, running = conditions_for(run, "Running", "JobCreated", "m", NOW)
    assert succeeded["lastTransitionTime"] == "2025-01-01T09:00:00Z"  # still Unknown
    assert running["lastTransitionTime"] == "2025-01-01T10:05:00Z"  # False -> True


def test_queued_status() -> None:
    status = queued_status(RunView.from_body(run_body()), 3, NOW)["status"]
    assert status["phase"] == "Queued" and status["queuePosition"] == 3
    assert status["observedGeneration"] == 1
    assert [c["status"] for c in status["conditions"]] == ["Unknown", "False"]


def test_running_status_clears_the_position() -> None:
    started = NOW - timedelta(seconds=1)
    status = running_status(RunView.from_body(run_body(phase="Queued", queuePosition=1)),
                            "run-1", started, NOW)["status"]
    assert status["phase"] == "Running" and status["jobName"] == "run-1"
    assert status["queuePosition"] is None
    assert status["startTime"] == timestamp(started, precise=True)


def test_finished_status_has_times_duration_and_log() -> None:
    run = RunView.from_body(run_body(phase="Running", startTime="2025-01-01T10:01:48.000000Z"))
    status = finished_status(run, Outcome("Succeeded", "Succeeded", "done"), NOW,
                             ".kubeshowcase/logs/run-1.log", NOW)["status"]
    assert status["phase"] == "Succeeded" and status["reason"] == "Succeeded"
    assert status["completionTime"] == "2025-01-01T10:05:00.000000Z"
    assert status["duration"] == "3m12s"
    assert status["logFile"] == ".kubeshowcase/logs/run-1.log"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("Succeeded", "True"), ("Running", "False")]


def test_a_run_that_never_started_has_no_duration() -> None:
    status = finished_status(RunView.from_body(run_body(phase="Queued")),
                             Outcome("Cancelled", "Cancelled", "cancelled"), NOW, None,
                             NOW)["status"]
    assert "duration" not in status and "logFile" not in status
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("Succeeded", "False"), ("Running", "False")]


def test_a_position_patch_applies_only_to_the_version_it_was_computed_for() -> None:
    run = RunView.from_body(run_body(rv="17", phase="Queued"))
    assert position_patch(run, 4) == {"metadata": {"resourceVersion": "17"},
                                      "status": {"queuePosition": 4, "estimate": None}}
    assert position_patch(run, None)["status"] == {"queuePosition": None, "estimate": None}
    estimate = {"unknown": "no finished runs of pipeline x yet"}
    assert position_patch(run, 1, estimate)["status"] == {"queuePosition": 1,
                                                          "estimate": estimate}


def test_a_run_never_seen_running_takes_its_start_from_the_job() -> None:
    body = job_body(condition="Complete")
    body["status"]["startTime"] = "2025-01-01T10:03:00Z"
    status = finished_status(RunView.from_body(run_body(phase="Queued")),
                             Outcome("Succeeded", "Succeeded", "done"), NOW, None, NOW,
                             JobView.from_body(body))["status"]
    assert status["jobName"] == "run-1"
    assert status["startTime"] == "2025-01-01T10:03:00.000000Z"
    assert status["duration"] == "2m0s"


def test_running_status_says_what_the_job_was_built_from() -> None:
    run = RunView.from_body(run_body(phase="Queued"))
    status = running_status(run, "run-1", NOW, NOW, 4, "runs/run-1")["status"]
    assert status["pipelineGeneration"] == 4 and status["outputs"] == {"dir": "runs/run-1"}
    plain = running_status(run, "run-1", NOW, NOW)["status"]
    assert "pipelineGeneration" not in plain and "outputs" not in plain


def test_finished_status_carries_the_image_and_the_manifest() -> None:
    manifest = {"dir": "", "complete": True, "files": [{"path": "a", "size": 1, "mtimeNs": 2}]}
    run = RunView.from_body(run_body(phase="Running", pipelineGeneration=3))
    status = finished_status(run, Outcome("Succeeded", "Succeeded", "done"), NOW, None, NOW,
                             job(), "repo@sha256:ab", manifest)["status"]
    assert status["imageID"] == "repo@sha256:ab" and status["outputs"] == manifest
    assert "pipelineGeneration" not in status  # kept as written at the start


def test_a_run_never_seen_running_takes_its_pipeline_generation_from_the_job() -> None:
    body = job_body(condition="Complete")
    body["metadata"]["annotations"] = {"kubeshowcase.io/pipeline-generation": "6"}
    status = finished_status(RunView.from_body(run_body(phase="Queued")),
                             Outcome("Succeeded", "Succeeded", "done"), NOW, None, NOW,
                             JobView.from_body(body))["status"]
    assert status["pipelineGeneration"] == 6
