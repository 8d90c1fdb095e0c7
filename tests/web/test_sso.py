"""Single sign-on through an auth proxy's header, believed only from trusted proxies."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.sso import is_trusted_proxy


@pytest.fixture
def sso(settings):  # noqa: ANN001, ANN201
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.SSO_TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::1"]
    return settings


def test_a_trusted_proxy_signs_the_user_in_creating_them_once(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="carol@example.org")
    response = client.get(reverse("projects-list"))
    assert response.status_code == 200
    assert b"carol@example.org" in response.content
    client.get(reverse("projects-list"))
    assert User.objects.filter(username="carol@example.org").count() == 1


def test_the_header_from_anyone_else_is_ignored(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 302
    assert not User.objects.filter(username="carol").exists()


def test_the_header_is_ignored_when_sso_is_off(db) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 302


@pytest.mark.parametrize("name", ["../etc", "x" * 151, "-starts-with-dash", "has space"])
def test_names_that_cannot_be_owner_folders_are_refused(db, sso, name: str) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER=name)
    assert client.get(reverse("projects-list")).status_code == 302
    assert User.objects.count() == 0


def test_a_different_header_user_replaces_the_session_user(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="carol")
    client.get(reverse("projects-list"))
    response = client.get(reverse("projects-list"), HTTP_X_FORWARDED_USER="dave")
    assert b"dave" in response.content


def test_a_demo_user_signed_in_by_sso_is_still_read_only(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="demo")
    assert client.post(reverse("projects-create"), {"name": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("10.9.9.9", True),
        ("11.0.0.1", False),
        ("fd00::1", True),
        ("fd00::2", False),
        ("garbage", False),
        ("", False),
    ],
)
def test_trusted_proxies_are_matched_by_address_and_network(address: str, trusted: bool) -> None:
    assert is_trusted_proxy(address, ["10.0.0.0/8", "fd00::1"]) is trusted
