"""A full disk is a clear "Storage is full" message, never a 500, and leaves no partial file.

DATA_ROOT is a real small filesystem, so ENOSPC comes from the kernel, not a mock: a 1 MiB
tmpfs with few inodes, and for renames (which never need space on tmpfs) a 2 MiB ext4 image on
a loop device, whose full directory block needs a new one for a longer name. Both need root
(the test sandbox has it); without the right to mount, these tests are skipped and say so.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.storage import STORAGE_FULL
from tests.web.conftest import Actor, messages_in, staging_leftovers

SIZE = 1024 * 1024
INODES = 40


@pytest.fixture
def small_disk(settings, tmp_path: Path):  # noqa: ANN001, ANN201
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},nr_inodes={INODES},mode=0755", "tmpfs",
         str(mount_point)],
        capture_output=True, text=True, check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    settings.DATA_ROOT = mount_point
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.fixture
def small_ext4(settings, tmp_path: Path):  # noqa: ANN001, ANN201
    image, mount_point = tmp_path / "ext4.img", tmp_path / "ext4"
    mount_point.mkdir()
    with open(image, "wb") as out:
        out.truncate(2 * 2**20)
    made = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-m", "0", "-b", "1024", "-O", "^has_journal", str(image)],
        capture_output=True, text=True, check=False,
    )
    mounted = made.returncode == 0 and subprocess.run(
        ["mount", "-o", "loop", str(image), str(mount_point)],
        capture_output=True, text=True, check=False,
    ).returncode == 0
    if not mounted:
        pytest.skip("cannot make and loop-mount a small ext4 here")
    settings.DATA_ROOT = mount_point
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill_folder(folder: Path) -> None:
    """Files in folder until its directory block is full and there is no block to add."""
    for index in range(10_000):
        try:
            (folder / f"filler-{index:05d}").touch()
        except OSError:
            return
    raise AssertionError("the folder never filled up")


def fill_bytes(disk: Path, leave: int) -> None:
    """Take all but `leave` bytes of the disk with one file outside every project."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "ballast", "wb", buffering=0) as ballast:
        for _ in range(max(free - leave, 0) // 1024):
            try:
                ballast.write(bytes(1024))
            except OSError:  # ext4's own bookkeeping took the last blocks first
                return


def fill_inodes(disk: Path) -> None:
    """Take every free inode, so that the next mkdir fails with ENOSPC."""
    (disk / "inodes").mkdir()
    for index in range(INODES * 2):
        try:
            (disk / "inodes" / str(index)).mkdir()
        except OSError:
            return
    raise AssertionError("the tmpfs never ran out of inodes")


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_an_upload_bigger_than_the_free_space_says_so_in_json(
    alice: Actor, small_disk: Path
) -> None:
    project = alice.project("cells", {"keep.txt": b"keep"})
    fill_bytes(small_disk, leave=200 * 1024)
    response = alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("small.txt", b"s"),
                   SimpleUploadedFile("big.bin", os.urandom(400 * 1024))]},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": STORAGE_FULL}
    assert files_under(project) == ["keep.txt"]
    assert staging_leftovers() == []


def test_a_plain_form_upload_gets_the_message_and_a_redirect(
    alice: Actor, small_disk: Path
) -> None:
    project = alice.project("cells")
    fill_bytes(small_disk, leave=100 * 1024)
    response = alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("big.bin", os.urandom(300 * 1024))]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("projects-detail", args=["cells"])
    assert messages_in(response) == [STORAGE_FULL]
    assert files_under(project) == []
    assert staging_leftovers() == []


def test_a_zip_that_unpacks_beyond_the_free_space_leaves_nothing(
    alice: Actor, small_disk: Path
) -> None:
    project = alice.project("cells", {"raw": None})
    block = os.urandom(16 * 1024)  # repeated within deflate's window: a small zip, 20x bigger
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("images/a.bin", block * 20)
        archive.writestr("images/b.bin", block * 20)
        archive.writestr("notes.txt", b"n")
    fill_bytes(small_disk, leave=500 * 1024)
    response = alice.client.post(
        reverse("projects-upload", args=["cells", "raw"]),
        {"files": [SimpleUploadedFile("batch.zip", buffer.getvalue())], "unpack_zips": "on"},
        follow=True,
    )
    assert messages_in(response) == [STORAGE_FULL]
    assert files_under(project) == ["raw"]
    assert staging_leftovers() == []


def test_making_a_folder_on_a_full_disk_says_so(alice: Actor, small_disk: Path) -> None:
    project = alice.project("cells")
    fill_inodes(small_disk)
    response = alice.client.post(
        reverse("projects-mkdir", args=["cells", ""]), {"name": "new"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("projects-detail", args=["cells"])
    assert messages_in(response) == [STORAGE_FULL]
    assert files_under(project) == []


def test_making_a_project_on_a_full_disk_says_so(alice: Actor, small_disk: Path) -> None:
    alice.project("cells")
    fill_inodes(small_disk)
    response = alice.client.post(reverse("projects-create"), {"name": "more"}, follow=True)
    assert messages_in(response) == [STORAGE_FULL]
    assert files_under(alice.home) == ["cells"]


def test_an_upload_that_cannot_even_be_staged_says_so(alice: Actor, small_disk: Path) -> None:
    project = alice.project("cells")
    alice.client.get(reverse("projects-detail", args=["cells"]))
    (small_disk / ".staging").mkdir(mode=0o700, exist_ok=True)
    fill_inodes(small_disk)
    response = alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("a.txt", b"a")]},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.json() == {"ok": False, "message": STORAGE_FULL}
    assert files_under(project) == []
    assert staging_leftovers() == []


def test_renaming_an_entry_on_a_full_disk_says_so(alice: Actor, small_ext4: Path) -> None:
    project = alice.project("cells", {"a.txt": b"a"})
    fill_bytes(small_ext4, leave=0)
    fill_folder(project)
    before = files_under(project)
    response = alice.client.post(
        reverse("projects-entry-rename", args=["cells", "a.txt"]), {"new_name": "n" * 250},
        follow=True,
    )
    assert messages_in(response) == [STORAGE_FULL]
    assert files_under(project) == before


def test_renaming_a_project_on_a_full_disk_says_so(alice: Actor, small_ext4: Path) -> None:
    alice.project("cells", {"a.txt": b"a"})
    fill_bytes(small_ext4, leave=0)
    fill_folder(alice.home)
    response = alice.client.post(
        reverse("projects-rename", args=["cells"]), {"new_name": "c" * 64}, follow=True
    )
    assert messages_in(response) == [STORAGE_FULL]
    assert (alice.home / "cells" / "a.txt").read_bytes() == b"a"


def test_a_tus_upload_that_fills_the_disk_is_refused_and_its_bytes_dropped(
        alice: Actor, small_disk: Path) -> None:
    from tests.web.tus.conftest import create, head, outcome, patch

    alice.project("cells")
    url = create(alice.client, "cells", 2 * SIZE, "big.bin")["Location"]
    response = patch(alice.client, url, 0, os.urandom(2 * SIZE))
    assert response.status_code == 507
    assert response.content.decode() == STORAGE_FULL
    assert staging_leftovers() == []
    assert outcome(alice.client, url)["message"] == STORAGE_FULL
    assert head(alice.client, url).status_code == 410
    assert list((alice.home / "cells").iterdir()) == []
