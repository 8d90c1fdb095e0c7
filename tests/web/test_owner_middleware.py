"""accounts.middleware.OwnerMiddleware: every request says who acts for it (or None)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, Actor


def test_nobody_acts_for_an_anonymous_request(db) -> None:  # noqa: ANN001
    response = Client().get(reverse("accounts-login"))
    assert response.wsgi_request.owner is None


def test_a_signed_in_user_is_the_owner(alice: Actor) -> None:
    owner = alice.client.get(reverse("projects-list")).wsgi_request.owner
    assert (owner.slug, owner.is_guest, owner.read_only) == ("alice", False, False)


def test_a_guest_is_the_owner_of_its_space(guest: Actor) -> None:
    owner = guest.client.get(reverse("projects-list")).wsgi_request.owner
    assert (owner.slug, owner.is_guest) == (guest.slug, True)


def test_a_demo_user_is_a_read_only_owner(demo: Actor) -> None:
    assert demo.client.get(reverse("projects-list")).wsgi_request.owner.read_only


def test_starting_a_guest_space_changes_the_owner_at_once(db) -> None:  # noqa: ANN001
    response = Client().post(reverse("accounts-guest"))
    assert response.wsgi_request.owner.is_guest


def test_signing_in_as_a_guest_makes_the_user_the_owner(guest: Actor, alice: Actor) -> None:
    response = guest.client.post(
        reverse("accounts-login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.wsgi_request.owner.slug == "alice"


def test_pages_that_need_an_owner_send_nobody_to_sign_in(db) -> None:  # noqa: ANN001
    response = Client().get(reverse("projects-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
