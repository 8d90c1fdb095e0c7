"""pending_outcome: a run whose pod never starts fails with the kubelet's own reason."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from kubeshowcase_operator.pods import PodView, pending_deadline, pending_outcome

CREATED = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)


def pod(name: str = "run-1-abcde", phase: str = "Pending", created: datetime = CREATED,
        **status: Any) -> PodView:
    return PodView.from_body({
        "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": "3",
                     "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "labels": {"kubeshowcase.io/run": "run-1", "job-name": "run-1"}},
        "status": {"phase": phase, **status}})


def waiting(reason: str, message: str) -> dict[str, Any]:
    return {"containerStatuses": [{"name": "pipeline", "state": {
        "waiting": {"reason": reason, "message": message}}}]}


def test_a_pod_pulling_an_unknown_image_fails_with_err_image_pull() -> None:
    stuck = pod(**waiting("ErrImagePull", 'failed to pull image "nope:1"'))
    outcome = pending_outcome([stuck], CREATED + timedelta(seconds=600), 600)
    assert outcome is not None
    assert (outcome.phase, outcome.reason) == ("Failed", "ErrImagePull")
    assert outcome.message == ('pod run-1-abcde did not start within 600s '
                               '(ErrImagePull: failed to pull image "nope:1")')


def test_an_unschedulable_pod_says_why() -> None:
    stuck = pod(conditions=[{"type": "PodScheduled", "status": "False",
                             "reason": "Unschedulable",
                             "message": "0/1 nodes are available: 1 Insufficient memory."}])
    outcome = pending_outcome([stuck], CREATED + timedelta(seconds=601), 600)
    assert outcome is not None and outcome.reason == "Unschedulable"
    assert outcome.message.endswith("(Unschedulable: 0/1 nodes are available: 1 Insufficient "
                                    "memory.)")


def test_a_pod_is_given_its_whole_pending_time() -> None:
    stuck = pod(**waiting("ContainerCreating", ""))
    assert pending_outcome([stuck], CREATED + timedelta(seconds=599), 600) is None
    assert pending_deadline([stuck], 600) == CREATED + timedelta(seconds=600)


def test_a_started_pod_is_not_pending() -> None:
    later = CREATED + timedelta(hours=1)
    assert pending_outcome([pod(phase="Running")], later, 600) is None
    assert pending_deadline([pod(phase="Running")], 600) is None
    assert pending_outcome([], later, 600) is None


def test_only_the_newest_pod_counts_and_odd_reasons_are_not_repeated() -> None:
    old = pod("run-1-old", phase="Failed")
    new = pod("run-1-new", created=CREATED + timedelta(seconds=30),
              **waiting("not a reason!", "x"))
    outcome = pending_outcome([old, new], CREATED + timedelta(seconds=700), 600)
    assert outcome is not None and outcome.reason == "PodPending"
    assert pending_outcome([old, new], CREATED + timedelta(seconds=620), 600) is None


def test_the_image_id_is_the_pipeline_containers_of_the_newest_pod_that_has_one() -> None:
    from kubeshowcase_operator.pods import attempt_of

    def pulled(name: str, minutes: int, image_id: str) -> PodView:
        return pod(name, "Running", CREATED + timedelta(minutes=minutes), containerStatuses=[
            {"name": "sidecar", "imageID": "other@sha256:00"},
            {"name": "pipeline", "imageID": image_id}])

    old, new, pulling = pulled("a", 0, "repo@sha256:11"), pulled("b", 1, "repo@sha256:22"), \
        pulled("c", 2, "")
    assert attempt_of([old, new, pulling]).image_id == "repo@sha256:22"
    assert attempt_of([pulling]).image_id == "" and attempt_of([]).image_id == ""
