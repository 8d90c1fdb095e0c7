"""Unpacking uploaded zips: checked entry by entry first, unpacked in staging, moved in whole."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.web.conftest import Actor, messages_in, staging_leftovers


def make_zip(
    *entries: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def special_entry(name: str, kind: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode bits in external_attr mean what they say
    info.external_attr = (kind | 0o777) << 16
    return info


def upload(actor: Actor, *uploads: SimpleUploadedFile, unpack: bool = True, folder: str = ""):  # noqa: ANN201
    data: dict = {"files": list(uploads)}
    if unpack:
        data["unpack_zips"] = "on"
    return actor.client.post(reverse("projects-upload", args=["cells", folder]), data, follow=True)


def _duplicate_zip() -> bytes:
    with warnings.catch_warnings():  # zipfile warns about the duplicate we want
        warnings.simplefilter("ignore")
        return make_zip(("a.txt", b"1"), ("a.txt", b"2"))


GOOD = make_zip(
    ("images/a.tif", b"A" * 100),
    ("images/sub/b.tif", b"B" * 50),
    ("images/empty/", b""),
    ("readme.txt", b"hello"),
)


def test_it_unpacks_a_zip_into_the_folder(alice: Actor) -> None:
    project = alice.project("cells", {"raw": None})
    response = upload(alice, SimpleUploadedFile("batch.zip", GOOD), folder="raw")
    assert messages_in(response) == ["Uploaded 3 files (155\xa0bytes)."]
    raw = project / "raw"
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*")) == [
        "images",
        "images/a.tif",
        "images/empty",
        "images/sub",
        "images/sub/b.tif",
        "readme.txt",
    ]
    assert (raw / "images" / "sub" / "b.tif").read_bytes() == b"B" * 50
    assert staging_leftovers() == []


def test_without_the_checkbox_a_zip_is_kept_as_a_file(alice: Actor) -> None:
    project = alice.project("cells")
    upload(alice, SimpleUploadedFile("batch.zip", GOOD), unpack=False)
    assert [p.name for p in project.iterdir()] == ["batch.zip"]
    assert (project / "batch.zip").read_bytes() == GOOD


def test_zips_and_plain_files_go_in_together(alice: Actor) -> None:
    project = alice.project("cells")
    response = upload(
        alice, SimpleUploadedFile("batch.zip", GOOD), SimpleUploadedFile("notes.txt", b"n")
    )
    assert messages_in(response) == ["Uploaded 4 files (156\xa0bytes)."]
    assert sorted(p.name for p in project.iterdir()) == ["images", "notes.txt", "readme.txt"]


ATTACKS = [
    pytest.param(
        make_zip(("ok.txt", b"ok"), ("../evil.txt", b"x")), "is not allowed", id="slip-parent"
    ),
    pytest.param(make_zip(("a/../../evil.txt", b"x")), "is not allowed", id="slip-nested"),
    pytest.param(make_zip(("/tmp/evil.txt", b"x")), "must be relative", id="absolute"),
    pytest.param(make_zip(("..\\evil.txt", b"x")), "backslashes", id="backslash"),
    pytest.param(make_zip(("C:/evil.txt", b"x")), "drive letter", id="drive-letter"),
    pytest.param(
        make_zip((special_entry("link", stat.S_IFLNK), b"/etc/passwd")),
        "symbolic link",
        id="symlink",
    ),
    pytest.param(make_zip((special_entry("dev", stat.S_IFCHR), b"")), "device", id="char-device"),
    pytest.param(make_zip((special_entry("blk", stat.S_IFBLK), b"")), "device", id="block-device"),
    pytest.param(make_zip((special_entry("pipe", stat.S_IFIFO), b"")), "device", id="fifo"),
    pytest.param(_duplicate_zip(), "more than once", id="duplicate"),
    pytest.param(
        make_zip(("a", b"1"), ("a/b", b"2")), "both file and folder", id="file-and-folder"
    ),
    pytest.param(make_zip(("zeros.bin", bytes(5 * 2**20))), "times its size", id="bomb-ratio"),
    pytest.param(b"this is not a zip at all", "not a zip file", id="not-a-zip"),
]


@pytest.mark.parametrize(("archive", "message"), ATTACKS)
def test_each_zip_attack_is_refused_with_nothing_written(
    alice: Actor, archive: bytes, message: str
) -> None:
    project = alice.project("cells")
    response = upload(
        alice, SimpleUploadedFile("attack.zip", archive), SimpleUploadedFile("innocent.txt", b"i")
    )
    assert message in messages_in(response)[0]
    assert messages_in(response)[0].startswith("attack.zip")
    assert list(project.iterdir()) == []
    assert not (Path(django_settings.DATA_ROOT) / "evil.txt").exists()
    assert not (Path(django_settings.DATA_ROOT) / "alice" / "evil.txt").exists()
    assert staging_leftovers() == []


def test_too_many_entries_are_refused(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.ZIP_MAX_ENTRIES = 3
    project = alice.project("cells")
    archive = make_zip(*[(f"f{i}.txt", b"x") for i in range(4)])
    response = upload(alice, SimpleUploadedFile("many.zip", archive))
    assert messages_in(response) == ["many.zip: The zip has 4 entries; at most 3 are allowed."]
    assert list(project.iterdir()) == []


def test_too_many_unpacked_bytes_are_refused(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.ZIP_MAX_TOTAL_BYTES = 1000
    project = alice.project("cells")
    archive = make_zip(("big.bin", bytes(2000)), compression=zipfile.ZIP_STORED)
    response = upload(alice, SimpleUploadedFile("big.zip", archive))
    assert "at most 1000\xa0bytes are allowed" in messages_in(response)[0]
    assert list(project.iterdir()) == []


def test_the_quota_counts_what_a_zip_unpacks_to(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 500
    project = alice.project("cells")
    archive = make_zip(("a.bin", bytes(400)), ("b.bin", bytes(400)), compression=zipfile.ZIP_STORED)
    response = upload(alice, SimpleUploadedFile("q.zip", archive))
    assert messages_in(response) == [
        "This needs 800\xa0bytes but only 500\xa0bytes of your 500\xa0bytes are left."
    ]
    assert list(project.iterdir()) == []


def test_an_encrypted_entry_is_refused(alice: Actor) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret.txt", b"x")
        archive.infolist()[0].flag_bits |= 0x1  # the central directory now says "encrypted"
    project = alice.project("cells")
    response = upload(alice, SimpleUploadedFile("enc.zip", buffer.getvalue()))
    assert "is encrypted" in messages_in(response)[0]
    assert list(project.iterdir()) == []


def test_a_damaged_zip_is_refused_after_partial_unpacking_with_nothing_left(alice: Actor) -> None:
    content = b"".join(bytes([i % 251]) * 64 for i in range(4000))
    archive = bytearray(make_zip(("good.bin", b"fine"), ("broken.bin", content)))
    data_start = archive.index(b"broken.bin") + len(b"broken.bin") + 40
    archive[data_start : data_start + 20] = bytes(20)  # corrupt the deflate stream
    project = alice.project("cells")
    response = upload(alice, SimpleUploadedFile("damaged.zip", bytes(archive)))
    assert "damaged" in messages_in(response)[0]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_a_zip_must_not_clash_with_existing_names(alice: Actor) -> None:
    project = alice.project("cells", {"images/keep.tif": b"keep"})
    response = upload(alice, SimpleUploadedFile("batch.zip", GOOD))
    assert messages_in(response) == ["“images” already exists here; rename or delete it first."]
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == [
        "images",
        "images/keep.tif",
    ]
    assert staging_leftovers() == []
