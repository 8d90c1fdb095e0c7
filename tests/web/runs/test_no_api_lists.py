"""No page view LISTs (or watches) the Kubernetes API: pages read the run archive. The double
counts every request the web app's own account makes, so this is measured, not assumed."""

from __future__ import annotations

import sys
from collections import Counter

import pytest
from django.urls import reverse

from tests.fixtures.chart_accounts import component_users
from tests.waiting import pod_log_so_far, wait_until
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster

# (route, args, whether the page needs no API request at all: history and archive pages)
PAGES = [
    ("runs-queue", [], True),
    ("runs-queue-table", [], True),
    ("runs-mine", [], True),
    ("runs-detail", ["done"], True),
    ("runs-status", ["done"], True),
    ("runs-detail", ["live"], True),
    ("runs-status", ["live"], True),
    ("runs-new", ["cells"], True),
    ("projects-detail", ["cells"], True),
    ("runs-log", ["done"], True),  # a finished run's log is its saved file
    ("runs-log", ["live"], True),  # no status.podName yet: no pod has started, nothing to read
    ("results-project", ["cells"], True),
    ("results-run", ["done"], True),
]


def web_requests(apiserver) -> Counter:  # noqa: ANN001
    """(verb, resource[/subresource]) -> how often the web app's account asked, so far."""
    web = {user for user, component in component_users().items() if component == "web"}
    found: Counter = Counter()
    for decision, count in apiserver.decisions.counts().items():
        if decision.user in web:
            resource = "/".join(filter(None, (decision.resource, decision.subresource)))
            found[(decision.verb, resource)] += count
    return found


@pytest.fixture
def runs_of_alice(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells", {".kubeshowcase/logs/done.log": b"all done\n"})
    alice.project("other")
    cluster.create_run("alice", "other", name="done")
    cluster.set_status("done", phase="Succeeded", logFile=".kubeshowcase/logs/done.log")
    cluster.create_run("alice", "cells", name="live")
    cluster.set_status("live", phase="Running", jobName="live-job")
    cluster.create_run("bob", "b", name="bobs")


@pytest.mark.parametrize(("name", "args", "no_request"), PAGES)
def test_the_page_lists_nothing(alice: Actor, apiserver, runs_of_alice: None,  # noqa: ANN001
                                name: str, args: list, no_request: bool) -> None:
    before = web_requests(apiserver)
    response = alice.client.get(reverse(name, args=args), follow=True)
    assert response.status_code == 200, response.content[:500]
    made = web_requests(apiserver) - before
    assert {key: n for key, n in made.items() if key[0] in ("list", "watch")} == {}
    if no_request:
        assert made == Counter()


def pod(cluster: Cluster, name: str, says: str) -> None:
    """A pod of the live run's Job (its label), printing `says` and then waiting."""
    script = f"import time\nprint({says!r}, flush=True)\ntime.sleep(600)\n"
    cluster.core.create_namespaced_pod(cluster.namespace, {
        "metadata": {"name": name, "labels": {"job-name": "live-job"}},
        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "pipeline", "image": "python:3.11",
                                 "command": [sys.executable, "-c", script]}]}})
    wait_until(lambda: says in pod_log_so_far(cluster.core, name, cluster.namespace),
               what=f"{name}'s log")


def test_a_live_log_poll_is_one_get_of_the_named_pods_log(
        alice: Actor, apiserver, cluster: Cluster, runs_of_alice: None) -> None:  # noqa: ANN001
    """Tailing a live run's log is the one API call pages keep: a GET of the log of the pod
    status.podName names, not a LIST of its Job's pods (nor the newest of them)."""
    pod(cluster, "live-job-first", "the first attempt's output")
    pod(cluster, "live-job-other", "another pod's output")  # newer, same Job label
    cluster.set_status("live", podName="live-job-first")
    before = web_requests(apiserver)
    response = alice.client.get(reverse("runs-log", args=["live"]))
    made = web_requests(apiserver) - before
    assert made == Counter({("get", "pods/log"): 1})
    assert response.content == b"the first attempt's output\n"
    assert "X-Poll-Done" not in response


def test_a_gone_pod_costs_one_get_and_says_so(
        alice: Actor, apiserver, cluster: Cluster, runs_of_alice: None) -> None:  # noqa: ANN001
    cluster.set_status("live", podName="live-job-gone")
    before = web_requests(apiserver)
    text = alice.client.get(reverse("runs-log", args=["live"])).content.decode()
    assert web_requests(apiserver) - before == Counter({("get", "pods/log"): 1})
    assert text == ("(The log of pod live-job-gone cannot be read any more: the pod is gone. "
                    "The operator saves the log in the project; it appears here once the "
                    "run's end is recorded.)\n")
