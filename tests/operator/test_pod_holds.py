"""A pod holds its run's slot and project folder for as long as a pipeline may run in it:
Terminating included, and after its Job is gone (orphaned). Pure decisions on our pods."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kubeshowcase_operator.model import Model
from kubeshowcase_operator.pods import PodStep, PodView, force_due, pod_step
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, pod_body, run_body

GRACE_ENDS = datetime(2025, 1, 1, 10, 5, tzinfo=timezone.utc)
DELETING = "2025-01-01T10:05:00Z"


def pod(**kwargs: object) -> PodView:
    return PodView.from_body(pod_body(**kwargs))  # type: ignore[arg-type]


def test_a_terminating_pod_of_a_cancelled_run_keeps_its_slot_and_folder() -> None:
    model = Model()
    model.put_run(RunView.from_body(run_body(phase="Cancelled")))
    model.put_pod(pod(deleting=DELETING))
    assert model.slots_used() == 1
    assert model.project_state("alice/cells") == "running"
    assert model.project_state("alice/cells/inner") == "running"  # a folder inside it
    assert model.project_state("alice/other") is None
    model.put_pod(pod(rv="31", deleting=DELETING, phase="Failed"))  # the kubelet is done
    assert model.slots_used() == 0 and model.project_state("alice/cells") is None


def test_a_run_its_job_and_its_pod_take_one_slot_together() -> None:
    model = Model()
    model.put_run(RunView.from_body(run_body(phase="Running", jobName="run-1")))
    model.put_job(JobView.from_body(job_body()))
    model.put_pod(pod())
    assert model.slots_used() == 1
    model.put_job(JobView.from_body(job_body(rv="21", deleting=True)))
    model.put_pod(pod(rv="31", deleting=DELETING))
    assert model.slots_used() == 1


def test_an_orphaned_pod_holds_a_slot_of_its_own_and_its_folder() -> None:
    model = Model()
    model.put_run(RunView.from_body(run_body(name="run-2", uid="uid-run-2", phase="Queued")))
    model.put_pod(pod(job=None))
    assert model.slots_used() == 1
    assert model.project_state("alice/cells") == "running"
    model.drop_pod("run-1-abcde")
    assert model.slots_used() == 0 and model.project_state("alice/cells") is None


def test_a_pod_from_an_older_operator_is_placed_by_its_run() -> None:
    model = Model()
    model.put_run(RunView.from_body(run_body(phase="Cancelled", project="bob/x", owner="bob")))
    old = pod(run=None, run_uid=None, project=None, job=None)
    model.put_pod(old)
    assert model.pod_project(old) == "bob/x" and model.project_state("bob/x") == "running"
    assert model.slots_used() == 1


def test_two_orphaned_pods_of_unknown_runs_take_two_slots() -> None:
    model = Model()
    model.put_pod(pod(name="a", run=None, run_uid=None, project=None, job=None))
    model.put_pod(pod(name="b", run=None, run_uid=None, project=None, job=None))
    assert model.slots_used() == 2


@pytest.mark.parametrize(("body", "job_known", "now", "step"), [
    ({}, True, GRACE_ENDS, PodStep.NOTHING),  # running under its Job
    ({}, False, GRACE_ENDS, PodStep.DELETE_LEFTOVER),  # its Job is not in the picture
    ({"job": None}, True, GRACE_ENDS, PodStep.DELETE_LEFTOVER),
    ({"phase": "Pending"}, False, GRACE_ENDS, PodStep.DELETE_LEFTOVER),
    ({"phase": "Succeeded"}, False, GRACE_ENDS, PodStep.NOTHING),  # nothing runs in it
    ({"phase": "Failed", "deleting": DELETING}, True, GRACE_ENDS + timedelta(hours=1),
     PodStep.NOTHING),
    ({"deleting": DELETING}, False, GRACE_ENDS, PodStep.NOTHING),  # in its grace period
    ({"deleting": DELETING}, False, GRACE_ENDS + timedelta(seconds=119), PodStep.NOTHING),
    ({"deleting": DELETING}, True, GRACE_ENDS + timedelta(seconds=120), PodStep.FORCE_DELETE),
])
def test_pod_step(body: dict[str, object], job_known: bool, now: datetime, step: str) -> None:
    assert pod_step(pod(**body), job_known, now, 120) == step


def test_force_due_is_the_end_of_the_grace_period_plus_the_timeout() -> None:
    assert force_due(pod(deleting=DELETING), 120) == GRACE_ENDS + timedelta(seconds=120)
    assert force_due(pod(), 120) is None
