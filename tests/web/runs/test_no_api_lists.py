"""No page view LISTs (or watches) the Kubernetes API: pages read the run archive. The double
counts every request the web app's own account makes, so this is measured, not assumed."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from tests.fixtures.chart_accounts import component_users
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
    ("results-project", ["cells"], True),
    ("results-run", ["done"], True),
]


def web_requests(apiserver) -> Counter:  # noqa: ANN001
    """(verb, resource) -> how often the web app's account asked, so far."""
    web = {user for user, component in component_users().items() if component == "web"}
    found: Counter = Counter()
    for decision, count in apiserver.decisions.counts().items():
        if decision.user in web:
            found[(decision.verb, decision.resource)] += count
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


def test_the_live_log_reads_only_its_pods(alice: Actor, apiserver,  # noqa: ANN001
                                          runs_of_alice: None) -> None:
    """Tailing a live run's log is one of the API calls pages keep: its Job's pods (a label
    selector, not the namespace's runs) and the newest one's log."""
    before = web_requests(apiserver)
    assert alice.client.get(reverse("runs-log", args=["live"])).status_code == 200
    made = web_requests(apiserver) - before
    assert set(made) == {("list", "pods")}  # the Job has no pod here: no log to read
    assert not any(resource.startswith("pipeline") for _, resource in made)
