"""The projects page lists the owner's projects and how much of their quota they use."""

from __future__ import annotations

from django.urls import reverse

from tests.web.conftest import Actor


def test_it_works(alice: Actor) -> None:
    alice.project("cells", {"a.tif": b"12345"})
    alice.project("nuclei")
    response = alice.client.get(reverse("projects-list"))
    assert response.status_code == 200
    assert [entry.name for entry in response.context["projects"]] == ["cells", "nuclei"]
    assert b"2 of 50 projects" in response.content
    assert b"1 of 100000 files" in response.content


def test_it_shows_only_the_owners_projects(alice: Actor, bob: Actor) -> None:
    alice.project("alices-secret")
    response = bob.client.get(reverse("projects-list"))
    assert b"alices-secret" not in response.content
    assert b"No projects yet" in response.content


def test_it_skips_folders_that_are_not_projects(alice: Actor) -> None:
    alice.project("good")
    (alice.home / ".hidden").mkdir()
    (alice.home / "stray-file").write_text("x")
    response = alice.client.get(reverse("projects-list"))
    assert [entry.name for entry in response.context["projects"]] == ["good"]


def test_it_rejects_post(alice: Actor) -> None:
    assert alice.client.post(reverse("projects-list")).status_code == 405
