"""Every projects route over a project a hostile pipeline planted (tests/web/planted.py).

As alice, at every planted name: browse, download, zip, upload into, unzip into, make a folder
in, rename, delete; and the project itself zipped, renamed, deleted. After each: no response
carries bob's, /etc/passwd's or the token's bytes, nothing outside alice's space changed, the
status is 200/302/400/404, and the FIFO never made us hang (pytest-timeout).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.web.conftest import Actor, staging_leftovers
from tests.web.planted import (
    BIG_BYTES,
    FILES,
    FOLDERS,
    LINKS,
    NAMES,
    SPECIALS,
    Planted,
    assert_no_leak,
    body_of,
)

pytestmark = pytest.mark.timeout(120)


def url(name: str, path: str) -> str:
    return reverse(name, args=["cells", path])


def a_zip(*names: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"unzipped by alice")
    return SimpleUploadedFile("batch.zip", buffer.getvalue())


def reachable(planted: Planted, name: str) -> bool:
    """Whether name is there without passing through a link (through one it does not exist)."""
    through_link = set(Path(name).parents) & {Path(link) for link in LINKS}
    return os.path.lexists(planted.project / name) and not through_link


@pytest.fixture
def checked(planted: Planted):  # noqa: ANN201
    """The planted tree; afterwards nothing outside alice's space changed or stayed in staging."""
    before = planted.decoys.checksums()
    yield planted
    assert planted.decoys.checksums() == before
    assert staging_leftovers() == []


def test_the_page_shows_links_and_special_files_as_what_they_are(
    alice: Actor, checked: Planted
) -> None:
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert_no_leak(response)
    kinds = {row.entry.name: row.entry.kind for row in response.context["rows"]}
    assert {name: kinds[name] for name in ["to-bob-folder", "passwd", "fifo", "device"]} == {
        "to-bob-folder": "link", "passwd": "link", "fifo": "other", "device": "other",
    }
    page = response.content.decode()
    assert '<span class="link" title="A symbolic link: shown, never followed">to-bob-folder</span>' \
        ' <span class="kind">link</span>' in page
    assert '<span class="special" title="A FIFO, socket or device: shown, never opened">fifo' \
        '</span> <span class="kind">special</span>' in page
    assert 'href="/projects/cells/browse/to-bob-folder"' not in page
    assert 'href="/projects/cells/file/passwd"' not in page


def test_browsing_downloading_and_zipping_every_name(alice: Actor, checked: Planted) -> None:
    statuses = {}
    for path in FOLDERS + NAMES:
        for route in ("projects-browse", "projects-file", "projects-zip"):
            response = alice.client.get(url(route, path))
            assert_no_leak(response)
            statuses[route, path] = response.status_code
    assert {path for (route, path), code in statuses.items()
            if route == "projects-file" and code == 200} == set(FILES)
    assert {path for (route, path), code in statuses.items()
            if route == "projects-browse" and code == 200} == set(FOLDERS)
    assert {path for (route, path), code in statuses.items()
            if route == "projects-zip" and code == 200} == set(FOLDERS)


def test_the_project_zip_holds_exactly_alices_files_and_folders(
    alice: Actor, checked: Planted
) -> None:
    response = alice.client.get(url("projects-zip", ""))
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert archive.getinfo("cells/big.bin").file_size == BIG_BYTES
    assert names == sorted(
        ["cells/"] + [f"cells/{f}/" for f in FOLDERS if f] + [f"cells/{f}" for f in FILES]
    )


def test_a_download_is_the_file_that_was_checked(alice: Actor, checked: Planted) -> None:
    response = alice.client.get(url("projects-file", "big.bin"))
    assert int(response["Content-Length"]) == BIG_BYTES
    assert body_of(response) == bytes(BIG_BYTES)


@pytest.mark.parametrize("folder", FOLDERS + NAMES)
def test_uploading_and_unzipping_into_every_name(
    alice: Actor, checked: Planted, folder: str
) -> None:
    plain = alice.client.post(
        url("projects-upload", folder), {"files": [SimpleUploadedFile("new.txt", b"n")]}
    )
    assert_no_leak(plain)
    unzipped = alice.client.post(
        url("projects-upload", folder), {"files": [a_zip("unzipped/x.txt")], "unpack_zips": "on"}
    )
    assert_no_leak(unzipped)
    target = checked.project / folder
    if folder in FOLDERS:
        assert (target / "new.txt").read_bytes() == b"n"
        assert (target / "unzipped" / "x.txt").read_bytes() == b"unzipped by alice"
    else:
        assert (plain.status_code, unzipped.status_code) == (404, 404)


@pytest.mark.parametrize("name", [n for n in LINKS + SPECIALS + FILES if "/" not in n])
def test_an_upload_or_zip_never_lands_on_a_planted_name(
    alice: Actor, checked: Planted, name: str
) -> None:
    before = os.lstat(checked.project / name)
    for data in ({"files": [SimpleUploadedFile(name, b"overwrite?")]},
                 {"files": [a_zip(f"{name}/x.txt")], "unpack_zips": "on"}):
        response = alice.client.post(url("projects-upload", ""), data, follow=True)
        assert_no_leak(response)
        assert "already exists here" in str(list(response.context["messages"])[0])
    after = os.lstat(checked.project / name)
    assert (after.st_ino, after.st_mode, after.st_size) == (
        before.st_ino, before.st_mode, before.st_size)


@pytest.mark.parametrize("folder", FOLDERS + NAMES)
def test_making_a_folder_in_every_name(alice: Actor, checked: Planted, folder: str) -> None:
    response = alice.client.post(url("projects-mkdir", folder), {"name": "made"})
    assert_no_leak(response)
    if folder in FOLDERS:
        assert (checked.project / folder / "made").is_dir()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", NAMES)
def test_renaming_every_name_renames_that_name_only(
    alice: Actor, checked: Planted, name: str
) -> None:
    path = checked.project / name
    before = os.lstat(path) if reachable(checked, name) else None
    response = alice.client.post(url("projects-entry-rename", name), {"new_name": "renamed"})
    assert_no_leak(response)
    if before is None:
        assert response.status_code == 404
        return
    moved = os.lstat(path.parent / "renamed")
    assert (moved.st_ino, moved.st_mode) == (before.st_ino, before.st_mode)
    assert not os.path.lexists(path)


@pytest.mark.parametrize("name", [n for n in LINKS + SPECIALS if "/" not in n])
def test_renaming_onto_a_planted_name_never_replaces_it(
    alice: Actor, checked: Planted, name: str
) -> None:
    before = os.lstat(checked.project / name)
    response = alice.client.post(url("projects-entry-rename", "a.txt"), {"new_name": name})
    assert_no_leak(response)
    assert os.lstat(checked.project / name).st_ino == before.st_ino
    assert (checked.project / "a.txt").read_bytes() == b"alice's a"


@pytest.mark.parametrize("name", NAMES)
def test_deleting_every_name_deletes_that_name_only(
    alice: Actor, checked: Planted, name: str
) -> None:
    path, there = checked.project / name, reachable(checked, name)
    response = alice.client.post(url("projects-entry-delete", name))
    assert_no_leak(response)
    if there:
        assert response.status_code == 302
        assert not os.path.lexists(path)
    else:
        assert response.status_code == 404


def test_zipping_renaming_and_deleting_the_whole_project(alice: Actor, checked: Planted) -> None:
    assert_no_leak(alice.client.get(url("projects-zip", "")))
    response = alice.client.post(reverse("projects-rename", args=["cells"]), {"new_name": "c2"})
    assert_no_leak(response)
    assert (alice.home / "c2" / "to-bob-folder").is_symlink()
    response = alice.client.post(reverse("projects-delete", args=["c2"]))
    assert_no_leak(response)
    assert not (alice.home / "c2").exists()
    assert_no_leak(alice.client.get(reverse("projects-list")))
