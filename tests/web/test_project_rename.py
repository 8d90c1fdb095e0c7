"""Renaming a project."""

from __future__ import annotations

from django.urls import reverse

from tests.web.conftest import Actor, messages_in


def test_it_works(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    response = alice.client.post(
        reverse("projects-rename", args=["cells"]), {"new_name": "cells-v2"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("projects-detail", args=["cells-v2"])
    assert (alice.home / "cells-v2" / "a.txt").read_bytes() == b"a"
    assert not (alice.home / "cells").exists()


def test_it_refuses_an_existing_name(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    alice.project("other", {"b.txt": b"b"})
    response = alice.client.post(
        reverse("projects-rename", args=["cells"]), {"new_name": "other"}, follow=True
    )
    assert messages_in(response) == ["You already have a project called “other”."]
    assert (alice.home / "other" / "b.txt").exists() and (alice.home / "cells" / "a.txt").exists()


def test_it_refuses_a_bad_new_name(alice: Actor) -> None:
    alice.project("cells")
    for new_name in ["../bob/cells", ".hidden", "a/b"]:
        response = alice.client.post(
            reverse("projects-rename", args=["cells"]), {"new_name": new_name}, follow=True
        )
        assert messages_in(response)
    assert [p.name for p in alice.home.iterdir()] == ["cells"]


def test_it_checks_owner(alice: Actor, bob: Actor) -> None:
    alice.project("cells")
    response = bob.client.post(reverse("projects-rename", args=["cells"]), {"new_name": "mine"})
    assert response.status_code == 404
    assert (alice.home / "cells").exists()


def test_it_rejects_get(alice: Actor) -> None:
    alice.project("cells")
    assert alice.client.get(reverse("projects-rename", args=["cells"])).status_code == 405


def test_it_requires_write_access(demo: Actor) -> None:
    demo.project("cells")
    assert (
        demo.client.post(reverse("projects-rename", args=["cells"]), {"new_name": "x"}).status_code
        == 403
    )
    assert (demo.home / "cells").exists()
