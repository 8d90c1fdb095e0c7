"""Guests: a space per browser session, with the guest limits."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.identity import GUEST_SESSION_KEY
from accounts.models import Guest
from tests.web.conftest import PASSWORD, Actor, messages_in


def test_continue_as_guest_gives_a_session_its_own_space(guest: Actor) -> None:
    assert guest.slug.startswith("guest-")
    assert Guest.objects.filter(slug=guest.slug).exists()
    response = guest.client.get(reverse("projects-list"))
    assert response.status_code == 200
    assert b"You are a guest" in response.content


def test_two_browsers_get_two_different_guests(db) -> None:  # noqa: ANN001
    first, second = Client(), Client()
    first.post(reverse("accounts-guest"))
    second.post(reverse("accounts-guest"))
    assert first.session[GUEST_SESSION_KEY] != second.session[GUEST_SESSION_KEY]


def test_the_same_browser_keeps_its_guest_space(guest: Actor) -> None:
    guest.client.post(reverse("accounts-guest"))
    assert guest.client.session[GUEST_SESSION_KEY] == guest.slug


def test_a_guest_is_tied_to_the_session_not_the_address(guest: Actor) -> None:
    guest.project("mine")
    stranger = Client(REMOTE_ADDR="127.0.0.1")  # same address as the guest's client
    stranger.post(reverse("accounts-guest"))
    assert stranger.get(reverse("projects-detail", args=["mine"])).status_code == 404


def test_guests_get_the_guest_project_limit(guest: Actor, settings) -> None:  # noqa: ANN001
    settings.GUEST_MAX_PROJECTS = 1
    guest.project("first")
    response = guest.client.post(reverse("projects-create"), {"name": "second"}, follow=True)
    assert messages_in(response) == ["You already have 1 projects; the limit is 1."]
    assert not (guest.home / "second").exists()


def test_starting_a_guest_needs_a_post(db) -> None:  # noqa: ANN001
    assert Client().get(reverse("accounts-guest")).status_code == 405


def test_guests_are_refused_when_turned_off(db, settings) -> None:  # noqa: ANN001
    settings.ALLOW_GUESTS = False
    response = Client().post(reverse("accounts-guest"))
    assert response.status_code == 403
    assert Guest.objects.count() == 0


def test_turning_guests_off_ends_existing_guest_sessions(guest: Actor, settings) -> None:  # noqa: ANN001
    settings.ALLOW_GUESTS = False
    assert guest.client.get(reverse("projects-list")).status_code == 302


def test_leaving_the_guest_space_ends_it_for_this_browser(guest: Actor) -> None:
    guest.client.post(reverse("accounts-logout"))
    assert guest.client.get(reverse("projects-list")).status_code == 302


def test_signing_in_replaces_the_guest_space(guest: Actor, alice: Actor) -> None:
    guest.client.post(reverse("accounts-login"), {"username": "alice", "password": PASSWORD})
    assert GUEST_SESSION_KEY not in guest.client.session
    response = guest.client.get(reverse("projects-list"))
    assert b"alice" in response.content


def test_guests_have_no_password_to_change(guest: Actor) -> None:
    response = guest.client.get(reverse("accounts-password-change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
