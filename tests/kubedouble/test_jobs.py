"""The local Job runner: pods as processes, Job status like the real controller, logs, cleanup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
from kubernetes import client

from kubedouble.jobcontroller import JobControllerSettings
from tests.kubedouble.helpers import auth, http, job, process_alive, sleeper, wait_until

PY = sys.executable
JOBS = "/apis/batch/v1/namespaces/kubeshowcase/jobs"
PODS = "/api/v1/namespaces/kubeshowcase/pods"


@pytest.fixture
def job_controller_settings() -> JobControllerSettings:
    """Retries after a short backoff (the real 10 s is tested in test_job_policies.py)."""
    return JobControllerSettings(pod_failure_backoff_seconds=0.2,
                                 pod_failure_backoff_max_seconds=1.0)


def _run(handle, body):
    response = http(handle, "POST", JOBS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _job(handle, name):
    return http(handle, "GET", f"{JOBS}/{name}").json()


def _conditions(job_obj):
    return [(c["type"], c["status"], c.get("reason")) for c in
            job_obj.get("status", {}).get("conditions", [])]


def _finished(handle, name):
    def check():
        found = _job(handle, name)
        types = [c[0] for c in _conditions(found)]
        return found if ("Complete" in types or "Failed" in types) else None
    return wait_until(check, 60, f"job {name} to finish")


def _pods(handle, job_name):
    return http(handle, "GET", f"{PODS}?labelSelector=job-name%3D{job_name}").json()["items"]


def _log(handle, pod_name, query=""):
    return http(handle, "GET", f"{PODS}/{pod_name}/log{query}").text


def test_a_successful_job(apiserver, kube_client):
    created = _run(apiserver, job("ok", [PY, "-c", "print('hello from the job')"]))
    done = _finished(apiserver, "ok")
    assert _conditions(done) == [("SuccessCriteriaMet", "True", "CompletionsReached"),
                                 ("Complete", "True", "CompletionsReached")]
    status = done["status"]
    assert status["succeeded"] == 1 and "active" not in status and "failed" not in status
    assert status["startTime"] <= status["completionTime"]
    [pod] = _pods(apiserver, "ok")
    meta = pod["metadata"]
    assert meta["name"].startswith("ok-") and len(meta["name"]) == len("ok-") + 5
    assert meta["labels"]["batch.kubernetes.io/job-name"] == "ok"
    assert meta["labels"]["controller-uid"] == created["metadata"]["uid"]
    assert meta["ownerReferences"][0]["controller"] is True
    assert meta["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    assert pod["status"]["phase"] == "Succeeded"
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert _log(apiserver, meta["name"]) == "hello from the job\n"
    core = client.CoreV1Api(kube_client)
    reasons = [e.reason for e in core.list_namespaced_event(
        "kubeshowcase", field_selector="involvedObject.name=ok,involvedObject.kind=Job").items]
    assert reasons == ["SuccessfulCreate", "Completed"]


def test_failures_retry_up_to_the_backoff_limit(apiserver):
    _run(apiserver, job("bad", [PY, "-c", "import sys; print('oops'); sys.exit(3)"],
                        backoff_limit=2))
    done = _finished(apiserver, "bad")
    message = "Job has reached the specified backoff limit"
    assert [(c["type"], c["reason"], c["message"]) for c in done["status"]["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded", message),
        ("Failed", "BackoffLimitExceeded", message)]
    assert done["status"]["failed"] == 3 and "completionTime" not in done["status"]
    pods = _pods(apiserver, "bad")
    assert len(pods) == 3
    for pod in pods:
        assert pod["status"]["phase"] == "Failed"
        assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_the_deadline_deletes_the_pods(apiserver, data_root, kube_client):
    # The real controller DELETEs the active pods (deleteActivePods) and fails the Job once
    # they are gone; the pods themselves get no reason of their own.
    pid_file = data_root / "pid"
    script = sleeper(pid_file)
    _run(apiserver, job("slow", [PY, "-c", script], activeDeadlineSeconds=3, backoff_limit=3,
                        pod={"terminationGracePeriodSeconds": 2}))
    done = _finished(apiserver, "slow")
    assert _conditions(done) == [("FailureTarget", "True", "DeadlineExceeded"),
                                 ("Failed", "True", "DeadlineExceeded")]
    assert done["status"]["conditions"][-1]["message"] == \
        "Job was active longer than specified deadline"
    assert done["status"]["failed"] == 1 and "active" not in done["status"]
    assert (done["status"]["terminating"], done["status"]["ready"]) == (0, 0)
    # The controller deletes the active pod (deleteActivePods); its kubelet SIGKILLs the
    # process (no SIGTERM handler) at the end of the grace, then the pod object goes.
    assert _pods(apiserver, "slow") == []
    assert not process_alive(int(pid_file.read_text()))
    core = client.CoreV1Api(kube_client)
    reasons = [e.reason for e in core.list_namespaced_event(
        "kubeshowcase", field_selector="involvedObject.name=slow,involvedObject.kind=Job").items]
    assert reasons == ["SuccessfulCreate", "SuccessfulDelete", "DeadlineExceeded"]


def test_a_pod_past_its_own_deadline_fails(apiserver):
    # spec.activeDeadlineSeconds of the pod: the kubelet's (pkg/kubelet/active_deadline.go).
    body = job("podlimit", [PY, "-c", "import time; time.sleep(60)"], pod={
        "activeDeadlineSeconds": 2, "terminationGracePeriodSeconds": 2})
    _run(apiserver, body)
    done = _finished(apiserver, "podlimit")
    assert _conditions(done)[-1] == ("Failed", "True", "BackoffLimitExceeded")
    [pod] = _pods(apiserver, "podlimit")
    assert pod["status"]["phase"] == "Failed"
    assert pod["status"]["reason"] == "DeadlineExceeded"
    assert pod["status"]["message"] == \
        "Pod was active on the node longer than the specified deadline"


def test_environment_working_dir_and_volumes_are_mapped(apiserver, data_root):
    (data_root / "alice" / "cells").mkdir(parents=True)
    script = ("import os, sys; open('cwd.txt', 'w').write(os.getcwd()); "
              "open(sys.argv[1], 'w').write(os.environ['OUT'] + '|' + os.environ['PLAIN'] + '|'"
              " + os.environ['PYTHONPATH'])")
    body = job("env", [PY, "-c", script], container={
        "args": ["/project/args.txt"], "workingDir": "/project",
        "env": [{"name": "OUT", "value": "/project/out"}, {"name": "PLAIN", "value": "x"}],
        "volumeMounts": [{"name": "data", "mountPath": "/project", "subPath": "alice/cells"}]},
        pod={"volumes": [{"name": "data",
                          "persistentVolumeClaim": {"claimName": "kubeshowcase-data"}}]})
    _run(apiserver, body)
    assert _conditions(_finished(apiserver, "env"))[-1][0] == "Complete"
    project = (data_root / "alice" / "cells").resolve()
    assert (project / "cwd.txt").read_text() == str(project)
    out, plain, pythonpath = (project / "args.txt").read_text().split("|")
    assert (out, plain) == (f"{project}/out", "x")
    assert "pipelines/nuclei" in pythonpath


def test_logs_follow_and_tail(apiserver):
    script = ("import sys, time\nfor i in range(3):\n    print('line', i, flush=True)\n"
              "    time.sleep(0.3)\n")
    _run(apiserver, job("chatty", [PY, "-c", script]))
    pod = wait_until(lambda: next(iter(_pods(apiserver, "chatty")), None), 30, "the pod")
    name = pod["metadata"]["name"]
    wait_until(lambda: http(apiserver, "GET", f"{PODS}/{name}/log").status_code == 200, 30,
               "the container to start")
    followed = requests.get(f"{apiserver.url}{PODS}/{name}/log?follow=true", timeout=60,
                            headers=auth(apiserver), verify=apiserver.ca_file).text
    assert followed == "line 0\nline 1\nline 2\n"  # the stream ends when the process does
    assert _log(apiserver, name, "?tailLines=1") == "line 2\n"


def test_logs_of_a_pod_that_has_not_started(apiserver, data_root):
    body = job("waits", [PY, "-c", "pass"], container={
        "volumeMounts": [{"name": "data", "mountPath": "/project"}]},
        pod={"volumes": [{"name": "data", "configMap": {"name": "absent"}}]})
    _run(apiserver, body)
    pod = wait_until(lambda: next(iter(_pods(apiserver, "waits")), None), 30, "the pod")
    events = wait_until(lambda: http(apiserver, "GET", "/api/v1/namespaces/kubeshowcase/events"
                                     "?fieldSelector=reason%3DFailedMount").json()["items"],
                        30, "a FailedMount event")
    assert 'configmap "absent" not found' in events[0]["message"]
    assert events[0]["involvedObject"]["name"] == pod["metadata"]["name"]
    assert _pods(apiserver, "waits")[0]["status"]["phase"] == "Pending"
    response = http(apiserver, "GET", f"{PODS}/{pod['metadata']['name']}/log")
    assert response.status_code == 400 and "is waiting to start" in response.json()["message"]


@pytest.mark.parametrize("what", ["job", "pod"])
def test_deleting_the_job_or_pod_kills_the_process(apiserver, data_root, what):
    pid_file = data_root / "pid"
    script = sleeper(pid_file)
    # A short grace: the sleeper has no SIGTERM handler, so it lives until the SIGKILL.
    _run(apiserver, job("long", [PY, "-c", script], pod={"terminationGracePeriodSeconds": 2}))
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, "the process"))
    assert process_alive(pid)
    if what == "job":
        http(apiserver, "DELETE", f"{JOBS}/long", json={"propagationPolicy": "Background"})
    else:
        http(apiserver, "DELETE", f"{PODS}/{_pods(apiserver, 'long')[0]['metadata']['name']}")
    wait_until(lambda: not process_alive(pid), 30, "the process to die")
    if what == "job":
        wait_until(lambda: _pods(apiserver, "long") == [], 10, "the pod to go")


def test_finished_jobs_expire_after_their_ttl(apiserver):
    _run(apiserver, job("brief", [PY, "-c", "pass"], ttlSecondsAfterFinished=1))
    wait_until(lambda: http(apiserver, "GET", f"{JOBS}/brief").status_code == 404, 30,
               "the job to expire")
    assert _pods(apiserver, "brief") == []


def test_suspended_jobs_wait(apiserver, tmp_path: Path):
    _run(apiserver, job("later", [PY, "-c", "pass"], suspend=True))
    assert _pods(apiserver, "later") == [] and "startTime" not in _job(apiserver, "later").get(
        "status", {})
    http(apiserver, "PATCH", f"{JOBS}/later", json={"spec": {"suspend": False}},
         headers={"Content-Type": "application/merge-patch+json"})
    assert _conditions(_finished(apiserver, "later"))[-1][0] == "Complete"


def test_a_missing_executable_fails_the_pod(apiserver):
    _run(apiserver, job("nothing", ["/nonexistent/tool"]))
    assert _conditions(_finished(apiserver, "nothing"))[-1][2] == "BackoffLimitExceeded"
    [pod] = _pods(apiserver, "nothing")
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 128 and terminated["reason"] == "StartError"
    assert "failed to start container" in _log(apiserver, pod["metadata"]["name"])


# pods/log options, as kube-apiserver answers them:
# container: pkg/registry/core/pod/strategy.go LogLocation (400 for a name not in the pod);
# limitBytes: pkg/apis/core/validation ValidatePodLogOptions (422 below 1), and the kubelet
# stops the stream after that many bytes (also while following).
@pytest.mark.parametrize(("query", "status", "body"), [
    ("?limitBytes=8", 200, "line 0\nl"),
    ("?limitBytes=1000", 200, "line 0\nline 1\nline 2\n"),
    ("?follow=true&limitBytes=10", 200, "line 0\nlin"),
    ("?tailLines=1&limitBytes=4", 200, "line"),
    ("?container=main&limitBytes=7", 200, "line 0\n"),
    ("?container=sidecar", 400, "container sidecar is not valid for pod {pod}"),
    ("?limitBytes=0", 422,
     'PodLogOptions "{pod}" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
])
def test_log_options(apiserver, query, status, body):
    script = "for i in range(3):\n    print('line', i, flush=True)\n"
    _run(apiserver, job("limited", [PY, "-c", script]))
    _finished(apiserver, "limited")
    [pod] = _pods(apiserver, "limited")
    name = pod["metadata"]["name"]
    response = http(apiserver, "GET", f"{PODS}/{name}/log{query}")
    assert response.status_code == status
    expected = body.format(pod=name)
    assert (response.text if status == 200 else response.json()["message"]) == expected


def test_a_pod_of_two_containers_needs_the_container_named(apiserver):
    body = job("pair", [PY, "-c", "print('from main')"],
               pod={"containers": [{"name": "main", "image": "python:3.11",
                                    "command": [PY, "-c", "print('from main')"]},
                                   # no command: the image's CMD (sh, stdin empty) runs
                                   {"name": "sidecar", "image": "busybox:1.36"}]})
    _run(apiserver, body)
    _finished(apiserver, "pair")
    [pod] = _pods(apiserver, "pair")
    name = pod["metadata"]["name"]
    response = http(apiserver, "GET", f"{PODS}/{name}/log")
    assert response.status_code == 400
    assert response.json()["message"] == (f"a container name must be specified for pod {name}, "
                                           "choose one of: [main sidecar]")
    assert _log(apiserver, name, "?container=main") == "from main\n"


def test_on_failure_restarts_count_against_the_backoff_limit(apiserver):
    body = job("crashy", [PY, "-c", "raise SystemExit(1)"], backoff_limit=1,
               pod={"restartPolicy": "OnFailure"})
    _run(apiserver, body)
    done = _finished(apiserver, "crashy")
    assert _conditions(done)[-1] == ("Failed", "True", "BackoffLimitExceeded")
    wait_until(lambda: _pods(apiserver, "crashy") == [], 30, "the crashing pod to be deleted")
