"""Uploading many files at once: streamed to staging, then all moved in, or none."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import reverse

from tests.web.conftest import Actor, messages_in, staging_leftovers

BOUNDARY = "----kubeshowcase-test-boundary"


def files(**contents: bytes) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name.replace("__", "."), content) for name, content in contents.items()
    ]


def upload_url(project: str, folder: str = "") -> str:
    return reverse("projects-upload", args=[project, folder])


def test_it_works(alice: Actor) -> None:
    project = alice.project("cells")
    response = alice.client.post(
        upload_url("cells"),
        {"files": files(a__tif=b"A" * 10, b__tif=b"B" * 20, c__csv=b"x,y\n")},
        follow=True,
    )
    assert messages_in(response) == ["Uploaded 3 files (34\xa0bytes)."]
    assert response.redirect_chain[-1][0] == reverse("projects-detail", args=["cells"])
    assert (project / "a.tif").read_bytes() == b"A" * 10
    assert (project / "b.tif").read_bytes() == b"B" * 20
    assert (project / "c.csv").read_bytes() == b"x,y\n"
    assert stat.S_IMODE((project / "a.tif").stat().st_mode) == 0o664
    assert staging_leftovers() == []


def test_it_uploads_into_a_sub_folder(alice: Actor) -> None:
    project = alice.project("cells", {"raw/day1": None})
    response = alice.client.post(upload_url("cells", "raw/day1"), {"files": files(a__tif=b"A")})
    assert response["Location"] == reverse("projects-browse", args=["cells", "raw/day1"])
    assert (project / "raw" / "day1" / "a.tif").read_bytes() == b"A"


def test_the_upload_script_gets_json(alice: Actor) -> None:
    alice.project("cells")
    response = alice.client.post(
        upload_url("cells"), {"files": files(a__txt=b"a")}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": "Uploaded 1 file (1\xa0byte)."}


def test_an_existing_name_stops_the_whole_upload(alice: Actor) -> None:
    project = alice.project("cells", {"b.tif": b"precious"})
    response = alice.client.post(
        upload_url("cells"), {"files": files(a__tif=b"A", b__tif=b"B")}, follow=True
    )
    assert messages_in(response) == ["“b.tif” already exists here; rename or delete it first."]
    assert sorted(p.name for p in project.iterdir()) == ["b.tif"]
    assert (project / "b.tif").read_bytes() == b"precious"
    assert staging_leftovers() == []


def test_the_same_name_twice_in_one_upload_is_refused(alice: Actor) -> None:
    project = alice.project("cells")
    twins = [SimpleUploadedFile("a.tif", b"1"), SimpleUploadedFile("a.tif", b"2")]
    response = alice.client.post(
        upload_url("cells"), {"files": twins}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["message"]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_the_byte_quota_gives_a_clear_message_and_changes_nothing(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 100
    project = alice.project("cells", {"old.bin": b"x" * 60})
    response = alice.client.post(
        upload_url("cells"), {"files": files(a__bin=b"y" * 30, b__bin=b"z" * 30)}, follow=True
    )
    assert messages_in(response) == [
        "This needs 60\xa0bytes but only 40\xa0bytes of your 100\xa0bytes are left."
    ]
    assert sorted(p.name for p in project.iterdir()) == ["old.bin"]
    assert staging_leftovers() == []


def test_the_file_count_quota_counts_every_project(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_FILES = 3
    alice.project("other", {"1": b"1", "2": b"2"})
    project = alice.project("cells")
    response = alice.client.post(upload_url("cells"), {"files": files(a=b"a", b=b"b")}, follow=True)
    assert messages_in(response) == [
        "This would make 4 files; you can keep at most 3 (you have 2)."
    ]
    assert list(project.iterdir()) == []


def test_guests_have_the_guest_quota(guest: Actor, settings) -> None:  # noqa: ANN001
    settings.GUEST_MAX_BYTES = 10
    project = guest.project("mine")
    response = guest.client.post(upload_url("mine"), {"files": files(a=b"a" * 11)}, follow=True)
    assert "of your 10\xa0bytes are left" in messages_in(response)[0]
    assert list(project.iterdir()) == []


def test_an_upload_over_the_per_upload_limit_is_stopped_while_streaming(
    alice: Actor, settings
) -> None:  # noqa: ANN001
    settings.USER_MAX_UPLOAD_BYTES = 1000
    project = alice.project("cells")
    response = alice.client.post(
        upload_url("cells"), {"files": files(big=b"x" * 5000)}, follow=True
    )
    assert "one upload can be at most 1000\xa0bytes" in messages_in(response)[0]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_an_interrupted_upload_leaves_nothing_behind(alice: Actor) -> None:
    project = alice.project("cells")
    body = encode_multipart(BOUNDARY, {"files": files(first=b"1" * 5000, second=b"2" * 5000)})
    cut = body.index(b"2" * 100) + 100  # the body ends inside the second file
    response = alice.client.generic(
        "POST",
        upload_url("cells"),
        body[:cut],
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "The upload was interrupted before it finished; nothing was saved."
    )
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_an_upload_without_files_is_refused(alice: Actor) -> None:
    alice.project("cells")
    response = alice.client.post(upload_url("cells"), {}, follow=True)
    assert messages_in(response) == ["Choose at least one file to upload."]


def test_names_we_do_not_accept_are_refused(alice: Actor) -> None:
    project = alice.project("cells")
    response = alice.client.post(
        upload_url("cells"), {"files": [SimpleUploadedFile("trailing.txt ", b"x")]}, follow=True
    )
    assert "cannot start or end with a space" in messages_in(response)[0]
    assert list(project.iterdir()) == []


def test_a_client_supplied_path_in_the_file_name_is_dropped(alice: Actor) -> None:
    project = alice.project("cells")
    alice.client.post(
        upload_url("cells"), {"files": [SimpleUploadedFile("../../escape.txt", b"x")]}
    )
    assert [p.name for p in project.iterdir()] == ["escape.txt"]
    assert not (Path(django_settings.DATA_ROOT) / "escape.txt").exists()


def test_it_never_writes_through_a_symlinked_folder(alice: Actor, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = alice.project("cells")
    (project / "link").symlink_to(outside)
    response = alice.client.post(upload_url("cells", "link"), {"files": files(a=b"a")})
    assert response.status_code == 404
    assert list(outside.iterdir()) == []
    assert staging_leftovers() == []


def test_it_checks_owner(alice: Actor, bob: Actor) -> None:
    project = alice.project("cells")
    response = bob.client.post(upload_url("cells"), {"files": files(a=b"a")})
    assert response.status_code == 404
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_it_rejects_get(alice: Actor) -> None:
    alice.project("cells")
    assert alice.client.get(upload_url("cells")).status_code == 405


def test_it_requires_write_access(demo: Actor) -> None:
    project = demo.project("cells")
    response = demo.client.post(upload_url("cells"), {"files": files(a=b"a")})
    assert response.status_code == 403
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


@pytest.mark.parametrize("field", ["files", "other_field"])
def test_anonymous_uploads_write_nothing_even_to_staging(db, field: str) -> None:  # noqa: ANN001
    from django.test import Client

    response = Client().post(upload_url("cells"), {field: files(a=b"a" * 100)})
    assert response.status_code == 302
    assert staging_leftovers() == []


def test_a_name_planted_in_staging_cannot_catch_an_upload(alice: Actor) -> None:
    # Staged files are created with O_EXCL|O_NOFOLLOW under random names, and moved by handle.
    project = alice.project("cells")
    staging = Path(django_settings.DATA_ROOT) / ".staging"
    staging.mkdir(exist_ok=True)
    outside = Path(django_settings.DATA_ROOT).parent / "outside.txt"
    outside.write_bytes(b"keep")
    (staging / "bait").symlink_to(outside)
    response = alice.client.post(upload_url("cells"), {"files": files(a__txt=b"a")})
    assert response.status_code == 302
    assert (project / "a.txt").read_bytes() == b"a"
    assert outside.read_bytes() == b"keep"
    (staging / "bait").unlink()
    assert staging_leftovers() == []
