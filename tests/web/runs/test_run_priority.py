"""A run's priority on the run form: admins see and set it (spec.priority); others may not."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, form_controls, nuclei_form

RUN_PAGE = "runs-new"


def make_admin(actor: Actor, **flags: bool) -> Actor:
    User.objects.filter(username=actor.slug).update(**flags)
    return actor


def test_only_admins_see_the_priority_field(alice: Actor, bob: Actor, cluster: Cluster) -> None:
    make_admin(bob, is_superuser=True)
    for actor in (alice, bob):
        actor.project("cells")
    alices, _ = form_controls(alice.client.get(reverse(RUN_PAGE, args=["cells"])).content.decode())
    bobs, _ = form_controls(bob.client.get(reverse(RUN_PAGE, args=["cells"])).content.decode())
    assert "priority" not in alices
    assert (bobs["priority"]["type"], bobs["priority"]["min"], bobs["priority"]["max"]) == (
        "number", "-100", "100")


def test_an_admin_sets_the_priority_into_the_spec(alice: Actor, cluster: Cluster) -> None:
    make_admin(alice, is_staff=True)
    alice.project("cells")
    response = alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form(priority="7"))
    assert response.status_code == 302
    [run] = cluster.runs()
    assert run["spec"]["priority"] == 7


def test_an_admin_gets_a_bounded_priority(alice: Actor, cluster: Cluster) -> None:
    make_admin(alice, is_staff=True)
    alice.project("cells")
    response = alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form(priority="101"))
    assert response.status_code == 400
    assert "less than or equal to 100" in response.content.decode()
    assert cluster.runs() == []


def test_a_priority_posted_by_anyone_else_is_refused(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form(priority="5"))
    assert response.status_code == 400
    assert "Only admins may set a run&#x27;s priority. Nothing was started." in (
        response.content.decode())
    assert cluster.runs() == []
    assert alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form()).status_code == 302
    [run] = cluster.runs()
    assert run["spec"]["priority"] == 0  # the CRD's default
