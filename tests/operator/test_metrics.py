"""The operator's /metrics, scraped from the real operator and read with the official parser."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kubedouble.faults import FaultRule
from kubeshowcase_operator.metrics import request_labels
from tests.fixtures.operator import KscCluster, wait_until
from tests.scrape import free_port, scrape, value, wait_for, wait_for_value

DISPATCH = "kubeshowcase_operator_dispatch_latency_seconds_count"
DURATION = "kubeshowcase_operator_run_duration_seconds_count"
ERRORS = "kubeshowcase_operator_api_errors_total"
RETRIES = "kubeshowcase_operator_api_retries_total"
LEADER = "kubeshowcase_operator_leader"


def started_with_metrics(operator_factory, **settings: str) -> str:
    port = free_port()
    operator_factory(METRICS_PORT=str(port), **settings)
    url = f"http://127.0.0.1:{port}/metrics"
    wait_for_value(url, LEADER, lambda found: found == 1.0)
    return url


def use_pipeline(ksc: KscCluster, script: Path, name: str = "test") -> None:
    ksc.project()
    ksc.create_pipeline(name, command=[sys.executable, str(script)])


@pytest.mark.parametrize(("method", "path", "labels"), [
    ("POST", "/apis/batch/v1/namespaces/ns/jobs", ("create", "jobs")),
    ("GET", "/apis/batch/v1/namespaces/ns/jobs/run-1", ("get", "jobs")),
    ("GET", "/api/v1/namespaces/ns/pods", ("list", "pods")),
    ("GET", "/api/v1/namespaces/ns/pods/run-1-x/log", ("get", "pods/log")),
    ("PATCH", "/apis/kubeshowcase.io/v1alpha1/namespaces/ns/pipelineruns/r/status",
     ("patch", "pipelineruns/status")),
    ("PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", ("update", "leases")),
    ("DELETE", "/api/v1/namespaces/ns/pods/p", ("delete", "pods")),
])
def test_requests_are_labelled_as_the_api_server_names_them(method, path, labels) -> None:
    assert request_labels(method, path) == labels


def test_a_run_dispatched_and_finished_is_counted_with_its_pipeline(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    use_pipeline(ksc, pipeline_script, "segment")
    url = started_with_metrics(operator_factory)
    before = scrape(url)
    assert value(before, DISPATCH, pipeline="segment") is None

    ksc.create_run("run-1", pipeline="segment", args={"sleep": 1})
    status = ksc.wait_phase("run-1", "Succeeded", "Failed")
    assert status["phase"] == "Succeeded"

    samples = wait_for_value(url, DURATION, lambda found: found == 1.0, pipeline="segment",
                             phase="Succeeded")
    assert value(samples, DISPATCH, pipeline="segment") == 1.0
    # The run slept a second: its recorded duration is at least that, and under the timeout.
    total = value(samples, "kubeshowcase_operator_run_duration_seconds_sum", pipeline="segment")
    assert 1.0 <= total < 30.0
    assert value(samples, DURATION, pipeline="segment", phase="Failed") is None


def test_queued_and_running_runs_are_gauged_by_pipeline(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    use_pipeline(ksc, pipeline_script)
    release = tmp_path / "release"
    url = started_with_metrics(operator_factory)  # one run at a time
    for name in ("run-1", "run-2", "run-3"):
        ksc.create_run(name, args={"hold_file": str(release)})

    wait_for(url, lambda samples: (
        value(samples, "kubeshowcase_operator_queued_runs", pipeline="test") == 2.0
        and value(samples, "kubeshowcase_operator_running_runs", pipeline="test") == 1.0),
        what="two runs queued, one running")
    release.touch()
    for name in ("run-1", "run-2", "run-3"):
        ksc.wait_phase(name, "Succeeded", timeout=60)
    samples = wait_for_value(url, "kubeshowcase_operator_running_runs",
                             lambda found: found is None, pipeline="test")
    assert value(samples, "kubeshowcase_operator_queued_runs", pipeline="test") is None
    assert value(samples, DISPATCH, pipeline="test") == 3.0


def test_an_error_injected_at_the_api_is_counted_and_retried(
        operator_factory, apiserver, ksc: KscCluster, pipeline_script: Path) -> None:
    use_pipeline(ksc, pipeline_script)
    url = started_with_metrics(operator_factory)
    apiserver.faults.add(FaultRule(path=r"/jobs$", method="POST", status=503, times=2))
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Succeeded", "Failed")["phase"] == "Succeeded"

    samples = scrape(url)
    assert value(samples, ERRORS, verb="create", resource="jobs", code="503") == 2.0
    assert value(samples, RETRIES, verb="create", resource="jobs", code="503") == 2.0
    assert value(samples, ERRORS, verb="create", resource="jobs", code="403") is None


def test_a_refused_write_is_an_error_without_a_retry(
        operator_factory, apiserver, ksc: KscCluster, pipeline_script: Path) -> None:
    use_pipeline(ksc, pipeline_script)
    url = started_with_metrics(operator_factory)
    apiserver.faults.add(FaultRule(path=r"/jobs$", method="POST", status=403, times=1))
    ksc.create_run("run-1")
    assert ksc.wait_phase("run-1", "Failed")["reason"] == "JobRejected"
    samples = scrape(url)
    assert value(samples, ERRORS, verb="create", resource="jobs", code="403") == 1.0
    assert value(samples, RETRIES, verb="create", resource="jobs") is None


def test_only_the_leader_says_it_leads_and_gauges_the_queue(
        operator_factory, ksc: KscCluster, pipeline_script: Path, tmp_path: Path) -> None:
    use_pipeline(ksc, pipeline_script)
    leader_url = started_with_metrics(operator_factory)
    standby_port = free_port()
    standby = operator_factory(METRICS_PORT=str(standby_port))
    standby_url = f"http://127.0.0.1:{standby_port}/metrics"
    wait_for_value(standby_url, LEADER, lambda found: found == 0.0)
    ksc.create_run("run-1", args={"hold_file": str(tmp_path / "release")})
    wait_for_value(leader_url, "kubeshowcase_operator_running_runs", lambda found: found == 1.0,
                   pipeline="test")
    standby_samples = scrape(standby_url)
    assert value(standby_samples, LEADER) == 0.0
    assert value(standby_samples, "kubeshowcase_operator_running_runs") is None
    assert standby.alive
    (tmp_path / "release").touch()
    ksc.wait_phase("run-1", "Succeeded")


def test_no_port_no_server(operator_factory, ksc: KscCluster) -> None:
    handle = operator_factory()
    wait_until(lambda: ksc.lease_holder() == "operator-0", 30, "the operator to lead")
    assert "metrics" not in handle.log.lower()
