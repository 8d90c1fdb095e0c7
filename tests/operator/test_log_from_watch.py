"""A finished run's log is read from the pods the operator watches, not from a LIST of its
Job's pods: measured on the double's request log. Every attempt's log is kept, headed by its
pod's name, newest attempt last; only when the watch may lack pods is the LIST made."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeshowcase_operator.jobs import CONTAINER_NAME, RUN_UID_ANNOTATION
from kubeshowcase_operator.kubeapi import KubeApi, Paths
from kubeshowcase_operator.podlogs import save_pod_logs
from kubeshowcase_operator.pods import PodView
from kubeshowcase_operator.views import JobView, RunView
from tests.fixtures.chart_accounts import component_users
from tests.fixtures.operator import KscCluster
from tests.kubedouble.helpers import http, job, wait_until

from tests.operator.retries import job_controller_settings, retrying_pipeline  # noqa: F401

from .bodies import operator_connection, run_body, settings_for


def operator_pod_lists(apiserver: Any) -> dict[str, int]:
    """The operator's LISTs of pods so far, by label selector."""
    operator = {user for user, component in component_users().items()
                if component == "operator"}
    return {request.label_selector: count
            for request, count in apiserver.request_log.counts().items()
            if request.user in operator and request.verb == "list"
            and request.resource == "pods" and not request.subresource}


def test_a_retried_runs_log_holds_both_attempts_and_no_pod_list_is_made(
        operator_factory: Any, ksc: KscCluster, apiserver: Any, tmp_path: Path) -> None:
    project = ksc.project()
    retrying_pipeline(ksc, tmp_path)
    operator_factory()
    ksc.create_run("run-1")
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=60)
    assert status["phase"] == "Succeeded", status
    retry = status["podName"]  # the last attempt's (tests/operator/test_pod_name_retry.py)
    (first,) = {pod.metadata.name for pod in ksc.pods("run-1")} - {retry}
    assert (project / status["logFile"]).read_text() == (
        f"===== pod {first} =====\nfirst attempt\n===== pod {retry} =====\nthe retry\n")
    lists = operator_pod_lists(apiserver)
    assert lists, "the operator's own listing of its pods is seen"  # the log is measured
    assert not [selector for selector in lists if selector.startswith("job-name=")], lists


def test_a_cancelled_runs_log_is_saved_with_no_pod_list(
        operator_factory: Any, ksc: KscCluster, apiserver: Any, pipeline_script: Path,
        tmp_path: Path) -> None:
    project = ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("run-1", args={"hold_file": str(tmp_path / "never"), "handle_term": True})
    pod = wait_until(lambda: ksc.status("run-1").get("podName"), 30, "the pipeline's pod")
    wait_until(lambda: "pipeline started" in ksc._core.read_namespaced_pod_log(
        pod, ksc.namespace), 30, "the pipeline to print")
    ksc.cancel("run-1")
    status = ksc.wait_phase("run-1", "Cancelled", "Failed", "Succeeded")
    assert status["phase"] == "Cancelled", status
    assert "pipeline started for run-1" in (project / status["logFile"]).read_text()
    assert not [selector for selector in operator_pod_lists(apiserver)
                if selector.startswith("job-name=")]


def test_a_run_that_ended_while_no_operator_ran_is_saved_from_the_listing(
        operator_factory: Any, ksc: KscCluster, apiserver: Any, pipeline_script: Path,
        tmp_path: Path) -> None:
    """At start the operator lists Jobs, then pods, and plans nothing before: the pods of a
    Job that ended meanwhile are all in that listing, so its log needs no LIST of its own."""
    project = ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator = operator_factory()
    release = tmp_path / "release"
    ksc.create_run("run-1", args={"hold_file": str(release)})
    wait_until(lambda: ksc.status("run-1").get("podName"), 30, "the pipeline's pod")
    operator.kill()
    release.touch()
    wait_until(lambda: ksc.job("run-1").status.succeeded, 30, "the Job to complete")
    operator_factory(POD_NAME="operator-0")  # same identity: takes its lease back at once
    status = ksc.wait_phase("run-1", "Succeeded", "Failed", timeout=60)
    assert status["phase"] == "Succeeded", status
    assert "pipeline finished for run-1" in (project / status["logFile"]).read_text()
    assert not [selector for selector in operator_pod_lists(apiserver)
                if selector.startswith("job-name=")]

# In-process: the operator's save_pod_logs against the double, as the operator's account.
PRINTS = "print('the pipeline said this', flush=True)\n"


@pytest.fixture
def finished(apiserver: Any) -> tuple[RunView, JobView, PodView]:
    """A run whose Job's one pod has ended, as the API has them."""
    run = RunView.from_body(run_body("talk", phase="Running", uid="uid-talk"))
    paths = Paths(apiserver.namespace)
    body = job("talk", [sys.executable, "-c", PRINTS], container={"name": CONTAINER_NAME})
    body["spec"]["template"]["metadata"] = {"annotations": {RUN_UID_ANNOTATION: run.uid}}
    assert http(apiserver, "POST", paths.jobs, json=body).status_code == 201

    def ended() -> tuple[JobView, PodView] | None:
        found = http(apiserver, "GET", paths.job("talk")).json()
        pods = http(apiserver, "GET", f"{paths.pods}?labelSelector=job-name%3Dtalk").json()
        if not JobView.from_body(found).pods_counted or not pods["items"] or any(
                pod["status"].get("phase") != "Succeeded" for pod in pods["items"]):
            return None
        return JobView.from_body(found), PodView.from_body(pods["items"][0])
    job_view, pod = wait_until(ended, 30, "the Job's pod to end")
    return run, job_view, pod


def save(apiserver: Any, data_root: Path, run: RunView, watched: list[PodView],
         job_view: JobView | None) -> str | None:
    (data_root / run.project).mkdir(parents=True, exist_ok=True)

    async def main() -> str | None:
        api = KubeApi(operator_connection(apiserver))
        try:
            return await save_pod_logs(api, Paths(apiserver.namespace),
                                       settings_for(data_root), run, "talk", watched, job_view)
        finally:
            await api.close()
    return asyncio.run(main())


def test_the_watched_pod_is_read_by_name(apiserver: Any, data_root: Path,
                                         finished: tuple[RunView, JobView, PodView]) -> None:
    run, job_view, pod = finished
    for job_known in (job_view, None):  # a finished Job's pods, or a gone Job's run's
        assert save(apiserver, data_root, run, [pod], job_known) == ".kubeshowcase/logs/talk.log"
        saved = data_root / run.project / ".kubeshowcase/logs/talk.log"
        assert saved.read_text() == "the pipeline said this\n"
    assert "job-name=talk" not in operator_pod_lists(apiserver)


def test_the_jobs_pods_are_listed_when_the_watch_has_none(
        apiserver: Any, data_root: Path, finished: tuple[RunView, JobView, PodView]) -> None:
    run, job_view, _ = finished
    assert save(apiserver, data_root, run, [], job_view) == ".kubeshowcase/logs/talk.log"
    assert (data_root / run.project / ".kubeshowcase/logs/talk.log").read_text() == (
        "the pipeline said this\n")
    assert operator_pod_lists(apiserver)["job-name=talk"] == 1


def test_a_namesakes_listed_pod_is_not_read(
        apiserver: Any, data_root: Path, finished: tuple[RunView, JobView, PodView]) -> None:
    run, job_view, _ = finished
    newer = RunView.from_body(run_body("talk", phase="Running", uid="uid-a-newer-talk"))
    assert save(apiserver, data_root, newer, [], None) is None
    assert not (data_root / run.project / ".kubeshowcase/logs/talk.log").exists()
    assert operator_pod_lists(apiserver)["job-name=talk"] == 1
