"""Graceful pod deletion as kube-apiserver and the kubelet do it, through the official client and
kubectl: Terminating, SIGTERM only to a main process that handles it (PID 1), SIGKILL at the end
of the grace, the terminal status, then the object goes; force deletion; GC cascades."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from kubernetes import client

from tests.kubedouble.helpers import auth, http, kubectl, process_alive, wait_until

PY = sys.executable
PODS = "/api/v1/namespaces/kubeshowcase/pods"
JOBS = "/apis/batch/v1/namespaces/kubeshowcase/jobs"


def _script(pid_file: Path, handler: bool) -> str:
    """A Python main process that writes its pid and sleeps; with a SIGTERM handler that
    writes TERM beside the pid file and exits 0."""
    lines = ["import os, signal, sys, time"]
    if handler:
        lines += ["def bye(*_):", f"    open({str(pid_file) + '.term'!r}, 'w').write('TERM')",
                  "    sys.exit(0)", "signal.signal(signal.SIGTERM, bye)"]
    lines += [f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))", "time.sleep(120)"]
    return "\n".join(lines)


def _pod(name: str, pid_file: Path, *, handler: bool = False, grace: int | None = None,
         **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"name": name}, "spec": {
        "restartPolicy": "Never", "containers": [
            {"name": "main", "image": "python:3.11",
             "command": [PY, "-c", _script(pid_file, handler)]}], **spec}}
    if grace is not None:
        body["spec"]["terminationGracePeriodSeconds"] = grace
    return body


def _start(handle, body: dict[str, Any], pid_file: Path) -> int:
    response = http(handle, "POST", PODS, json=body)
    assert response.status_code == 201, response.text
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the process"))
    # Running, and the process had time to install its handler (it wrote its pid after).
    wait_until(lambda: http(handle, "GET", f"{PODS}/{body['metadata']['name']}").json()
               .get("status", {}).get("phase") == "Running", 30, "Running")
    return pid


def _gone(handle, name: str) -> bool:
    return http(handle, "GET", f"{PODS}/{name}").status_code == 404


def _watch_until_deleted(handle, name: str, rv: str) -> list[tuple[str, dict]]:
    """The pod's watch events from `rv` up to and including its DELETED event."""
    seen: list[tuple[str, dict]] = []
    with requests.get(f"{handle.url}{PODS}", stream=True, verify=handle.ca_file, timeout=90,
                      headers=auth(handle),
                      params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "60",
                              "fieldSelector": f"metadata.name={name}"}) as stream:
        for line in stream.iter_lines():
            event = json.loads(line)
            seen.append((event["type"], event["object"]))
            if event["type"] == "DELETED":
                return seen
    raise AssertionError(f"no DELETED event for {name}: {[t for t, _ in seen]}")


def _last_status(events: list[tuple[str, dict]]) -> dict:
    modified = [obj for kind, obj in events if kind == "MODIFIED"]
    return modified[-1]["status"]


def test_a_process_without_a_sigterm_handler_lives_for_the_grace_period(apiserver, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file, grace=3), pid_file)
    asked = time.monotonic()
    answer = http(apiserver, "DELETE", f"{PODS}/p")
    assert answer.status_code == 200
    marked = answer.json()
    assert marked["kind"] == "Pod" and marked["metadata"]["deletionGracePeriodSeconds"] == 3
    assert marked["metadata"]["deletionTimestamp"]
    # The object stays, Terminating, while the process (PID 1 without a handler: the SIGTERM
    # is dropped) runs on until the SIGKILL at the end of the grace.
    assert http(apiserver, "GET", f"{PODS}/p").json()["metadata"]["deletionTimestamp"]
    events = _watch_until_deleted(apiserver, "p", marked["metadata"]["resourceVersion"])
    assert time.monotonic() - asked >= 2.5  # a lower bound: the grace was waited out
    assert not process_alive(pid)
    assert not Path(str(pid_file) + ".term").exists()
    status = _last_status(events)
    assert status["phase"] == "Failed"
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "Error")


def test_a_process_with_a_sigterm_handler_exits_at_sigterm(apiserver, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file, handler=True), pid_file)  # grace 30
    answer = http(apiserver, "DELETE", f"{PODS}/p")
    assert answer.json()["metadata"]["deletionGracePeriodSeconds"] == 30
    events = _watch_until_deleted(apiserver, "p", answer.json()["metadata"]["resourceVersion"])
    assert Path(str(pid_file) + ".term").read_text() == "TERM"
    assert not process_alive(pid)
    status = _last_status(events)  # written before the kubelet deletes the pod
    assert status["phase"] == "Succeeded"
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    core = client.CoreV1Api(apiserver.api_client())
    killing = core.list_namespaced_event("kubeshowcase", field_selector="reason=Killing")
    assert [e.message for e in killing.items] == ["Stopping container main"]


def test_a_second_delete_may_only_shorten_the_grace(apiserver, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file), pid_file)
    first = http(apiserver, "DELETE", f"{PODS}/p").json()["metadata"]
    longer = http(apiserver, "DELETE", f"{PODS}/p?gracePeriodSeconds=60").json()["metadata"]
    assert (longer["deletionGracePeriodSeconds"], longer["deletionTimestamp"]) == (
        30, first["deletionTimestamp"])
    shorter = http(apiserver, "DELETE", f"{PODS}/p", json={"gracePeriodSeconds": 2}).json()
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 2
    assert shorter["metadata"]["deletionTimestamp"] < first["deletionTimestamp"]
    # The kubelet follows the shorter grace: long before the first 30 s are over.
    wait_until(lambda: _gone(apiserver, "p"), 20, "the pod to go")
    assert not process_alive(pid)


def test_force_deletion_removes_the_object_while_the_process_still_runs(apiserver, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file), pid_file)
    core = client.CoreV1Api(apiserver.api_client())
    core.delete_namespaced_pod("p", "kubeshowcase", grace_period_seconds=0)
    assert _gone(apiserver, "p")
    # The kubelet still gives the process its minimum grace (2 s) before the SIGKILL.
    assert process_alive(pid)
    wait_until(lambda: not process_alive(pid), 20, "the process to be killed")


def test_unscheduled_and_terminal_pods_go_at_once(apiserver, data_root):
    core = client.CoreV1Api(apiserver.api_client())
    huge = {"metadata": {"name": "huge"}, "spec": {"containers": [
        {"name": "main", "image": "python:3.11", "command": [PY, "-c", "pass"],
         "resources": {"requests": {"cpu": "1000"}}}]}}
    core.create_namespaced_pod("kubeshowcase", huge)
    wait_until(lambda: core.read_namespaced_pod("huge", "kubeshowcase").status.conditions, 30,
               "the scheduler's verdict")
    core.delete_namespaced_pod("huge", "kubeshowcase")
    assert _gone(apiserver, "huge")
    done = {"metadata": {"name": "done"}, "spec": {"restartPolicy": "Never", "containers": [
        {"name": "main", "image": "python:3.11", "command": [PY, "-c", "pass"]}]}}
    core.create_namespaced_pod("kubeshowcase", done)
    wait_until(lambda: core.read_namespaced_pod("done", "kubeshowcase").status.phase ==
               "Succeeded", 30, "the pod to complete")
    core.delete_namespaced_pod("done", "kubeshowcase")
    assert _gone(apiserver, "done")


def test_dry_run_deletion_changes_nothing(apiserver, data_root):
    pid_file = data_root / "pid"
    _start(apiserver, _pod("p", pid_file), pid_file)
    answer = http(apiserver, "DELETE", f"{PODS}/p?dryRun=All")
    assert answer.status_code == 200 and answer.json()["metadata"]["deletionTimestamp"]
    assert "deletionTimestamp" not in http(apiserver, "GET", f"{PODS}/p").json()["metadata"]


def test_kubectl_shows_terminating_and_waits_for_the_pod(apiserver, kube_env, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file, grace=3), pid_file)
    kubectl(kube_env, "delete", "pod", "p", "--wait=false")
    listed = kubectl(kube_env, "get", "pods").stdout.splitlines()
    assert listed[1].split()[:3] == ["p", "1/1", "Terminating"]
    # `kubectl delete` (wait on by default) returns once the pod is gone.
    deleted = kubectl(kube_env, "delete", "pod", "p")
    assert deleted.stdout.strip() == 'pod "p" deleted from kubeshowcase namespace'
    assert _gone(apiserver, "p") and not process_alive(pid)


def test_kubectl_force_delete_is_immediate(apiserver, kube_env, data_root):
    pid_file = data_root / "pid"
    pid = _start(apiserver, _pod("p", pid_file), pid_file)
    forced = kubectl(kube_env, "delete", "pod", "p", "--grace-period=0", "--force")
    assert "Immediate deletion does not wait" in forced.stderr
    assert 'pod "p" force deleted' in forced.stdout
    assert _gone(apiserver, "p")
    wait_until(lambda: not process_alive(pid), 20, "the process to be killed")


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_a_job_cascade_takes_the_pods_grace(apiserver, data_root, policy):
    pid_file = data_root / "pid"
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"backoffLimit": 0, "template": _pod("unused", pid_file, grace=3)}}
    del body["spec"]["template"]["metadata"]
    assert http(apiserver, "POST", JOBS, json=body).status_code == 201
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the process"))
    batch = client.BatchV1Api(apiserver.api_client())
    batch.delete_namespaced_job("j", "kubeshowcase", propagation_policy=policy)
    [pod] = wait_until(lambda: [p for p in http(apiserver, "GET", PODS).json()["items"]
                                if p["metadata"].get("deletionTimestamp")], 10,
                       "the collector to delete the pod")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 3 and process_alive(pid)
    job_there = http(apiserver, "GET", f"{JOBS}/j").status_code == 200
    # Foreground: the Job waits for its pod (blockOwnerDeletion); Background: it went first.
    assert job_there == (policy == "Foreground")
    wait_until(lambda: http(apiserver, "GET", f"{JOBS}/j").status_code == 404
               and http(apiserver, "GET", PODS).json()["items"] == [], 20, "job and pod gone")
    assert not process_alive(pid)


def test_a_job_deleted_without_a_policy_orphans_its_running_pod(apiserver, data_root):
    pid_file = data_root / "pid"
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"template": _pod("unused", pid_file, grace=3)}}
    del body["spec"]["template"]["metadata"]
    http(apiserver, "POST", JOBS, json=body)
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the process"))
    client.BatchV1Api(apiserver.api_client()).delete_namespaced_job("j", "kubeshowcase")
    wait_until(lambda: http(apiserver, "GET", f"{JOBS}/j").status_code == 404, 10, "job gone")
    [pod] = http(apiserver, "GET", PODS).json()["items"]
    assert "ownerReferences" not in pod["metadata"]
    assert "deletionTimestamp" not in pod["metadata"] and process_alive(pid)


def test_a_pod_lost_in_a_restart_of_the_double_can_still_be_deleted(tmp_path, data_root):
    from kubedouble.testing import start_apiserver
    from tests.fixtures.apiserver import node_images

    state, crashed, pid_file = tmp_path / "state.json", tmp_path / "crashed.json", data_root / "pid"
    always = _pod("p", pid_file)
    always["spec"]["restartPolicy"] = "Always"
    with start_apiserver(crd_dir=None, volumes={}, tmp_dir=tmp_path / "first", state_file=state,
                         images=node_images()) as first:
        _start(first, always, pid_file)
        # The state as the autosave left it while the container ran: a double that died then.
        wait_until(lambda: state.exists() and '"running":{' in state.read_text(), 10, "autosave")
        crashed.write_text(state.read_text())
    with start_apiserver(crd_dir=None, volumes={}, tmp_dir=tmp_path / "second",
                         state_file=crashed, images=node_images()) as second:
        wait_until(lambda: "terminated" in http(second, "GET", f"{PODS}/p").json()["status"][
            "containerStatuses"][0]["state"], 30, "the container reported lost")
        assert http(second, "DELETE", f"{PODS}/p").status_code == 200
        # Nothing of it runs on this node any more: the kubelet ends it and deletes it.
        wait_until(lambda: _gone(second, "p"), 20, "the lost pod to go")
