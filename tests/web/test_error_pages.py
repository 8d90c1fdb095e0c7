"""Errors get our own short pages, never a traceback."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.web.conftest import Actor


def test_404_uses_our_page(alice: Actor) -> None:
    response = alice.client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is nothing here, or it is not yours to see." in response.content
    assert b"Traceback" not in response.content


def test_400_uses_our_page_for_unsafe_paths(alice: Actor) -> None:
    alice.project("cells")
    response = alice.client.get("/projects/cells/browse/%2e%2e/x")
    assert response.status_code == 400
    assert b"That request was not valid" in response.content


def test_403_says_why(demo: Actor) -> None:
    response = demo.client.post(reverse("projects-create"), {"name": "x"})
    assert response.status_code == 403
    assert b"you can look around, but not change anything" in response.content


def test_500_uses_our_page() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_an_unexpected_error_becomes_the_500_page(alice: Actor, settings) -> None:  # noqa: ANN001
    broken = settings.DATA_ROOT / "not-a-folder"
    broken.write_text("the data volume is not mounted right")
    settings.DATA_ROOT = broken
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="alice"))
    response = client.get(reverse("projects-list"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"Traceback" not in response.content
