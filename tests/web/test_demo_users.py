"""Demo users may look at everything they own and change nothing (403 on every change)."""

from __future__ import annotations


import pytest
from django.urls import reverse

from tests.web.conftest import PASSWORD, UPLOAD, Actor, form, tree

CHANGES = [
    ("projects-create", [], {"name": "new"}),
    ("projects-rename", ["cells"], {"new_name": "renamed"}),
    ("projects-delete", ["cells"], {}),
    ("projects-mkdir", ["cells", ""], {"name": "new"}),
    ("projects-upload", ["cells", ""], {"files": UPLOAD}),
    ("projects-entry-rename", ["cells", "a.txt"], {"new_name": "b.txt"}),
    ("projects-entry-delete", ["cells", "a.txt"], {}),
    (
        "accounts-password-change",
        [],
        {
            "old_password": PASSWORD,
            "new_password1": "x-9-long-pass",
            "new_password2": "x-9-long-pass",
        },
    ),
]


@pytest.mark.parametrize(("name", "args", "data"), CHANGES, ids=[name for name, _, _ in CHANGES])
def test_every_change_is_forbidden(demo: Actor, name: str, args: list, data: dict) -> None:
    demo.project("cells", {"a.txt": b"a"})
    before = tree()
    response = demo.client.post(reverse(name, args=args), form(data))
    assert response.status_code == 403
    assert b"This is a demo account" in response.content
    assert tree() == before


def test_looking_works(demo: Actor) -> None:
    demo.project("cells", {"raw/a.txt": b"a"})
    assert demo.client.get(reverse("projects-list")).status_code == 200
    assert demo.client.get(reverse("projects-browse", args=["cells", "raw"])).status_code == 200
    assert demo.client.get(reverse("projects-file", args=["cells", "raw/a.txt"])).status_code == 200


def test_the_header_offers_no_password_change(demo: Actor) -> None:
    response = demo.client.get(reverse("projects-list"))
    assert b"Change password" not in response.content
    assert b"Sign out" in response.content
