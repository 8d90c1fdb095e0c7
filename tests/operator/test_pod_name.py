"""attempt_of and the record-pod step: status.podName names the pod of the run's current
attempt (the newest that started), is written once per attempt and kept at the end."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kubeshowcase_operator.plan import Step, plan_run
from kubeshowcase_operator.pods import Attempt, PodView, attempt_of
from kubeshowcase_operator.status import Outcome, finished_status
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, run_body

CREATED = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
IMAGE = "repo@sha256:" + "ab" * 32


def pod(name: str, seconds: int, phase: str, image_id: str = IMAGE) -> PodView:
    """A pod of the run's Job, created `seconds` after CREATED; image_id "" while its pipeline
    container's image is not there yet (Pending, ContainerCreating)."""
    return PodView.from_body({
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "3",
                     "creationTimestamp": (CREATED + timedelta(seconds=seconds)).strftime(
                         "%Y-%m-%dT%H:%M:%SZ")},
        "spec": {"nodeName": "node-a"},
        "status": {"phase": phase, "containerStatuses": [
            {"name": "sidecar", "imageID": "other@sha256:00"},
            {"name": "pipeline", "imageID": image_id}]}})


def running(**status: object) -> RunView:
    return RunView.from_body(run_body(phase="Running", jobName="run-1", **status))


JOB = JobView.from_body(job_body())


def test_the_newest_started_pod_is_the_current_attempt() -> None:
    first = pod("run-1-aaaaa", 0, "Failed")
    retry = pod("run-1-zzzzz", 30, "Running")
    assert attempt_of([retry, first]) == Attempt("run-1-zzzzz", IMAGE)
    assert attempt_of([first]) == Attempt("run-1-aaaaa", IMAGE)
    assert Attempt("run-1-zzzzz", IMAGE).fields() == {"podName": "run-1-zzzzz",
                                                      "imageID": IMAGE}


def test_a_retry_waiting_to_start_does_not_take_over_yet() -> None:
    """Its log cannot be read yet (the kubelet answers 400, waiting to start): the page keeps
    the attempt that has a log until the new one starts."""
    first = pod("run-1-aaaaa", 0, "Failed")
    waiting = pod("run-1-bbbbb", 30, "Pending", image_id="")
    assert attempt_of([first, waiting]).pod_name == "run-1-aaaaa"
    assert attempt_of([waiting]) == Attempt() and attempt_of([]) == Attempt()
    assert Attempt().fields() == {}


def test_within_one_second_the_pod_still_alive_is_the_newer() -> None:
    """creationTimestamp has whole seconds: a replacement made in the second its predecessor
    failed in must win however their generated names sort."""
    failed = pod("run-1-zzzzz", 5, "Failed")
    replacement = pod("run-1-aaaaa", 5, "Running")
    assert attempt_of([failed, replacement]).pod_name == "run-1-aaaaa"
    # Once both have ended, the one recorded while it ran stays (the final status keeps it).
    ended = pod("run-1-aaaaa", 5, "Succeeded")
    assert attempt_of([failed, ended], recorded="run-1-aaaaa").pod_name == "run-1-aaaaa"


def test_each_new_attempt_is_recorded_once() -> None:
    first = pod("run-1-aaaaa", 0, "Running")
    assert plan_run(running(), JOB, attempt=attempt_of([first])) is Step.RECORD_POD
    recorded = running(podName="run-1-aaaaa", imageID=IMAGE)
    assert plan_run(recorded, JOB, attempt=attempt_of([first])) is Step.NOTHING

    failed = pod("run-1-aaaaa", 0, "Failed")
    waiting = pod("run-1-bbbbb", 30, "Pending", image_id="")
    # Pod events while the retry waits change nothing that is recorded: no write.
    assert plan_run(recorded, JOB, attempt=attempt_of([failed, waiting])) is Step.NOTHING
    started = pod("run-1-bbbbb", 30, "Running")
    assert attempt_of([failed, started]) == Attempt("run-1-bbbbb", IMAGE)
    assert plan_run(recorded, JOB, attempt=attempt_of([failed, started])) is Step.RECORD_POD
    again = running(podName="run-1-bbbbb", imageID=IMAGE)
    assert plan_run(again, JOB, attempt=attempt_of([failed, started])) is Step.NOTHING


def test_a_run_recorded_before_pod_names_gets_one() -> None:
    """A run an older operator recorded the image of (no podName yet) gets its pod's name."""
    old = running(imageID=IMAGE)
    assert plan_run(old, JOB, attempt=attempt_of([pod("run-1-aaaaa", 0, "Running")])) \
        is Step.RECORD_POD


def test_the_final_status_keeps_the_pod_name() -> None:
    outcome = Outcome("Failed", "BackoffLimitExceeded", "x")
    last = attempt_of([pod("run-1-aaaaa", 0, "Failed"), pod("run-1-bbbbb", 30, "Failed")])
    status = finished_status(running(podName="run-1-aaaaa"), outcome, CREATED, None, CREATED,
                             ran_on=last.fields())["status"]
    assert (status["podName"], status["imageID"]) == ("run-1-bbbbb", IMAGE)
