"""Starting a run is refused, with a clear message and nothing created, when it must not happen."""

from __future__ import annotations

from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, nuclei_form


def post_run(actor: Actor, project: str, **changes: str | None):  # noqa: ANN201
    return actor.client.post(reverse("runs-new", args=[project]), nuclei_form(**changes))


def test_demo_users_see_the_form_but_cannot_start(demo: Actor, cluster: Cluster) -> None:
    demo.project("cells")
    page = demo.client.get(reverse("runs-new", args=["cells"]))
    assert page.status_code == 200
    assert b"Start run" not in page.content
    assert post_run(demo, "cells").status_code == 403
    assert cluster.runs() == []


def test_the_owners_queued_run_limit(
    alice: Actor, cluster: Cluster, web_settings  # noqa: ANN001
) -> None:
    web_settings.USER_MAX_QUEUED_RUNS = 2
    for project in ("a", "b", "c"):
        alice.project(project)
    cluster.create_run("alice", "a", name="run-a")
    cluster.create_run("alice", "b", name="run-b")
    cluster.set_status("run-b", phase="Running")
    response = post_run(alice, "c")
    assert response.status_code == 409
    assert ("You already have 2 run(s) queued or running, the most allowed (2). Wait for one to "
            "finish or cancel one. Nothing was started.") in response.content.decode()
    assert len(cluster.runs()) == 2
    # The run page says so before anyone fills the form.
    page = alice.client.get(reverse("runs-new", args=["c"])).content.decode()
    assert "the most allowed (2). Wait for one to finish or cancel one.<" in page
    # A finished run no longer counts.
    cluster.set_status("run-a", phase="Succeeded")
    assert post_run(alice, "c").status_code == 302
    assert len(cluster.runs()) == 3


def test_guests_have_their_own_limit(
    guest: Actor, cluster: Cluster, web_settings  # noqa: ANN001
) -> None:
    web_settings.GUEST_MAX_QUEUED_RUNS = 1
    guest.project("a")
    guest.project("b")
    assert post_run(guest, "a").status_code == 302
    response = post_run(guest, "b")
    assert response.status_code == 409
    assert "the most allowed (1)" in response.content.decode()
    assert len(cluster.runs()) == 1


def test_a_busy_project_refuses_a_second_run(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_run("alice", "cells", name="first")
    cluster.set_status("first", phase="Queued", queuePosition=3)
    response = post_run(alice, "cells")
    assert response.status_code == 409
    assert ("“cells” is already in use: a run of nuclei (first) is queued (position 3). "
            "Nothing was started." in response.content.decode())
    assert [run["metadata"]["name"] for run in cluster.runs()] == ["first"]


def test_a_missing_pipeline_is_refused(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = post_run(alice, "cells", pipeline="nope")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is no pipeline named “nope”; nothing was started." in page
    assert cluster.runs() == []


def test_someone_elses_project_does_not_exist(alice: Actor, bob: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    assert post_run(bob, "cells").status_code == 404
    assert bob.client.get(reverse("runs-new", args=["cells"])).status_code == 404
    assert cluster.runs() == []
