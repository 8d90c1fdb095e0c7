"""A Job that never creates its pod: the run gives up after the pending time, with the Job
controller's FailedCreate message (podcreate.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from kubeshowcase_operator.plan import Step, plan_run
from kubeshowcase_operator.podcreate import (
    create_deadline,
    create_failure,
    creation_overdue,
    events_selector,
)
from kubeshowcase_operator.pods import PodView
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, pod_body, run_body

CREATED = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
MISSING_ACCOUNT = ('Error creating: pods "run-1-" is forbidden: error looking up service '
                   'account kubeshowcase/ghost: serviceaccount "ghost" not found')


def job(suspend: bool = False, **status: Any) -> JobView:
    body = job_body()
    body["metadata"]["creationTimestamp"] = "2025-01-01T10:00:00Z"
    body["spec"] = {"suspend": suspend}
    body["status"].update(status)
    return JobView.from_body(body)


def event(message: str, when: str, uid: str = "uid-job-1", reason: str = "FailedCreate",
          name: str = "run-1.1") -> dict[str, Any]:
    return {"metadata": {"name": name}, "reason": reason, "message": message, "type": "Warning",
            "involvedObject": {"kind": "Job", "name": "run-1", "uid": uid},
            "lastTimestamp": when}


def test_a_job_without_pods_gives_up_after_the_pending_time() -> None:
    assert create_deadline(job(), [], 600) == CREATED + timedelta(seconds=600)
    assert not creation_overdue(job(), [], CREATED + timedelta(seconds=599), 600)
    assert creation_overdue(job(), [], CREATED + timedelta(seconds=600), 600)


def test_a_job_that_has_or_had_a_pod_is_not_judged_here() -> None:
    later = CREATED + timedelta(hours=1)
    pod = PodView.from_body(pod_body(phase="Pending"))
    assert create_deadline(job(), [pod], 600) is None  # pending_outcome's business
    for counted in ({"active": 1}, {"failed": 1}, {"succeeded": 1}, {"terminating": 1}):
        assert not creation_overdue(job(**counted), [], later, 600), counted
    finished = JobView.from_body(job_body(condition="Failed", reason="DeadlineExceeded"))
    assert create_deadline(finished, [], 600) is None
    assert create_deadline(JobView.from_body(job_body(deleting=True)), [], 600) is None
    assert not creation_overdue(job(suspend=True), [], later, 600)  # no pods, on purpose


def test_the_run_fails_with_the_newest_failed_create_message() -> None:
    events = [event("Error creating: an older refusal", "2025-01-01T10:00:01Z", name="a"),
              event(MISSING_ACCOUNT, "2025-01-01T10:09:00Z", name="b"),
              event("someone else's", "2025-01-01T10:09:30Z", uid="uid-older-job", name="c"),
              event("Created pod", "2025-01-01T10:09:40Z", reason="SuccessfulCreate", name="d")]
    outcome = create_failure(job(), events, 600)
    assert (outcome.phase, outcome.reason) == ("Failed", "PodCreateFailed")
    assert outcome.message == f"Job run-1 could not create its pod within 600s: {MISSING_ACCOUNT}"


def test_without_a_failed_create_event_the_run_still_fails() -> None:
    outcome = create_failure(job(), [], 600)
    assert (outcome.reason, outcome.message) == ("PodNotCreated",
                                                 "Job run-1 created no pod within 600s")


def test_the_events_are_asked_for_by_the_jobs_uid() -> None:
    assert events_selector(job()) == "involvedObject.uid=uid-job-1,reason=FailedCreate"


def test_plan_fails_a_running_run_whose_job_creates_no_pod() -> None:
    running = RunView.from_body(run_body(phase="Running"))
    assert plan_run(running, job(), None, uncreated=True) is Step.FAIL_UNCREATED
    assert plan_run(running, job(), None, uncreated=False) is Step.NOTHING
    cancelled = RunView.from_body(run_body(phase="Running", cancel=True))
    assert plan_run(cancelled, job(), None, uncreated=True) is Step.DELETE_JOB
    queued = RunView.from_body(run_body(phase="Queued"))
    assert plan_run(queued, job(), None, uncreated=True) is Step.ADOPT_JOB
