"""Zip-directory bombs through the real upload view: refused from the end records, none written."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.web.conftest import Actor, messages_in, staging_leftovers
from tests.web.test_upload_zips import upload
from tests.web.zipcraft import crafted_zip, entry_names


@pytest.fixture(scope="module")
def four_hundred_thousand_entries() -> bytes:
    """The issue's zip: 400,000 empty entries, 33 MiB, as zipfile writes it (zip64 end records)."""
    return crafted_zip(entry_names(400_000), zip64=True)


def test_a_zip_declaring_too_many_entries_is_refused_with_nothing_written(
    alice: Actor, four_hundred_thousand_entries: bytes
) -> None:
    project = alice.project("cells")
    response = upload(
        alice,
        SimpleUploadedFile("bomb.zip", four_hundred_thousand_entries),
        SimpleUploadedFile("innocent.txt", b"i"),
    )
    assert messages_in(response) == [
        "bomb.zip: The zip has 400000 entries; at most 10000 are allowed."
    ]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_a_zip_hiding_its_entries_behind_a_small_count_is_refused(alice: Actor) -> None:
    project = alice.project("cells")
    bomb = crafted_zip(entry_names(400_000), declared=3)
    response = upload(alice, SimpleUploadedFile("liar.zip", bomb))
    [message] = messages_in(response)
    assert message.startswith("liar.zip: The zip's directory takes 20.2\xa0MB")
    assert "more than its 3 entries can need" in message
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_a_count_that_lies_within_the_size_bound_is_caught_by_counting(
    alice: Actor, settings  # noqa: ANN001
) -> None:
    settings.ZIP_MAX_ENTRIES = 100
    project = alice.project("cells")
    liar = crafted_zip(entry_names(500), declared=90)
    response = upload(alice, SimpleUploadedFile("liar.zip", liar))
    assert messages_in(response) == [
        "liar.zip: The zip has more than 100 entries; at most 100 are allowed."
    ]
    assert list(project.iterdir()) == []


def test_a_zip_with_broken_end_records_is_not_a_zip_that_can_be_read(alice: Actor) -> None:
    project = alice.project("cells")
    broken = crafted_zip(entry_names(3), zip64=True).replace(b"PK\x06\x06", b"PK\x06\x00")
    response = upload(alice, SimpleUploadedFile("broken.zip", broken))
    assert messages_in(response) == ["broken.zip is not a zip file that can be read."]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []


def test_an_honest_zip64_zip_still_unpacks(alice: Actor) -> None:
    project = alice.project("cells")
    response = upload(alice, SimpleUploadedFile("ok.zip", crafted_zip(entry_names(3), zip64=True)))
    assert messages_in(response) == ["Uploaded 3 files (0\xa0bytes)."]
    assert sorted(path.name for path in project.iterdir()) == ["f000000", "f000001", "f000002"]


def test_a_zip_zipfile_cannot_read_is_refused_not_a_server_error(alice: Actor) -> None:
    """Found by Hypothesis: a central header claiming zip version 25.5 made zipfile raise
    NotImplementedError, which the upload view did not expect (a 500)."""
    project = alice.project("cells")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"a")
    content = bytearray(buffer.getvalue())
    header = content.index(b"PK\x01\x02")  # the central directory's one header
    content[header + 6] = 255  # "version needed to extract": 25.5
    response = upload(alice, SimpleUploadedFile("odd.zip", bytes(content)))
    assert response.status_code == 200  # the followed redirect, not a 500
    assert messages_in(response) == ["odd.zip is not a zip file that can be read."]
    assert list(project.iterdir()) == []
    assert staging_leftovers() == []
