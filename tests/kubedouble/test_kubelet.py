"""The scheduler and kubelet over time: what a watcher sees, retries, rotation, log streams."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import pytest
import requests

from kubedouble.images import Image
from kubedouble.scheduler import NodeCapacity
from kubedouble.testing import start_apiserver
from tests.fixtures.apiserver import node_images
from tests.kubedouble.helpers import auth, http, wait_until

PODS = "/api/v1/namespaces/kubeshowcase/pods"
EVENTS = "/api/v1/namespaces/kubeshowcase/events"


def _pod(name: str, command: list[str] | None, image: str = "python:3.11",
         **container: object) -> dict:
    main = {"name": "main", "image": image, **container}
    if command is not None:
        main["command"] = command
    return {"metadata": {"name": name}, "spec": {"restartPolicy": "Never", "containers": [main]}}


def _create(handle, body) -> dict:
    response = http(handle, "POST", PODS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _get(handle, name) -> dict:
    return http(handle, "GET", f"{PODS}/{name}").json()


def _stage(pod: dict) -> tuple:
    """(phase, bound?, the container's state and reason) — what `kubectl get pods` shows."""
    status = pod.get("status") or {}
    [container] = status.get("containerStatuses") or [{}]
    state = container.get("state") or {}
    kind = next(iter(state), None)
    reason = (state.get(kind) or {}).get("reason") if kind else None
    return status.get("phase"), bool(pod["spec"].get("nodeName")), kind, reason


def _reasons(handle, name) -> list[str]:
    items = http(handle, "GET", f"{EVENTS}?fieldSelector=involvedObject.name%3D{name}").json()
    return [e["reason"] for e in sorted(items["items"], key=lambda e: e["metadata"]["name"])]


def test_a_watcher_sees_the_pod_go_through_the_kubelets_stages(apiserver):
    seen: list[tuple] = []
    stream = requests.get(f"{apiserver.url}{PODS}?watch=true&fieldSelector=metadata.name%3Dw",
                          headers=auth(apiserver), verify=apiserver.ca_file, stream=True,
                          timeout=60)

    def read() -> None:
        for line in stream.iter_lines():
            event = json.loads(line)
            seen.append(_stage(event["object"]))
            if event["object"]["status"].get("phase") in ("Succeeded", "Failed"):
                return
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    _create(apiserver, _pod("w", [sys.executable, "-c", "import time; time.sleep(0.5)"]))
    reader.join(60)
    stream.close()
    stages = [s for n, s in enumerate(seen) if n == 0 or s != seen[n - 1]]
    assert stages == [
        ("Pending", False, None, None),  # created
        ("Pending", True, None, None),  # bound by the scheduler
        ("Pending", True, "waiting", "ContainerCreating"),  # the kubelet took it on
        ("Running", True, "running", None),
        ("Succeeded", True, "terminated", "Completed"),
    ]
    assert _reasons(apiserver, "w") == ["Scheduled", "Pulled", "Created", "Started"]


def test_a_pod_in_image_pull_back_off_starts_once_the_image_is_there(apiserver):
    _create(apiserver, _pod("late", None, image="example/late:1"))
    wait_until(lambda: _stage(_get(apiserver, "late"))[3] == "ImagePullBackOff", 30,
               "ImagePullBackOff")
    assert _reasons(apiserver, "late")[:6] == ["Scheduled", "Pulling", "Failed", "Failed",
                                               "BackOff", "Failed"]
    apiserver.add_image("example/late:1", Image.of(
        entrypoint=[sys.executable, "-c"], cmd=["print('late but there')"]))
    wait_until(lambda: _get(apiserver, "late")["status"]["phase"] == "Succeeded", 60,
               "the next pull to find the image (the back-off is 10 s)")
    assert http(apiserver, "GET", f"{PODS}/late/log").text == "late but there\n"


def test_an_unschedulable_pod_is_bound_once_room_is_freed(tmp_path):
    with start_apiserver(crd_dir=None, volumes={}, tmp_dir=tmp_path, images=node_images(),
                         node=NodeCapacity(cpu="1", memory="1Gi")) as handle:
        big = {"resources": {"requests": {"cpu": "600m"}}}
        _create(handle, _pod("first", ["sleep", "60"], image="busybox:1.36", **big))
        wait_until(lambda: _stage(_get(handle, "first"))[0] == "Running", 30, "first to run")
        _create(handle, _pod("second", ["true"], image="busybox:1.36", **big))
        message = wait_until(lambda: next((c.get("message") for c in _get(handle, "second")[
            "status"].get("conditions") or [] if c.get("reason") == "Unschedulable"), None), 30,
            "second to be unschedulable")
        assert message == ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes "
                           "are available: 1 No preemption victims found for incoming pod.")
        assert _reasons(handle, "second") == ["FailedScheduling"]
        # first's sleep (PID 1, no SIGTERM handler) holds its cpu until the SIGKILL: a short grace.
        http(handle, "DELETE", f"{PODS}/first?gracePeriodSeconds=1")
        wait_until(lambda: _get(handle, "second")["status"].get("phase") == "Succeeded", 30,
                   "second to be scheduled and run")
        conditions = {c["type"]: c["status"] for c in _get(handle, "second")["status"][
            "conditions"]}
        assert conditions["PodScheduled"] == "True"


def test_each_container_log_keeps_only_its_newest_part(tmp_path):
    with start_apiserver(crd_dir=None, volumes={}, tmp_dir=tmp_path, images=node_images(),
                         container_log_max_bytes=1000) as handle:
        script = "for n in range(1000): print(f'line {n:04d}')"
        _create(handle, _pod("chatty", [sys.executable, "-c", script]))
        wait_until(lambda: _get(handle, "chatty")["status"].get("phase") == "Succeeded", 30,
                   "the pod to finish")
        text = http(handle, "GET", f"{PODS}/chatty/log").text
        assert len(text) <= 1000 and text.endswith("line 0999\n")
        assert text.splitlines()[0] == f"line {1000 - len(text) // 10:04d}"


def test_follow_streams_with_timestamps_until_the_container_ends(apiserver):
    script = "import time\nfor n in range(3):\n    print(n, flush=True); time.sleep(0.2)\n"
    _create(apiserver, _pod("stream", [sys.executable, "-c", script]))
    wait_until(lambda: _stage(_get(apiserver, "stream"))[2] in ("running", "terminated"), 30,
               "the container to start")
    followed = requests.get(f"{apiserver.url}{PODS}/stream/log?follow=true&timestamps=true",
                            headers=auth(apiserver), verify=apiserver.ca_file, timeout=60).text
    lines = followed.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["0", "1", "2"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", line) for line in lines)


@pytest.mark.parametrize("volume", [
    {"configMap": {"name": "settings"}},
    {"projected": {"sources": [{"configMap": {"name": "settings"}}]}},
])
def test_a_pod_waits_for_its_config_map_and_then_runs(apiserver, volume):
    mount = {"volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}]}
    body = _pod("cfg", [sys.executable, "-c", "import sys; print(open(sys.argv[1]).read())",
                        "/etc/app/mode"], **mount)
    body["spec"]["volumes"] = [{"name": "cfg", **volume}]
    _create(apiserver, body)
    wait_until(lambda: "FailedMount" in _reasons(apiserver, "cfg"), 30, "FailedMount")
    assert _stage(_get(apiserver, "cfg")) == ("Pending", True, "waiting", "ContainerCreating")
    response = http(apiserver, "GET", f"{PODS}/cfg/log")
    assert response.status_code == 400 and response.json()["message"] == (
        'container "main" in pod "cfg" is waiting to start: ContainerCreating')
    http(apiserver, "POST", "/api/v1/namespaces/kubeshowcase/configmaps",
         json={"metadata": {"name": "settings"}, "data": {"mode": "fast"}})
    wait_until(lambda: _get(apiserver, "cfg")["status"]["phase"] == "Succeeded", 30,
               "the retried mount and the run")
    assert http(apiserver, "GET", f"{PODS}/cfg/log").text == "fast\n"


def test_the_reference_image_runs_its_own_command(apiserver, data_root: Path):
    # No command, no args: the Dockerfile's CMD (python -m nuclei_segmentation) with its
    # ENV PYTHONPATH=/app; the pipeline then complains about the missing handshake files.
    from tests.fixtures.apiserver import reference_image

    (data_root / "p").mkdir()
    body = _pod("ref", None, image=reference_image(), workingDir="/project",
                volumeMounts=[{"name": "d", "mountPath": "/project", "subPath": "p"}])
    body["spec"]["volumes"] = [{"name": "d",
                                "persistentVolumeClaim": {"claimName": "kubeshowcase-data"}}]
    _create(apiserver, body)
    wait_until(lambda: _get(apiserver, "ref")["status"]["phase"] in ("Succeeded", "Failed"), 60,
               "the pipeline to end")
    project = (data_root / "p").resolve()
    assert http(apiserver, "GET", f"{PODS}/ref/log").text == (
        f"nuclei: error: the run id file {project}/.kubeshowcase/run_id does not exist\n")
    terminated = _get(apiserver, "ref")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 2


def test_init_containers_run_first_one_at_a_time(apiserver, data_root: Path):
    journal = data_root / "order"
    write = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"

    def step(name: str) -> dict:
        return {"name": name, "image": "python:3.11",
                "command": [sys.executable, "-c", write, str(journal), name]}
    body = {"metadata": {"name": "init"}, "spec": {
        "restartPolicy": "Never", "initContainers": [step("first"), step("second")],
        "containers": [step("main")]}}
    _create(apiserver, body)
    wait_until(lambda: _get(apiserver, "init")["status"].get("phase") == "Succeeded", 30,
               "the pod to finish")
    assert journal.read_text().split() == ["first", "second", "main"]
    status = _get(apiserver, "init")["status"]
    assert [s["state"]["terminated"]["reason"] for s in status["initContainerStatuses"]] == [
        "Completed", "Completed"]


def test_a_failed_init_container_fails_the_pod(apiserver):
    body = {"metadata": {"name": "badinit"}, "spec": {
        "restartPolicy": "Never",
        "initContainers": [{"name": "setup", "image": "python:3.11",
                            "command": [sys.executable, "-c", "raise SystemExit(4)"]}],
        "containers": [{"name": "main", "image": "python:3.11", "command": ["true"]}]}}
    _create(apiserver, body)
    wait_until(lambda: _get(apiserver, "badinit")["status"].get("phase") == "Failed", 30,
               "the pod to fail")
    status = _get(apiserver, "badinit")["status"]
    assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 4
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    initialized = next(c for c in status["conditions"] if c["type"] == "Initialized")
    assert (initialized["status"], initialized["message"]) == (
        "False", "containers with incomplete status: [setup]")


def test_the_kubelet_and_scheduler_write_as_themselves(apiserver):
    _create(apiserver, _pod("who", ["true"], image="busybox:1.36"))
    wait_until(lambda: _get(apiserver, "who")["status"].get("phase") == "Succeeded", 30,
               "the pod to finish")
    managers = {(m["manager"], m.get("subresource")) for m in
                _get(apiserver, "who")["metadata"]["managedFields"]}
    assert {("kube-scheduler", "binding"), ("kubelet", "status")} <= managers


def test_an_empty_dir_lives_as_long_as_its_pod(apiserver, tmp_path: Path):
    script = "import sys; open(sys.argv[1] + '/f', 'w').write('x')"
    body = _pod("scratch", [sys.executable, "-c", script, "/scratch"],
                volumeMounts=[{"name": "s", "mountPath": "/scratch"}])
    body["spec"]["volumes"] = [{"name": "s", "emptyDir": {}}]
    uid = _create(apiserver, body)["metadata"]["uid"]
    wait_until(lambda: _get(apiserver, "scratch")["status"].get("phase") == "Succeeded", 30,
               "the pod to finish")
    written = tmp_path / "kubedouble" / "scratch" / "volumes" / uid / "s" / "f"
    assert written.read_text() == "x"
    http(apiserver, "DELETE", f"{PODS}/scratch")
    wait_until(lambda: not written.parent.exists(), 10, "the emptyDir to go")


def test_kubectl_shows_what_a_cluster_shows(apiserver, kube_env):
    from tests.kubedouble.helpers import kubectl

    _create(apiserver, _pod("pulls", ["true"], image="nosuch:1"))
    _create(apiserver, _pod("done", ["true"], image="busybox:1.36"))
    init = _pod("inits", ["true"], image="busybox:1.36")
    init["spec"]["initContainers"] = [{"name": "wait", "image": "busybox:1.36",
                                       "command": ["sleep", "60"]}]
    _create(apiserver, init)

    def statuses() -> dict[str, str]:
        rows = kubectl(kube_env, "get", "pods", "--no-headers").stdout.splitlines()
        return {row.split()[0]: row.split()[2] for row in rows}
    wait_until(lambda: statuses() == {"pulls": "ImagePullBackOff", "done": "Completed",
                                      "inits": "Init:0/1"}, 30, "the STATUS column")
    described = kubectl(kube_env, "describe", "pod", "pulls").stdout
    assert "Node:             kubedouble/127.0.0.1" in described
    assert "Reason:       ImagePullBackOff" in described
    assert 'Back-off pulling image "nosuch:1"' in described
    assert "Failed     " in described and "Error: ErrImagePull" in described


def test_on_failure_restarts_in_place_until_the_job_gives_up(apiserver, data_root: Path):
    # Each run appends to a file; the second one succeeds.
    counter = data_root / "runs"
    script = ("import sys; f = open(sys.argv[1], 'a+'); f.write('x'); f.seek(0); "
              "n = len(f.read()); print('run', n); sys.exit(0 if n >= 2 else 3)")
    body = _pod("flaky", [sys.executable, "-c", script, str(counter)])
    body["spec"]["restartPolicy"] = "OnFailure"
    _create(apiserver, body)
    crashing = wait_until(lambda: (s := _get(apiserver, "flaky")["status"]).get(
        "containerStatuses", [{}])[0].get("state", {}).get("waiting", {}).get(
        "reason") == "CrashLoopBackOff" and s, 30, "CrashLoopBackOff")
    assert crashing["phase"] == "Running"
    [container] = crashing["containerStatuses"]
    assert container["restartCount"] == 1
    assert container["lastState"]["terminated"]["exitCode"] == 3
    assert container["state"]["waiting"]["message"].startswith(
        "back-off 10s restarting failed container=main pod=flaky_kubeshowcase(")
    assert http(apiserver, "GET", f"{PODS}/flaky/log?previous=true").text == "run 1\n"
    wait_until(lambda: _get(apiserver, "flaky")["status"]["phase"] == "Succeeded", 40,
               "the restart after the 10 s back-off to succeed")
    assert http(apiserver, "GET", f"{PODS}/flaky/log").text == "run 2\n"
    assert "BackOff" in _reasons(apiserver, "flaky")
