"""The double's own record of what it ran: each container process from spawn to reaping, and
each Job as created (what a soak test checks, whatever its watches missed)."""

from __future__ import annotations

import sys

from tests.kubedouble.helpers import http, job, process_alive, wait_until

JOBS = "/apis/batch/v1/namespaces/kubeshowcase/jobs"
PODS = "/api/v1/namespaces/kubeshowcase/pods"


def test_each_process_is_recorded_with_its_pod_labels_folder_and_exit(apiserver):
    created = http(apiserver, "POST", JOBS, json=job(
        "ends", [sys.executable, "-c", "import time; time.sleep(0.3); raise SystemExit(3)"]))
    assert created.status_code == 201, created.text
    wait_until(lambda: [r for r in apiserver.lifetimes.all() if r.end is not None], 30,
               "the process to end")
    [record] = apiserver.lifetimes.all()
    assert record.labels["job-name"] == "ends" and record.pod.startswith("ends-")
    assert record.container == "main" and record.exit_code == 3
    assert record.end > record.start + 0.3 and record.end_wall > record.start_wall
    assert record.cwd and not process_alive(record.pid)
    [made] = apiserver.job_creations.all()
    assert (made.name, made.uid) == ("ends", created.json()["metadata"]["uid"])


def test_a_killed_process_ends_with_its_signal_and_a_running_one_stays_open(apiserver):
    # It ignores SIGTERM (PID 1 without a handler): SIGKILLed at the end of its 2 s grace.
    body = job("sleeps", [sys.executable, "-c", "import time; time.sleep(60)"],
               pod={"terminationGracePeriodSeconds": 2})
    assert http(apiserver, "POST", JOBS, json=body).status_code == 201
    wait_until(lambda: apiserver.lifetimes.all(), 30, "the process to start")
    [running] = apiserver.lifetimes.all()
    assert running.end is None and running.exit_code is None and process_alive(running.pid)
    [pod] = http(apiserver, "GET", f"{PODS}?labelSelector=job-name%3Dsleeps").json()["items"]
    assert http(apiserver, "DELETE", f"{PODS}/{pod['metadata']['name']}").status_code == 200
    wait_until(lambda: apiserver.lifetimes.all()[0].end is not None, 60, "the process to end")
    [ended] = apiserver.lifetimes.all()[:1]
    assert ended.exit_code < 0 and ended.pod_uid == pod["metadata"]["uid"]
