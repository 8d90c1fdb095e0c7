"""plan_run: what a run needs next, from its state and its Job's."""

from __future__ import annotations

import pytest

from kubeshowcase_operator.plan import Step, needs_finished_label, plan_run
from kubeshowcase_operator.pods import Attempt
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, run_body

RUNNING_JOB = job_body()
DONE_JOB = job_body(condition="Complete")
FAILED_JOB = job_body(condition="Failed", reason="BackoffLimitExceeded")
DELETING_JOB = job_body(deleting=True)


@pytest.mark.parametrize(("phase", "cancel", "job", "step"), [
    (None, False, None, Step.MARK_QUEUED),
    (None, True, None, Step.CANCEL_QUEUED),
    ("Queued", False, None, Step.NOTHING),  # waits for the dispatcher
    ("Queued", True, None, Step.CANCEL_QUEUED),
    ("Queued", False, RUNNING_JOB, Step.ADOPT_JOB),  # created before a crash
    (None, False, RUNNING_JOB, Step.ADOPT_JOB),
    ("Queued", True, RUNNING_JOB, Step.DELETE_JOB),
    ("Running", False, RUNNING_JOB, Step.NOTHING),
    ("Running", True, RUNNING_JOB, Step.DELETE_JOB),
    ("Running", True, DELETING_JOB, Step.NOTHING),  # waiting for its pods to go
    ("Running", False, DELETING_JOB, Step.NOTHING),
    ("Running", True, None, Step.CONFIRM_CANCELLED),
    ("Running", False, None, Step.JOB_GONE),
    ("Running", False, DONE_JOB, Step.FINISH),
    ("Running", False, FAILED_JOB, Step.FINISH),
    ("Running", True, DONE_JOB, Step.FINISH),  # finished before the cancel took effect
    ("Queued", False, DONE_JOB, Step.FINISH),  # ran to its end while no operator watched
    ("Succeeded", False, DONE_JOB, Step.NOTHING),
    ("Failed", False, None, Step.NOTHING),
    ("Cancelled", True, RUNNING_JOB, Step.NOTHING),
])
def test_plan(phase: str | None, cancel: bool, job: dict | None, step: Step) -> None:
    run = RunView.from_body(run_body(phase=phase, cancel=cancel))
    assert plan_run(run, JobView.from_body(job) if job else None) is step


@pytest.mark.parametrize(("owner", "project", "phase", "job", "step"), [
    ("alice", "bob/proj", None, None, Step.REFUSE),
    ("alice", "alice", "Queued", None, Step.REFUSE),
    ("alice", "alice/cells/raw", None, None, Step.REFUSE),
    ("alice", "bob/proj", "Running", RUNNING_JOB, Step.NOTHING),  # only ours make Jobs
    ("alice", "bob/proj", "Failed", None, Step.NOTHING),
    ("alice", "alice/cells", None, None, Step.MARK_QUEUED),
])
def test_a_run_outside_its_owners_space_is_refused(owner: str, project: str,
                                                   phase: str | None, job: dict | None,
                                                   step: Step) -> None:
    run = RunView.from_body(run_body(owner=owner, project=project, phase=phase))
    assert plan_run(run, JobView.from_body(job) if job else None) is step


@pytest.mark.parametrize(("phase", "labelled", "needed"), [
    ("Succeeded", False, True),
    ("Failed", False, True),
    ("Cancelled", False, True),
    ("Succeeded", True, False),
    ("Running", False, False),
    (None, False, False),
])
def test_only_terminal_runs_without_the_label_need_it(
        phase: str | None, labelled: bool, needed: bool) -> None:
    body = run_body(phase=phase)
    if labelled:
        body["metadata"]["labels"] = {"kubeshowcase.io/finished": "true"}
    assert needs_finished_label(RunView.from_body(body)) is needed


def test_a_running_run_whose_pod_never_started_fails() -> None:
    from kubeshowcase_operator.status import Outcome

    stuck = Outcome("Failed", "ErrImagePull", "pod run-1-x did not start within 600s")
    running = RunView.from_body(run_body(phase="Running"))
    job = JobView.from_body(RUNNING_JOB)
    assert plan_run(running, job, stuck) is Step.FAIL_PENDING
    assert plan_run(running, job, None) is Step.NOTHING
    cancelled = RunView.from_body(run_body(phase="Running", cancel=True))
    assert plan_run(cancelled, job, stuck) is Step.DELETE_JOB  # cancelling wins


def test_a_running_run_records_the_image_its_pod_reports() -> None:
    job = JobView.from_body(RUNNING_JOB)
    running = RunView.from_body(run_body(phase="Running"))
    started = Attempt("run-1-abcde", "repo@sha256:ab")
    assert plan_run(running, job, attempt=started) is Step.RECORD_POD
    assert plan_run(running, job) is Step.NOTHING  # not pulled yet
    recorded = RunView.from_body(run_body(phase="Running", imageID="repo@sha256:ab",
                                          podName="run-1-abcde"))
    assert plan_run(recorded, job, attempt=started) is Step.NOTHING
    done = JobView.from_body(DONE_JOB)
    assert plan_run(running, done, attempt=started) is Step.FINISH  # it goes there
