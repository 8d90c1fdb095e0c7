"""The Job controller over time, through the official client (BatchV1Api): the pod failure
backoff, podFailurePolicy rules, podReplacementPolicy with terminating pods, suspend and
resume, and a TTL set after the Job finished.

Sources: https://kubernetes.io/docs/concepts/workloads/controllers/job/ and
pkg/controller/job/job_controller.go (syncJob, manageJob), backoff_utils.go,
pkg/controller/ttlafterfinished/ttlafterfinished_controller.go.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kubedouble.jobcontroller import JobControllerSettings
from tests.kubedouble.helpers import http, job, process_alive, sleeper, wait_until

PY = sys.executable
NS = "kubeshowcase"
PODS = f"/api/v1/namespaces/{NS}/pods"
HOLD = "example.com/hold"
DISRUPTION = {"rules": [{"action": "Ignore", "onPodConditions": [
    {"type": "DisruptionTarget", "status": "True"}]}]}


@pytest.fixture
def job_controller_settings(request: pytest.FixtureRequest) -> JobControllerSettings:
    return getattr(request, "param", JobControllerSettings(pod_failure_backoff_seconds=0.2,
                                                           pod_failure_backoff_max_seconds=1.0))


@pytest.fixture
def batch(kube_client: Any) -> client.BatchV1Api:
    return client.BatchV1Api(kube_client)


@pytest.fixture
def core(kube_client: Any) -> client.CoreV1Api:
    return client.CoreV1Api(kube_client)


# Pods that ignore SIGTERM (a Python PID 1 without a handler) go at the end of their grace
# period: 2 s (the double's least, as a real node's) rather than 30, to keep the tests short.
SHORT_GRACE = {"terminationGracePeriodSeconds": 2}

def once_then(marker: Path, first: str, then: str = "") -> str:
    """Python code that runs `first` on its first run (leaving `marker`), `then` after."""
    return (f"import os, sys, time\nif not os.path.exists({str(marker)!r}):\n"
            f"    open({str(marker)!r}, 'w').close()\n    {first}\n{then or 'pass'}\n")


def pods_of(core: client.CoreV1Api, name: str) -> list[Any]:
    found = core.list_namespaced_pod(NS, label_selector=f"job-name={name}").items
    return sorted(found, key=lambda p: p.metadata.creation_timestamp)


def conditions(batch: client.BatchV1Api, name: str) -> list[tuple[str, str, str | None]]:
    status = batch.read_namespaced_job_status(name, NS).status
    return [(c.type, c.status, c.reason) for c in status.conditions or []]


def finished(batch: client.BatchV1Api, name: str, timeout: float = 60) -> Any:
    def check() -> Any:
        found = batch.read_namespaced_job_status(name, NS)
        kinds = {c.type for c in found.status.conditions or [] if c.status == "True"}
        return found if kinds & {"Complete", "Failed"} else None
    return wait_until(check, timeout, f"job {name} to finish")


def job_events(core: client.CoreV1Api, name: str) -> list[tuple[str, str]]:
    items = core.list_namespaced_event(
        NS, field_selector=f"involvedObject.name={name},involvedObject.kind=Job").items
    return [(e.reason, e.message) for e in items]


def hold_and_delete(core: client.CoreV1Api, pod: Any) -> None:
    """Delete the pod while a finalizer of ours keeps it (Terminating) until release()."""
    core.patch_namespaced_pod(pod.metadata.name, NS, {"metadata": {
        "finalizers": [*pod.metadata.finalizers, HOLD]}})
    core.delete_namespaced_pod(pod.metadata.name, NS)


def release(core: client.CoreV1Api, name: str) -> None:
    current = core.read_namespaced_pod(name, NS)
    kept = [f for f in current.metadata.finalizers or [] if f != HOLD]
    core.patch_namespaced_pod(name, NS, {"metadata": {"finalizers": kept or None}})


def add_condition(core: client.CoreV1Api, name: str, added: client.V1PodCondition) -> None:
    """Write one more pod condition (the kubelet may write between our read and write)."""
    for _ in range(20):
        pod = core.read_namespaced_pod(name, NS)
        pod.status.conditions.append(added)
        try:
            core.replace_namespaced_pod_status(name, NS, pod)
            return
        except client.ApiException as problem:
            if problem.status != 409:
                raise
    raise AssertionError("the pod status kept changing")


def still_terminating(pod: Any) -> bool:
    return pod.metadata.deletion_timestamp is not None and pod.status.phase not in (
        "Succeeded", "Failed")


def running_pod(core: client.CoreV1Api, name: str) -> Any:
    return wait_until(lambda: next((p for p in pods_of(core, name)
                                    if p.status.phase == "Running"), None), 30, "a running pod")


def test_the_default_backoff_is_the_real_controllers():
    assert JobControllerSettings() == JobControllerSettings(10.0, 360.0)


@pytest.mark.parametrize("job_controller_settings", [JobControllerSettings(1.0, 4.0)],
                         indirect=True)
def test_replacements_wait_out_a_doubling_backoff(apiserver, batch, core):
    batch.create_namespaced_job(NS, job("flaky", [PY, "-c", "raise SystemExit(1)"],
                                        backoff_limit=3))
    done = finished(batch, "flaky")
    assert done.status.failed == 4
    pods = pods_of(core, "flaky")
    assert len(pods) == 4
    ends = [p.status.container_statuses[0].state.terminated.finished_at for p in pods]
    starts = [p.metadata.creation_timestamp for p in pods]
    gaps = [(start - end).total_seconds() for end, start in zip(ends, starts[1:], strict=False)]
    # 1 s, 2 s, 4 s after each failure (timestamps are whole seconds, as the API's).
    assert gaps[0] >= 1 and gaps[1] >= 2 and gaps[2] >= 4, gaps


@pytest.mark.parametrize("job_controller_settings", [JobControllerSettings()], indirect=True)
def test_by_default_no_replacement_comes_within_ten_seconds(apiserver, batch, core):
    batch.create_namespaced_job(NS, job("slowretry", [PY, "-c", "raise SystemExit(1)"],
                                        backoff_limit=1))
    first = wait_until(lambda: [p for p in pods_of(core, "slowretry")
                                if p.status.phase == "Failed"], 30, "the first failure")[0]
    failed_at = first.status.container_statuses[0].state.terminated.finished_at
    time.sleep(max(0.0, 8 - (datetime.now(failed_at.tzinfo) - failed_at).total_seconds()))
    assert len(pods_of(core, "slowretry")) == 1
    second = wait_until(lambda: pods_of(core, "slowretry")[1:], 30, "the replacement")[0]
    assert (second.metadata.creation_timestamp - failed_at).total_seconds() >= 10


def test_a_fail_job_rule_fails_at_once(apiserver, batch, core):
    policy = {"rules": [{"action": "FailJob",
                         "onExitCodes": {"operator": "In", "values": [42]}}]}
    batch.create_namespaced_job(NS, job("fatal", [PY, "-c", "raise SystemExit(42)"],
                                        backoff_limit=6, podFailurePolicy=policy))
    done = finished(batch, "fatal")
    [pod] = pods_of(core, "fatal")
    message = (f"Container main for pod {NS}/{pod.metadata.name} failed with exit code 42 "
               "matching FailJob rule at index 0")
    assert [(c.type, c.reason, c.message) for c in done.status.conditions] == [
        ("FailureTarget", "PodFailurePolicy", message), ("Failed", "PodFailurePolicy", message)]
    assert ("PodFailurePolicy", message) in job_events(core, "fatal")


def test_an_ignored_exit_code_is_retried_without_counting(apiserver, batch, core, data_root):
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}
    script = once_then(data_root / "tried", "sys.exit(3)")
    batch.create_namespaced_job(NS, job("lenient", [PY, "-c", script], backoff_limit=0,
                                        podFailurePolicy=policy))
    done = finished(batch, "lenient")
    assert conditions(batch, "lenient")[-1] == ("Complete", "True", "CompletionsReached")
    assert (done.status.succeeded, done.status.failed) == (1, None)
    assert sorted(p.status.phase for p in pods_of(core, "lenient")) == ["Failed", "Succeeded"]


def test_an_evicted_pod_is_ignored_and_replaced(apiserver, batch, core, data_root):
    # As the eviction API or the taint manager does: DisruptionTarget, then the pod ends.
    trigger = data_root / "evicted"
    script = once_then(data_root / "ran", f"while not os.path.exists({str(trigger)!r}): "
                                          "time.sleep(0.1)\n    sys.exit(137)")
    batch.create_namespaced_job(NS, job("evictable", [PY, "-c", script], backoff_limit=0,
                                        podFailurePolicy=DISRUPTION))
    pod = running_pod(core, "evictable")
    add_condition(core, pod.metadata.name, client.V1PodCondition(
        type="DisruptionTarget", status="True", reason="EvictionByEvictionAPI",
        message="Eviction API: evicting"))
    trigger.touch()
    done = finished(batch, "evictable")
    assert conditions(batch, "evictable")[-1][0] == "Complete" and done.status.failed is None
    first = core.read_namespaced_pod(pod.metadata.name, NS)
    assert first.status.phase == "Failed"
    assert ("DisruptionTarget", "True") in [(c.type, c.status) for c in first.status.conditions]


def test_terminating_pods_are_replaced_at_once_without_a_failure_policy(apiserver, batch, core,
                                                                        data_root):
    script = once_then(data_root / "ran", "time.sleep(120)")
    batch.create_namespaced_job(NS, job("eager", [PY, "-c", script], backoff_limit=1,
                                        pod=SHORT_GRACE))
    first = running_pod(core, "eager")
    hold_and_delete(core, first)
    # TerminatingOrFailed: a pod being deleted counts as failed and is replaced meanwhile.
    wait_until(lambda: len(pods_of(core, "eager")) == 2, 30, "a replacement")
    status = batch.read_namespaced_job_status("eager", NS).status
    assert status.failed == 1 and status.terminating in (0, 1)
    release(core, first.metadata.name)
    finished(batch, "eager")
    assert conditions(batch, "eager")[-1][0] == "Complete"


def test_with_a_failure_policy_only_failed_pods_are_replaced(apiserver, batch, core, data_root):
    pid_file = data_root / "pid"
    script = once_then(data_root / "ran", sleeper(pid_file).replace("; ", "\n    "))
    batch.create_namespaced_job(NS, job("patient", [PY, "-c", script], backoff_limit=1,
                                        podFailurePolicy=DISRUPTION))
    first = running_pod(core, "patient")
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the pid"))
    hold_and_delete(core, first)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        pods = pods_of(core, "patient")
        status = batch.read_namespaced_job_status("patient", NS).status
        again = core.read_namespaced_pod(first.metadata.name, NS)
        if still_terminating(again):  # then it was terminating when the Job was read
            assert len(pods) == 1 and not status.active and status.terminating == 1
        time.sleep(0.2)
    release(core, first.metadata.name)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # what the kubelet does to a pod being deleted
    finished(batch, "patient")
    assert conditions(batch, "patient")[-1][0] == "Complete"
    assert batch.read_namespaced_job_status("patient", NS).status.failed == 1


def test_a_failed_job_waits_for_its_terminating_pods(apiserver, batch, core, data_root):
    pid_file = data_root / "pid"
    batch.create_namespaced_job(NS, job("held", [PY, "-c", sleeper(pid_file)], pod=SHORT_GRACE))
    first = running_pod(core, "held")
    hold_and_delete(core, first)
    wait_until(lambda: ("FailureTarget", "True", "BackoffLimitExceeded") in conditions(
        batch, "held"), 30, "FailureTarget")
    pod = core.read_namespaced_pod(first.metadata.name, NS)
    kinds = [c[0] for c in conditions(batch, "held")]
    if still_terminating(core.read_namespaced_pod(first.metadata.name, NS)):
        assert "Failed" not in kinds and pod.metadata.deletion_timestamp is not None
    release(core, first.metadata.name)
    done = finished(batch, "held")
    assert [c.type for c in done.status.conditions] == ["FailureTarget", "Failed"]
    assert done.status.terminating == 0 and done.status.failed == 1
    wait_until(lambda: not process_alive(int(pid_file.read_text())), 30, "the process to end")


def test_suspend_deletes_the_pods_and_resume_starts_again(apiserver, batch, core, data_root):
    pid_file = data_root / "pid"
    script = once_then(data_root / "ran", sleeper(pid_file).replace("; ", "\n    "))
    batch.create_namespaced_job(NS, job("pausable", [PY, "-c", script], pod=SHORT_GRACE,
                                        activeDeadlineSeconds=600))
    running_pod(core, "pausable")
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the pid"))
    started = batch.read_namespaced_job_status("pausable", NS).status.start_time
    batch.patch_namespaced_job("pausable", NS, {"spec": {"suspend": True}})
    # The pipeline ignores SIGTERM (PID 1 without a handler): it goes at the end of its grace.
    wait_until(lambda: pods_of(core, "pausable") == [], 20, "the pod to be deleted")
    assert not process_alive(pid)
    assert conditions(batch, "pausable") == [("Suspended", "True", "JobSuspended")]
    status = batch.read_namespaced_job_status("pausable", NS).status
    assert not status.active and status.failed is None and status.start_time == started
    time.sleep(1.1)
    batch.patch_namespaced_job("pausable", NS, {"spec": {"suspend": False}})
    done = finished(batch, "pausable")
    assert [(c.type, c.status, c.reason, c.message) for c in done.status.conditions][:1] == [
        ("Suspended", "False", "JobResumed", "Job resumed")]
    assert done.status.start_time > started  # activeDeadlineSeconds counts from the resume
    assert [r for r, _ in job_events(core, "pausable")] == [
        "SuccessfulCreate", "SuccessfulDelete", "Suspended", "SuccessfulCreate", "Resumed",
        "Completed"]


def test_a_ttl_set_after_the_finish_still_deletes_the_job(apiserver, batch, core):
    batch.create_namespaced_job(NS, job("kept", [PY, "-c", "pass"]))
    finished(batch, "kept")
    time.sleep(1.5)
    assert batch.read_namespaced_job("kept", NS).metadata.deletion_timestamp is None
    batch.patch_namespaced_job("kept", NS, {"spec": {"ttlSecondsAfterFinished": 1}})
    wait_until(lambda: http(apiserver, "GET", f"/apis/batch/v1/namespaces/{NS}/jobs/kept")
               .status_code == 404, 30, "the job to expire")
    assert pods_of(core, "kept") == []  # deleted in the foreground, its pods first
