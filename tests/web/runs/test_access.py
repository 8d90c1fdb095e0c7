"""Every new URL: others' and guests' requests for alice's things are 404; posts need CSRF."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, nuclei_form

ALICES_URLS = [
    ("runs-new", ["cells"]),
    ("runs-detail", ["r1"]),
    ("runs-status", ["r1"]),
    ("runs-log", ["r1"]),
    ("results-run", ["r1"]),
    ("results-project", ["cells"]),
    ("results-thumbnail", ["cells", "results/a_overlay.png"]),
]


@pytest.fixture
def alices_run(alice: Actor, cluster: Cluster) -> None:
    from PIL import Image

    cells = alice.project("cells", {"results/x": b""})
    Image.new("RGB", (8, 8), "red").save(cells / "results" / "a_overlay.png")
    cluster.create_run("alice", "cells", name="r1")


@pytest.mark.parametrize(("name", "args"), ALICES_URLS, ids=[name for name, _ in ALICES_URLS])
def test_other_users_and_guests_get_404(
    alice: Actor, bob: Actor, guest: Actor, alices_run: None, name: str, args: list
) -> None:
    url = reverse(name, args=args)
    assert alice.client.get(url).status_code in (200, 302)
    assert bob.client.get(url).status_code == 404
    assert guest.client.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_guests_run_is_hidden_from_users(alice: Actor, guest: Actor, cluster: Cluster) -> None:
    guest.project("g")
    assert guest.client.post(reverse("runs-new", args=["g"]), nuclei_form()).status_code == 302
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    assert run["spec"]["owner"] == guest.slug
    assert guest.client.get(reverse("runs-detail", args=[name])).status_code == 200
    assert alice.client.get(reverse("runs-detail", args=[name])).status_code == 404
    assert alice.client.post(reverse("runs-cancel", args=[name])).status_code == 404
    assert cluster.run(name)["spec"].get("cancelRequested") is not True


def test_cancel_of_another_users_run_is_404(bob: Actor, alices_run: None, cluster: Cluster) -> None:
    assert bob.client.post(reverse("runs-cancel", args=["r1"])).status_code == 404
    assert cluster.run("r1")["spec"].get("cancelRequested") is not True


def test_odd_run_names_are_404(alice: Actor, cluster: Cluster) -> None:
    for name in ("NOPE", "a%20b", "x" * 300, "missing"):
        assert alice.client.get(f"/runs/{name}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [("runs-new", ["cells"], nuclei_form()), ("runs-cancel", ["r1"], {})],
    ids=["runs-new", "runs-cancel"],
)
def test_posts_need_the_csrf_token(
    alice: Actor, alices_run: None, cluster: Cluster, name: str, args: list, data: dict
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.get(username="alice"))
    assert strict.post(reverse(name, args=args), data).status_code == 403
    [run] = cluster.runs()
    assert run["metadata"]["name"] == "r1" and not run["spec"].get("cancelRequested")


@pytest.mark.parametrize(
    ("name", "args"),
    [("runs-queue", []), ("runs-queue-table", []), ("runs-detail", ["r1"]),
     ("runs-status", ["r1"]), ("runs-log", ["r1"]), ("results-project", ["cells"])],
)
def test_read_only_pages_refuse_post(alice: Actor, alices_run: None, name: str, args: list) -> None:
    assert alice.client.post(reverse(name, args=args)).status_code == 405
