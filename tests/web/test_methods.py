"""Each URL answers only the methods it is for; the others get 405."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.conftest import Actor

GET_ONLY = [
    ("projects-list", []),
    ("projects-detail", ["cells"]),
    ("projects-browse", ["cells", "raw"]),
    ("projects-file", ["cells", "raw/a.txt"]),
    ("projects-zip", ["cells", ""]),
]
POST_ONLY = [
    ("projects-create", []),
    ("projects-rename", ["cells"]),
    ("projects-delete", ["cells"]),
    ("projects-mkdir", ["cells", ""]),
    ("projects-upload", ["cells", ""]),
    ("projects-entry-rename", ["cells", "raw/a.txt"]),
    ("projects-entry-delete", ["cells", "raw/a.txt"]),
    ("accounts-guest", []),
    ("accounts-logout", []),
]


@pytest.fixture
def alice_with_cells(alice: Actor) -> Actor:
    alice.project("cells", {"raw/a.txt": b"a"})
    return alice


@pytest.mark.parametrize(("name", "args"), GET_ONLY, ids=[name for name, _ in GET_ONLY])
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_read_urls_reject_other_methods(
    alice_with_cells: Actor, name: str, args: list, method: str
) -> None:
    response = getattr(alice_with_cells.client, method)(reverse(name, args=args))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(("name", "args"), POST_ONLY, ids=[name for name, _ in POST_ONLY])
@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_change_urls_reject_other_methods(
    alice_with_cells: Actor, name: str, args: list, method: str
) -> None:
    response = getattr(alice_with_cells.client, method)(reverse(name, args=args))
    assert response.status_code == 405
    assert (alice_with_cells.home / "cells" / "raw" / "a.txt").exists()
