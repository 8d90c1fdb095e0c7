"""Every change needs the CSRF token; without it the answer is 403 and nothing changes."""

from __future__ import annotations


import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, UPLOAD, Actor, form, tree

POSTS = [
    ("projects-create", [], {"name": "new"}),
    ("projects-rename", ["cells"], {"new_name": "renamed"}),
    ("projects-delete", ["cells"], {}),
    ("projects-mkdir", ["cells", ""], {"name": "planted"}),
    ("projects-upload", ["cells", ""], {"files": UPLOAD}),
    ("projects-entry-rename", ["cells", "a.txt"], {"new_name": "b.txt"}),
    ("projects-entry-delete", ["cells", "a.txt"], {}),
    ("accounts-logout", [], {}),
    (
        "accounts-password-change",
        [],
        {
            "old_password": PASSWORD,
            "new_password1": "n3w-passphrase!",
            "new_password2": "n3w-passphrase!",
        },
    ),
]


@pytest.fixture
def strict_alice(alice: Actor) -> Actor:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="alice"))
    alice.project("cells", {"a.txt": b"a"})
    return Actor(client=client, slug="alice")


@pytest.mark.parametrize(("name", "args", "data"), POSTS, ids=[name for name, _, _ in POSTS])
def test_a_post_without_the_token_is_refused(
    strict_alice: Actor, name: str, args: list, data: dict
) -> None:
    before = tree()
    response = strict_alice.client.post(reverse(name, args=args), form(data))
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert tree() == before
    assert User.objects.get(username="alice").check_password(PASSWORD)
    assert strict_alice.client.get(reverse("projects-list")).status_code == 200  # still signed in


def test_a_post_with_the_token_from_the_page_works(strict_alice: Actor) -> None:
    page = strict_alice.client.get(reverse("projects-list"))
    token = page.context["csrf_token"]
    response = strict_alice.client.post(
        reverse("projects-create"), {"name": "new", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert (strict_alice.home / "new").is_dir()


def test_the_upload_script_sends_the_token_as_a_header(strict_alice: Actor) -> None:
    page = strict_alice.client.get(reverse("projects-detail", args=["cells"]))
    response = strict_alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("up.txt", b"x")]},
        HTTP_X_CSRFTOKEN=str(page.context["csrf_token"]),
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 200
    assert (strict_alice.home / "cells" / "up.txt").exists()


def test_starting_a_guest_needs_the_token(db) -> None:  # noqa: ANN001
    from accounts.models import Guest

    assert Client(enforce_csrf_checks=True).post(reverse("accounts-guest")).status_code == 403
    assert Guest.objects.count() == 0


def test_signing_in_needs_the_token(alice: Actor) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts-login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
