"""Creating a project."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.conftest import Actor, messages_in


def test_it_works(alice: Actor) -> None:
    response = alice.client.post(reverse("projects-create"), {"name": "cells 2024"})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects-detail", args=["cells 2024"])
    assert (alice.home / "cells 2024").is_dir()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../escape", "A name cannot contain “/” or “\\”."),
        (".hidden", "Project names use letters"),
        ("x" * 65, "at most 64 characters"),
        ("", "A name cannot be empty."),
    ],
)
def test_it_refuses_bad_names_with_a_clear_message(alice: Actor, name: str, message: str) -> None:
    response = alice.client.post(reverse("projects-create"), {"name": name}, follow=True)
    assert message in messages_in(response)[0]
    assert not alice.home.exists() or list(alice.home.iterdir()) == []


def test_it_refuses_a_duplicate(alice: Actor) -> None:
    alice.project("cells", {"keep.txt": b"keep"})
    response = alice.client.post(reverse("projects-create"), {"name": "cells"}, follow=True)
    assert messages_in(response) == ["You already have a project called “cells”."]
    assert (alice.home / "cells" / "keep.txt").read_bytes() == b"keep"


def test_it_enforces_the_project_limit(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_PROJECTS = 2
    alice.project("one")
    alice.project("two")
    response = alice.client.post(reverse("projects-create"), {"name": "three"}, follow=True)
    assert messages_in(response) == ["You already have 2 projects; the limit is 2."]
    assert not (alice.home / "three").exists()


def test_it_rejects_get(alice: Actor) -> None:
    assert alice.client.get(reverse("projects-create")).status_code == 405


def test_it_requires_write_access(demo: Actor) -> None:
    assert demo.client.post(reverse("projects-create"), {"name": "x"}).status_code == 403
    assert not demo.home.exists()


def test_it_requires_a_login(db) -> None:  # noqa: ANN001
    from django.test import Client

    response = Client().post(reverse("projects-create"), {"name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
