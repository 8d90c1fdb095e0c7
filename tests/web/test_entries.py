"""Renaming and deleting files and folders inside a project."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse

from tests.web.conftest import Actor, messages_in


def test_renaming_a_file_works(alice: Actor) -> None:
    alice.project("cells", {"raw/a.tif": b"a"})
    response = alice.client.post(
        reverse("projects-entry-rename", args=["cells", "raw/a.tif"]),
        {"new_name": "b.tif"},
        follow=True,
    )
    assert messages_in(response) == ["Renamed “a.tif” to “b.tif”."]
    assert response.redirect_chain[-1][0] == reverse("projects-browse", args=["cells", "raw"])
    assert (alice.home / "cells" / "raw" / "b.tif").read_bytes() == b"a"
    assert not (alice.home / "cells" / "raw" / "a.tif").exists()


def test_renaming_a_folder_works(alice: Actor) -> None:
    alice.project("cells", {"raw/a.tif": b"a"})
    alice.client.post(
        reverse("projects-entry-rename", args=["cells", "raw"]), {"new_name": "input"}
    )
    assert (alice.home / "cells" / "input" / "a.tif").exists()


def test_renaming_refuses_to_replace_or_to_move_elsewhere(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"a", "b.txt": b"b"})
    for new_name, message in [
        ("b.txt", "already exists"),
        ("../a.txt", "cannot contain"),
        ("..", "cannot be used"),
    ]:
        response = alice.client.post(
            reverse("projects-entry-rename", args=["cells", "a.txt"]),
            {"new_name": new_name},
            follow=True,
        )
        assert message in messages_in(response)[0]
    assert sorted(p.name for p in (alice.home / "cells").iterdir()) == ["a.txt", "b.txt"]
    assert (alice.home / "cells" / "b.txt").read_bytes() == b"b"


def test_renaming_a_missing_entry_is_404(alice: Actor) -> None:
    alice.project("cells")
    url = reverse("projects-entry-rename", args=["cells", "ghost.txt"])
    assert alice.client.post(url, {"new_name": "x"}).status_code == 404


def test_the_project_root_is_not_an_entry(alice: Actor) -> None:
    alice.project("cells")
    assert (
        alice.client.post(
            reverse("projects-entry-rename", args=["cells", ""]), {"new_name": "x"}
        ).status_code
        == 404
    )
    assert (
        alice.client.post(reverse("projects-entry-delete", args=["cells", ""])).status_code == 404
    )
    assert (alice.home / "cells").is_dir()


def test_deleting_a_file_works(alice: Actor) -> None:
    alice.project("cells", {"raw/a.tif": b"a", "raw/b.tif": b"b"})
    response = alice.client.post(
        reverse("projects-entry-delete", args=["cells", "raw/a.tif"]), follow=True
    )
    assert messages_in(response) == ["Deleted “a.tif”."]
    assert [p.name for p in (alice.home / "cells" / "raw").iterdir()] == ["b.tif"]


def test_deleting_a_folder_removes_everything_in_it(alice: Actor, settings) -> None:  # noqa: ANN001
    alice.project("cells", {"raw/deep/a.tif": b"a", "keep.txt": b"k"})
    alice.client.post(reverse("projects-entry-delete", args=["cells", "raw"]))
    assert [p.name for p in (alice.home / "cells").iterdir()] == ["keep.txt"]
    assert list((Path(settings.DATA_ROOT) / ".staging").iterdir()) == []


def test_deleting_a_link_removes_the_link_not_its_target(alice: Actor, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    project = alice.project("cells")
    (project / "link").symlink_to(outside)
    alice.client.post(reverse("projects-entry-delete", args=["cells", "link"]))
    assert not (project / "link").is_symlink()
    assert (outside / "precious.txt").read_text() == "keep"


def test_nothing_is_changed_through_a_symlinked_folder(alice: Actor, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    project = alice.project("cells")
    (project / "link").symlink_to(outside)
    response = alice.client.post(
        reverse("projects-entry-delete", args=["cells", "link/precious.txt"])
    )
    assert response.status_code == 404  # a link is not a folder: nothing behind it exists
    response = alice.client.post(
        reverse("projects-entry-rename", args=["cells", "link/precious.txt"]), {"new_name": "gone"}
    )
    assert response.status_code == 404
    assert (outside / "precious.txt").read_text() == "keep"


def test_entries_check_owner(alice: Actor, bob: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    assert (
        bob.client.post(reverse("projects-entry-delete", args=["cells", "a.txt"])).status_code
        == 404
    )
    url = reverse("projects-entry-rename", args=["cells", "a.txt"])
    assert bob.client.post(url, {"new_name": "b.txt"}).status_code == 404
    assert (alice.home / "cells" / "a.txt").exists()


def test_entries_reject_get(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    assert (
        alice.client.get(reverse("projects-entry-delete", args=["cells", "a.txt"])).status_code
        == 405
    )
    assert (
        alice.client.get(reverse("projects-entry-rename", args=["cells", "a.txt"])).status_code
        == 405
    )
    assert (alice.home / "cells" / "a.txt").exists()


def test_entries_require_write_access(demo: Actor) -> None:
    demo.project("cells", {"a.txt": b"a"})
    assert (
        demo.client.post(reverse("projects-entry-delete", args=["cells", "a.txt"])).status_code
        == 403
    )
    url = reverse("projects-entry-rename", args=["cells", "a.txt"])
    assert demo.client.post(url, {"new_name": "b.txt"}).status_code == 403
    assert (demo.home / "cells" / "a.txt").exists()
