"""Signing in and out."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, Actor


def test_anonymous_visitors_are_sent_to_the_login_page(db) -> None:  # noqa: ANN001
    response = Client().get(reverse("projects-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_the_login_page_renders_with_the_guest_button(db) -> None:  # noqa: ANN001
    response = Client().get(reverse("accounts-login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"Continue as guest" in response.content


def test_it_hides_the_guest_button_when_guests_are_off(db, settings) -> None:  # noqa: ANN001
    settings.ALLOW_GUESTS = False
    response = Client().get(reverse("accounts-login"))
    assert b"Continue as guest" not in response.content


def test_a_user_signs_in_with_the_right_password(alice: Actor) -> None:
    client = Client()
    response = client.post(reverse("accounts-login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects-list")
    assert client.get(reverse("projects-list")).status_code == 200


def test_a_wrong_password_gets_a_message_and_no_session(alice: Actor) -> None:
    client = Client()
    response = client.post(reverse("accounts-login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert client.get(reverse("projects-list")).status_code == 302


def test_signing_out_ends_the_session(alice: Actor) -> None:
    response = alice.client.post(reverse("accounts-logout"))
    assert response.status_code == 302
    assert alice.client.get(reverse("projects-list")).status_code == 302


def test_signing_out_needs_a_post(alice: Actor) -> None:
    assert alice.client.get(reverse("accounts-logout")).status_code == 405


def test_the_page_names_the_user_and_offers_sign_out(alice: Actor) -> None:
    response = alice.client.get(reverse("projects-list"))
    assert b"alice" in response.content
    assert b"Sign out" in response.content
    assert b"Change password" in response.content


def test_the_home_page_leads_to_the_projects(alice: Actor) -> None:
    response = alice.client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects-list")


def test_the_admin_works_for_a_superuser(db) -> None:  # noqa: ANN001
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/accounts/guest/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
