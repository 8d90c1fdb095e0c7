"""Writes the API made but whose answers never came back, and namesakes.

A submission: the web app names each run itself, sends the create again under that name and
knows the 409 that follows as its own run (by the submission's token), so a run is made once
and its page opens; when no answer comes at all, the page does not claim that nothing was
started. A cancel (an idempotent merge patch) is sent again, and only ever touches the run of
the uid the page showed."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from kubedouble.faults import FaultRule
from runs.kube import SUBMISSION_ANNOTATION
from runs.models import RunRecord
from tests.waiting import wait_until
from tests.web.conftest import Actor, messages_in
from tests.web.runs.conftest import Cluster, nuclei_form

CREATE = r"/pipelineruns$"
READ_BACK = r"/pipelineruns/[^/]+$"


def held(apiserver: Any, path: str, method: str, times: int) -> FaultRule:
    """The server makes the request, then holds its answer past the web app's 1 s timeout."""
    return apiserver.faults.add(FaultRule(path=path, method=method, answer_delay_seconds=2,
                                          times=times))


def all_sent(apiserver: Any, count: int) -> None:
    wait_until(lambda: apiserver.faults.tally().get("held answer sent") == count, 10,
               "the held answers to go out")


def test_a_create_whose_answer_was_lost_makes_one_run_and_opens_its_page(
        alice: Actor, cluster: Cluster, apiserver: Any, web_settings: Any) -> None:
    web_settings.KUBE_API_TIMEOUT = 1
    alice.project("cells")
    rule = held(apiserver, CREATE, "POST", times=1)
    posted = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    assert posted.status_code == 302, posted.content.decode()[:3000]
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    assert posted["Location"] == reverse("runs-detail", args=[name])
    assert name.startswith("alice-cells-") and len(name) == len("alice-cells-") + 5
    assert SUBMISSION_ANNOTATION in run["metadata"]["annotations"]
    row = RunRecord.objects.get(uid=run["metadata"]["uid"])  # archived, with its provenance
    assert row.submitted_generation == 1 and rule.times == 0
    all_sent(apiserver, 1)


def test_when_no_answer_comes_at_all_the_page_says_the_run_may_exist(
        alice: Actor, cluster: Cluster, apiserver: Any, web_settings: Any) -> None:
    web_settings.KUBE_API_TIMEOUT = 1
    alice.project("cells")
    held(apiserver, CREATE, "POST", times=1)
    # Nor can each resend's 409 be read back (the client tries a GET four times).
    held(apiserver, READ_BACK, "GET", times=8)
    posted = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    assert posted.status_code == 503
    page = posted.content.decode()
    assert "It may have been made all the same: if so, it shows in Your runs" in page
    assert "Nothing was started" not in page
    assert len(cluster.runs()) == 1  # made once, for all three attempts
    all_sent(apiserver, 9)


def test_a_namesake_is_never_taken_for_the_run_submitted(
        alice: Actor, cluster: Cluster, monkeypatch: Any) -> None:
    from runs import kube

    alice.project("cells")
    cluster.create_run("bob", "elsewhere", name="alice-cells-bbbbb")  # a namesake of bob's
    monkeypatch.setattr(kube, "NAME_ALPHABET", "b")  # every name drawn is that one
    posted = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form(),
                               HTTP_ACCEPT="text/html")
    assert posted.status_code == 503
    assert "gave no free name for the run" in posted.content.decode()
    assert [run["metadata"]["name"] for run in cluster.runs()] == ["alice-cells-bbbbb"]


def test_a_cancel_whose_answer_was_lost_is_sent_again_and_succeeds(
        alice: Actor, cluster: Cluster, apiserver: Any, web_settings: Any) -> None:
    web_settings.KUBE_API_TIMEOUT = 1
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    held(apiserver, r"/pipelineruns/r1$", "PATCH", times=1)
    response = alice.client.post(reverse("runs-cancel", args=["r1"]), follow=True)
    assert messages_in(response) == ["Cancelling run r1."]
    assert cluster.run("r1")["spec"]["cancelRequested"] is True
    all_sent(apiserver, 1)


def test_a_cancel_leaves_a_namesake_made_since_alone(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")  # the run alice's page shows
    cluster.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", cluster.namespace, "pipelineruns", "r1")
    cluster.create_run("alice", "cells", name="r1", sync=False)  # the archive has not seen it
    response = alice.client.post(reverse("runs-cancel", args=["r1"]), follow=True)
    assert messages_in(response) == ["Run r1 is gone; nothing to cancel."]
    assert cluster.run("r1")["spec"].get("cancelRequested") is not True
