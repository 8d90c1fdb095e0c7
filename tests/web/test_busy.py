"""A project a run is using cannot change; the page says why and offers no change buttons."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from projects import busy
from tests.web.conftest import UPLOAD, Actor, form, messages_in, tree

REASON = "run nuclei-x7k2 is Running."


@pytest.fixture
def busy_cells(alice: Actor, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The hook is ours (the runs app will answer it from the Kubernetes API).
    monkeypatch.setattr(
        busy,
        "project_is_busy",
        lambda owner, project: REASON if (owner, project) == ("alice", "cells") else None,
    )
    return alice.project("cells", {"raw/a.txt": b"a"})


CHANGES = [
    ("projects-rename", ["cells"], {"new_name": "renamed"}),
    ("projects-delete", ["cells"], {}),
    ("projects-mkdir", ["cells", ""], {"name": "new"}),
    ("projects-upload", ["cells", ""], {"files": UPLOAD}),
    ("projects-entry-rename", ["cells", "raw/a.txt"], {"new_name": "b.txt"}),
    ("projects-entry-delete", ["cells", "raw"], {}),
]


@pytest.mark.parametrize(("name", "args", "data"), CHANGES, ids=[name for name, _, _ in CHANGES])
def test_every_change_is_refused_with_the_reason(
    alice: Actor, busy_cells: Path, name: str, args: list, data: dict
) -> None:
    before = tree(busy_cells)
    response = alice.client.post(reverse(name, args=args), form(data), follow=True)
    assert messages_in(response) == [f"“cells” cannot be changed right now: {REASON}"]
    assert tree(busy_cells) == before


def test_the_page_shows_the_reason_and_hides_change_buttons(alice: Actor, busy_cells: Path) -> None:
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert REASON.encode() in response.content
    assert b'id="upload-form"' not in response.content
    assert b"Delete project" not in response.content
    assert b"Download the project as zip" in response.content


def test_reading_still_works(alice: Actor, busy_cells: Path) -> None:
    assert (
        alice.client.get(reverse("projects-file", args=["cells", "raw/a.txt"])).status_code == 200
    )
    assert alice.client.get(reverse("projects-zip", args=["cells", ""])).status_code == 200


def test_other_projects_are_not_affected(alice: Actor, busy_cells: Path) -> None:
    alice.project("other")
    response = alice.client.post(reverse("projects-mkdir", args=["other", ""]), {"name": "new"})
    assert response.status_code == 302
    assert (alice.home / "other" / "new").is_dir()
