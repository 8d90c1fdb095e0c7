"""Which pods a finished run's log is read from: the watched ones when they are all there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kubeshowcase_operator.logpods import log_order, pods_of_run, watched_pods_suffice
from kubeshowcase_operator.model import Model
from kubeshowcase_operator.pods import PodView
from kubeshowcase_operator.views import JobView, RunView

from .bodies import job_body, pod_body, run_body

RUN = RunView.from_body(run_body(phase="Running"))


def pod(name: str, phase: str = "Failed", seconds: int = 0, **fields: object) -> PodView:
    view = PodView.from_body(pod_body(name, phase=phase, **fields))  # type: ignore[arg-type]
    return replace(view, created=view.created + timedelta(seconds=seconds))


def job(counted: int) -> JobView:
    return replace(JobView.from_body(job_body(condition="Failed")), pods_counted=counted)


def test_the_watched_pods_suffice_when_the_job_counts_no_more() -> None:
    pods = [pod("run-1-a"), pod("run-1-b", "Succeeded", 5)]
    assert watched_pods_suffice(pods, job(2))
    # A pod the podFailurePolicy ignored (DisruptionTarget) is watched but not counted.
    assert watched_pods_suffice(pods, job(1))


def test_they_do_not_when_the_job_counts_a_pod_the_watch_has_not_brought() -> None:
    assert not watched_pods_suffice([pod("run-1-a")], job(2))


def test_no_watched_pod_never_suffices() -> None:
    assert not watched_pods_suffice([], job(0))
    assert not watched_pods_suffice([], None)


def test_without_a_job_any_watched_pod_of_the_run_suffices() -> None:
    assert watched_pods_suffice([pod("run-1-a")], None)


def test_a_listed_namesakes_pod_is_left_out() -> None:
    ours, namesakes = pod("run-1-a"), pod("run-1-old", run_uid="uid-an-earlier-run-1")
    older_operators = pod("run-1-b", run=None, run_uid=None)
    assert pods_of_run([namesakes, ours, older_operators], RUN) == [ours, older_operators]


def test_the_newest_attempt_comes_last() -> None:
    retry, first = pod("run-1-a", "Succeeded", 12), pod("run-1-z", "Failed", 0)
    assert log_order([retry, first], RUN) == ["run-1-z", "run-1-a"]


def test_within_one_second_the_recorded_pod_is_the_newest() -> None:
    # creationTimestamp has whole seconds: a retry made within the second of its predecessor
    # is told apart by status.podName, recorded once it started (as attempt_of does).
    run = replace(RUN, status={**RUN.status, "podName": "run-1-a"})
    assert run.pod_name == "run-1-a"
    assert log_order([pod("run-1-a"), pod("run-1-z")], run) == ["run-1-z", "run-1-a"]
    assert log_order([pod("run-1-a"), pod("run-1-z")], RUN) == ["run-1-a", "run-1-z"]


def test_the_model_finds_a_runs_pods_by_its_uid_even_orphaned() -> None:
    model = Model()
    model.put_pod(pod("run-1-a"))
    model.put_pod(pod("run-1-b", job=None))  # its Job deleted with propagationPolicy Orphan
    model.put_pod(pod("run-2-a", run="run-2", run_uid="uid-run-2"))
    assert sorted(p.name for p in model.pods_of_run(RUN)) == ["run-1-a", "run-1-b"]
    model.drop_pod("run-1-a")
    assert [p.name for p in model.pods_of_run(RUN)] == ["run-1-b"]
    model.put_pod(pod("run-1-b", job=None, run_uid="uid-another", rv="31"))
    assert model.pods_of_run(RUN) == []
