"""Creating an upload (POST): checked before a byte is sent, refusals as plain-text messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Upload
from tests.web.conftest import Actor
from tests.web.tus.conftest import TUS, create, staged


@pytest.fixture
def cells(alice: Actor) -> Actor:
    alice.project("cells", {"taken.txt": b"old", "sub": None})
    return alice


def test_it_works(cells: Actor) -> None:
    response = create(cells.client, "cells", 10, "new.tif", "sub")
    assert response.status_code == 201
    upload = Upload.objects.get()
    assert response["Location"] == f"/uploads/{upload.id}/"
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Upload-Expires"].endswith(" GMT")
    assert (upload.folder, upload.filename, upload.length, upload.state) == (
        "sub", "new.tif", 10, "receiving")
    assert staged() == [f"tus-{upload.id}.part"]


def test_options_say_what_the_server_speaks(cells: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_UPLOAD_BYTES = 12345
    response = cells.client.options(reverse("projects-tus", args=["cells", ""]))
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,termination,checksum,expiration"
    assert response["Tus-Checksum-Algorithm"] == "sha1,sha256,md5"
    assert response["Tus-Max-Size"] == "12345"


def test_the_quota_is_checked_against_upload_length(cells: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 100  # taken.txt holds 3
    response = create(cells.client, "cells", 98, "big.bin")
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "This needs 98\xa0bytes but only 97\xa0bytes of your 100\xa0bytes are left.")
    assert not Upload.objects.exists()
    assert staged() == []


def test_the_per_upload_limit_is_checked(cells: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_UPLOAD_BYTES = 50
    response = create(cells.client, "cells", 51, "big.bin")
    assert response.status_code == 413
    assert "one upload can be at most 50" in response.content.decode()
    assert staged() == []


def test_unfinished_uploads_are_reserved(cells: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 100
    settings.USER_MAX_FILES = 3  # taken.txt is one
    assert create(cells.client, "cells", 60, "a.bin").status_code == 201
    response = create(cells.client, "cells", 40, "b.bin")
    assert response.status_code == 413
    assert response.content.decode().startswith("This needs 40\xa0bytes but only 37\xa0bytes")
    assert create(cells.client, "cells", 1, "c.bin").status_code == 201
    response = create(cells.client, "cells", 1, "d.bin")
    assert response.content.decode() == (
        "This would make 4 files; you can keep at most 3 (you have 3).")


def test_a_name_clash_is_refused(cells: Actor) -> None:
    response = create(cells.client, "cells", 3, "taken.txt")
    assert response.status_code == 409
    assert response.content.decode() == (
        "“taken.txt” already exists here; rename or delete it first.")
    response = create(cells.client, "cells", 3, "sub", replace="1")
    assert response.status_code == 409
    assert response.content.decode() == "“sub” is a folder here; a file cannot replace it."
    assert create(cells.client, "cells", 3, "taken.txt", replace="1").status_code == 201
    assert staged() == [f"tus-{Upload.objects.get().id}.part"]


def test_a_link_on_the_way_is_refused(cells: Actor) -> None:
    (cells.home / "cells" / "plate1").symlink_to(cells.home / "cells" / "sub")
    (cells.home / "cells" / "notes").write_bytes(b"a file, not a folder")
    for name in ["plate1/A01.tif", "notes/A01.tif"]:
        response = create(cells.client, "cells", 3, name)
        assert response.status_code == 409, name
        assert "is not a folder here (a link or a file is in the way)" in (
            response.content.decode())
    assert not Upload.objects.exists()


@pytest.mark.parametrize(("name", "message"), [
    ("../escape.txt", "A path cannot contain empty, “.” or “..” parts."),
    ("/etc/passwd", "A path must be relative, not start with “/”."),
    ("a\\b", "A name cannot contain “/” or “\\”."),
    ("bad\nname", "A name cannot contain control characters"),
])
def test_unsafe_names_are_refused(cells: Actor, name: str, message: str) -> None:
    response = create(cells.client, "cells", 3, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Upload.objects.exists()


def test_bad_headers_are_refused(cells: Actor) -> None:
    url = reverse("projects-tus", args=["cells", ""])
    response = cells.client.post(url, headers={**TUS, "Upload-Metadata": "filename YS50eHQ="})
    assert response.status_code == 400
    assert response.content.decode() == "Upload-Length must be given as a whole number of bytes."
    response = cells.client.post(url, headers={"Upload-Length": "3"})
    assert response.status_code == 412


def test_it_checks_owner(cells: Actor, bob: Actor) -> None:
    response = create(bob.client, "cells", 3, "mine.txt")
    assert response.status_code == 404
    response = create(cells.client, "cells", 3, "x.txt", "no/such/folder")
    assert response.status_code == 404
    assert response.content.decode() == "No such folder."


def test_it_requires_write_access(demo: Actor) -> None:
    demo.project("cells")
    response = create(demo.client, "cells", 3, "x.txt")
    assert response.status_code == 403
    assert "demo account" in response.content.decode()
    assert staged() == []


def test_it_requires_an_owner(cells: Actor) -> None:
    from django.test import Client

    response = create(Client(), "cells", 3, "x.txt")
    assert response.status_code == 403


def test_an_empty_file_lands_at_once(cells: Actor) -> None:
    response = create(cells.client, "cells", 0, "empty.txt")
    assert response.status_code == 201
    assert (cells.home / "cells" / "empty.txt").read_bytes() == b""
    assert Upload.objects.get().state == "landed"
