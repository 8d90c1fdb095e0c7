"""Deleting a project."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse

from tests.web.conftest import Actor, messages_in


def test_it_works(alice: Actor, settings) -> None:  # noqa: ANN001
    alice.project("cells", {"a/b/c.txt": b"c", "d.txt": b"d"})
    response = alice.client.post(reverse("projects-delete", args=["cells"]), follow=True)
    assert messages_in(response) == ["Deleted project “cells”."]
    assert not (alice.home / "cells").exists()
    assert list((Path(settings.DATA_ROOT) / ".staging").iterdir()) == []


def test_it_does_not_follow_symlinks_out_of_the_project(alice: Actor, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    project = alice.project("cells")
    (project / "link").symlink_to(outside)
    alice.client.post(reverse("projects-delete", args=["cells"]))
    assert (outside / "precious.txt").read_text() == "keep me"
    assert not project.exists()


def test_it_checks_owner(alice: Actor, bob: Actor, guest: Actor) -> None:
    alice.project("cells")
    assert bob.client.post(reverse("projects-delete", args=["cells"])).status_code == 404
    assert guest.client.post(reverse("projects-delete", args=["cells"])).status_code == 404
    assert (alice.home / "cells").exists()


def test_it_rejects_get(alice: Actor) -> None:
    alice.project("cells")
    assert alice.client.get(reverse("projects-delete", args=["cells"])).status_code == 405
    assert (alice.home / "cells").exists()


def test_it_requires_write_access(demo: Actor) -> None:
    demo.project("cells")
    assert demo.client.post(reverse("projects-delete", args=["cells"])).status_code == 403
    assert (demo.home / "cells").exists()
