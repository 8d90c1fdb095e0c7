"""Nobody reaches another owner's project by any URL: it answers 404 and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.web.conftest import UPLOAD, Actor, form, tree

# (method, url, form data) for every URL that takes a project (and a path in it).
REQUESTS: list[tuple[str, Callable[[], str], dict]] = [
    ("get", lambda: reverse("projects-detail", args=["cells"]), {}),
    ("get", lambda: reverse("projects-browse", args=["cells", "raw"]), {}),
    ("get", lambda: reverse("projects-file", args=["cells", "raw/a.txt"]), {}),
    ("get", lambda: reverse("projects-zip", args=["cells", ""]), {}),
    ("get", lambda: reverse("projects-zip", args=["cells", "raw"]), {}),
    ("post", lambda: reverse("projects-rename", args=["cells"]), {"new_name": "stolen"}),
    ("post", lambda: reverse("projects-delete", args=["cells"]), {}),
    ("post", lambda: reverse("projects-mkdir", args=["cells", "raw"]), {"name": "planted"}),
    ("post", lambda: reverse("projects-upload", args=["cells", "raw"]), {"files": UPLOAD}),
    (
        "post",
        lambda: reverse("projects-entry-rename", args=["cells", "raw/a.txt"]),
        {"new_name": "b.txt"},
    ),
    ("post", lambda: reverse("projects-entry-delete", args=["cells", "raw/a.txt"]), {}),
    ("post", lambda: reverse("projects-entry-delete", args=["cells", "raw"]), {}),
]
IDS = [f"{method}-{index}" for index, (method, _, _) in enumerate(REQUESTS)]


@pytest.fixture
def alices_project(alice: Actor) -> Path:
    return alice.project("cells", {"raw/a.txt": b"alice's data"})


@pytest.mark.parametrize(("method", "url", "data"), REQUESTS, ids=IDS)
def test_another_user_gets_404(
    alices_project: Path, bob: Actor, method: str, url, data: dict
) -> None:  # noqa: ANN001
    before = tree()
    assert getattr(bob.client, method)(url(), form(data)).status_code == 404
    assert tree() == before


@pytest.mark.parametrize(("method", "url", "data"), REQUESTS, ids=IDS)
def test_a_guest_gets_404(alices_project: Path, guest: Actor, method: str, url, data: dict) -> None:  # noqa: ANN001
    before = tree()
    assert getattr(guest.client, method)(url(), form(data)).status_code == 404
    assert tree() == before


def test_a_user_cannot_reach_a_guests_project(guest: Actor, alice: Actor) -> None:
    guest.project("cells", {"raw/a.txt": b"guest data"})
    assert alice.client.get(reverse("projects-detail", args=["cells"])).status_code == 404


def test_a_same_named_project_is_always_ones_own(alices_project: Path, bob: Actor) -> None:
    bob.project("cells", {"raw/a.txt": b"bob's data"})
    response = bob.client.get(reverse("projects-file", args=["cells", "raw/a.txt"]))
    assert b"".join(response.streaming_content) == b"bob's data"


@pytest.mark.parametrize(
    "url",
    [
        "/projects/cells/browse/../../alice/cells",
        "/projects/cells/browse/%2e%2e/%2e%2e/alice/cells",
        "/projects/cells/browse/%2E%2E%2F%2E%2E%2Falice%2Fcells",
        "/projects/cells/file/%2e%2e%2f%2e%2e%2falice%2fcells%2fraw%2fa.txt",
        "/projects/cells/zip/%2e%2e%2f%2e%2e%2falice",
        "/projects/cells/browse/%2Fetc",
        "/projects/cells/file/..%5c..%5calice%5ccells%5craw%5ca.txt",
        "/projects/cells/browse/raw%00",
    ],
)
def test_url_encoded_traversal_is_refused(alices_project: Path, bob: Actor, url: str) -> None:
    bob.project("cells")
    response = bob.client.get(url)
    assert response.status_code == 400
    assert b"alice's data" not in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/projects/%2e%2e/browse/alice/cells/raw",
        "/projects/..%2Falice%2Fcells/",
        "/projects/%252e%252e%252falice/",
        "/projects/cells/browse/%252e%252e%252f%252e%252e%252falice",
    ],
)
def test_traversal_through_the_project_name_or_double_encoding_finds_nothing(
    alices_project: Path, bob: Actor, url: str
) -> None:
    bob.project("cells")
    response = bob.client.get(url)
    assert response.status_code == 404
    assert b"alice's data" not in response.content


def test_url_encoded_traversal_cannot_write_outside(alices_project: Path, bob: Actor) -> None:
    bob.project("cells")
    before = tree()
    responses = [
        bob.client.post(
            "/projects/cells/mkdir/%2e%2e%2f%2e%2e%2falice%2fcells", {"name": "planted"}
        ),
        bob.client.post(
            "/projects/cells/delete-entry/%2e%2e%2f%2e%2e%2falice%2fcells%2fraw%2fa.txt"
        ),
        bob.client.post(
            "/projects/cells/upload/%2e%2e%2f%2e%2e%2falice%2fcells",
            {"files": [SimpleUploadedFile("p.txt", b"x")]},
        ),
    ]
    assert [response.status_code for response in responses] == [400, 400, 400]
    assert tree() == before
