"""One run's page: phase and facts, the polled status and log fragments, and cancelling."""

from __future__ import annotations

import sys

from django.test import Client
from django.urls import reverse

from tests.web.conftest import Actor
from tests.waiting import wait_until
from tests.web.runs.conftest import Cluster


def running_run(cluster: Cluster, script: str) -> str:
    """alice's run r1, Running as the operator sets it, its Job r1-job's pod running script
    and named by status.podName; returns the pod's name."""
    from kubernetes import client

    job = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "r1-job"},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "pipeline", "image": "python:3.11",
                            "command": [sys.executable, "-c", script]}]}}},
    }
    client.BatchV1Api(cluster.api_client).create_namespaced_job(cluster.namespace, job)
    cluster.create_run("alice", "cells", name="r1")
    pod = wait_until(lambda: cluster.core.list_namespaced_pod(
        cluster.namespace, label_selector="job-name=r1-job").items, what="the Job's pod")[0]
    cluster.set_status("r1", phase="Running", jobName="r1-job", podName=pod.metadata.name)
    return pod.metadata.name


def test_the_page_shows_phase_and_facts(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    response = alice.client.get(reverse("runs-detail", args=["r1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="run-phase" class="phase phase-queued">Queued<' in html
    assert reverse("runs-status", args=["r1"]) in html and reverse("runs-log", args=["r1"]) in html


def test_the_status_fragment_follows_the_operator(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    url = reverse("runs-status", args=["r1"])
    first = alice.client.get(url)
    assert ">Queued<" in first.content.decode() and "X-Poll-Done" not in first
    cluster.set_status("r1", phase="Running", jobName="r1-job",
                       startTime="2026-01-01T10:00:00Z")
    assert 'id="run-phase" class="phase phase-running">Running<' in (
        alice.client.get(url).content.decode())
    cluster.set_status(
        "r1", phase="Failed", completionTime="2026-01-01T10:01:05Z", duration="1m5s",
        reason="PipelineFailed", message="exit code 2",
        conditions=[{"type": "Succeeded", "status": "False", "reason": "PipelineFailed",
                     "message": "exit code 2", "lastTransitionTime": "2026-01-01T10:01:05Z"}])
    done = alice.client.get(url)
    html = done.content.decode()
    assert ">Failed<" in html and "1m5s" in html and "PipelineFailed" in html
    assert "exit code 2" in html and "2026-01-01 10:01:05" in html
    assert done["X-Poll-Done"] == "1"
    assert b"Cancel run" not in done.content


def test_a_run_with_a_folder_of_its_own_names_it_while_it_runs(
        alice: Actor, cluster: Cluster) -> None:
    alice.project("cells", {"runs/r1/.keep": b""})
    cluster.create_run("alice", "cells", name="r1")
    url = reverse("runs-status", args=["r1"])
    assert 'id="run-outputs"' not in alice.client.get(url).content.decode()
    cluster.set_status("r1", phase="Running", jobName="r1-job",
                       outputs={"dir": "runs/r1"})  # as the operator writes it at start
    html = alice.client.get(url).content.decode()
    link = reverse("projects-browse", args=["cells", "runs/r1"])
    assert f'id="run-outputs"><a href="{link}">runs/r1/</a>' in html
    assert alice.client.get(link).status_code == 200


def test_the_log_tail_comes_from_the_saved_file_after_the_run(
    alice: Actor, cluster: Cluster, web_settings  # noqa: ANN001
) -> None:
    web_settings.RUN_LOG_TAIL_LINES = 3
    lines = "".join(f"line {n}\n" for n in range(1, 501)).encode()
    alice.project("cells", {".kubeshowcase/logs/r1.log": lines})
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Succeeded", logFile=".kubeshowcase/logs/r1.log")
    response = alice.client.get(reverse("runs-log", args=["r1"]))
    assert response.content == b"line 498\nline 499\nline 500\n"
    assert response["X-Poll-Done"] == "1"


def test_a_saved_log_outside_the_project_is_not_read(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    alice.project("other", {"secret.log": b"secret\n"})
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Succeeded", logFile="../other/secret.log")
    assert b"secret" not in alice.client.get(reverse("runs-log", args=["r1"])).content


def test_the_log_tail_of_a_running_job_comes_from_its_pod(
    alice: Actor, cluster: Cluster
) -> None:
    alice.project("cells")
    script = "import sys\nfor n in range(5): print(f'pipeline says {n}', flush=True)\n"
    running_run(cluster, script)
    url = reverse("runs-log", args=["r1"])
    text = wait_until(
        lambda: "pipeline says 4" in (body := alice.client.get(url).content.decode()) and body,
        what="the pod's log")
    assert text.splitlines()[-5:] == [f"pipeline says {n}" for n in range(5)]


def test_a_live_run_without_a_started_pod_has_no_log_yet(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Running", jobName="r1-job")  # no status.podName yet
    response = alice.client.get(reverse("runs-log", args=["r1"]))
    assert response.content == b"" and "X-Poll-Done" not in response  # poll.js: no output yet


def test_a_finished_run_without_its_saved_log_or_its_pod_says_so(
        alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Failed", podName="r1-job-gone",
                       logFile=".kubeshowcase/logs/r1.log")  # not in the project
    response = alice.client.get(reverse("runs-log", args=["r1"]))
    assert response.content == (b"(The log of pod r1-job-gone cannot be read any more: the pod "
                                b"is gone, and the run's saved log is not in its project.)\n")
    assert response["X-Poll-Done"] == "1"


def test_cancel_asks_the_operator(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    response = alice.client.post(reverse("runs-cancel", args=["r1"]), {"back": "queue"})
    assert response.status_code == 302 and response["Location"] == reverse("runs-queue")
    assert cluster.run("r1")["spec"]["cancelRequested"] is True


def test_cancel_of_a_finished_run_changes_nothing(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Succeeded")
    response = alice.client.post(reverse("runs-cancel", args=["r1"]), follow=True)
    assert "Run r1 is succeeded; nothing to cancel." in response.content.decode()
    assert cluster.run("r1")["spec"].get("cancelRequested") is not True


def test_demo_users_cannot_cancel(demo: Actor, cluster: Cluster) -> None:
    cluster.create_run("demo", "cells", name="r1")
    assert demo.client.post(reverse("runs-cancel", args=["r1"])).status_code == 403
    assert cluster.run("r1")["spec"].get("cancelRequested") is not True


def test_cancel_needs_post_and_csrf(alice: Actor, cluster: Cluster) -> None:
    cluster.create_run("alice", "cells", name="r1")
    assert alice.client.get(reverse("runs-cancel", args=["r1"])).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = alice.client.cookies
    assert strict.post(reverse("runs-cancel", args=["r1"])).status_code == 403
    assert cluster.run("r1")["spec"].get("cancelRequested") is not True


def test_a_run_whose_pod_could_not_be_created_says_why(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    message = ('Job r1 could not create its pod within 600s: Error creating: pods "r1-" is '
               'forbidden: error looking up service account kubeshowcase/ghost: '
               'serviceaccount "ghost" not found')
    cluster.set_status("r1", phase="Failed", reason="PodCreateFailed", message=message)
    html = alice.client.get(reverse("runs-detail", args=["r1"])).content.decode()
    assert '<dd id="run-reason">PodCreateFailed</dd>' in html
    assert f'<dd id="run-message">{message.replace(chr(34), "&quot;")}</dd>' in html


def test_cancel_shows_cancelling_at_once(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    alice.client.post(reverse("runs-cancel", args=["r1"]))
    # No watcher event yet: the row already says so.
    assert "(cancelling)" in alice.client.get(reverse("runs-status", args=["r1"])).content.decode()


def test_a_finished_run_keeps_its_page_after_retention(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells", {".kubeshowcase/logs/r1.log": b"the end\n"})
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Succeeded", logFile=".kubeshowcase/logs/r1.log",
                       duration="2m")
    cluster.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", cluster.namespace, "pipelineruns", "r1")
    cluster.sync()
    html = alice.client.get(reverse("runs-detail", args=["r1"])).content.decode()
    assert ">Succeeded<" in html and "2m" in html
    assert alice.client.get(reverse("runs-log", args=["r1"])).content == b"the end\n"


def test_a_name_that_came_back_shows_the_newest_run(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Failed", reason="PipelineFailed")
    cluster.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", cluster.namespace, "pipelineruns", "r1")
    cluster.create_run("alice", "cells", name="r1")
    html = alice.client.get(reverse("runs-status", args=["r1"])).content.decode()
    assert ">Queued<" in html and "PipelineFailed" not in html


def test_a_live_log_is_asked_for_within_the_byte_budget(
    alice: Actor, cluster: Cluster, web_settings  # noqa: ANN001
) -> None:
    web_settings.RUN_LOG_TAIL_BYTES = 300
    alice.project("cells")
    script = ("for n in range(50): print(f'{n:04d} ' + 'x' * 95, flush=True)\n"
              "print('end', flush=True)\n")
    running_run(cluster, script)
    url = reverse("runs-log", args=["r1"])
    text = wait_until(lambda: (body := alice.client.get(url).content.decode()).startswith("00")
                      and len(body) >= 300 and body, what="the pod's log")
    assert len(text.encode()) == 300  # the kubelet stopped at limitBytes; 51 lines are 5 KB
