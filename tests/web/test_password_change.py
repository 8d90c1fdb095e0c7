"""Changing one's password."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from tests.web.conftest import PASSWORD, Actor


def test_it_works(alice: Actor) -> None:
    assert alice.client.get(reverse("accounts-password-change")).status_code == 200
    response = alice.client.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts-password-change-done")
    assert User.objects.get(username="alice").check_password("a-new-long-passphrase")
    assert alice.client.get(reverse("accounts-password-change-done")).status_code == 200


def test_it_needs_the_old_password(alice: Actor) -> None:
    response = alice.client.post(
        reverse("accounts-password-change"),
        {
            "old_password": "wrong",
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 200
    assert User.objects.get(username="alice").check_password(PASSWORD)


def test_it_requires_write_access(demo: Actor) -> None:
    response = demo.client.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 403
    assert User.objects.get(username="demo").check_password(PASSWORD)
