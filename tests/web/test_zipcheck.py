"""A zip's end records, read before zipfile parses it: counts agree with zipfile, lies are caught."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.unzip import ZIP_READ_ERRORS, ZipRefused
from projects.zipcheck import MAX_DIRECTORY_BYTES_PER_ENTRY, ZipDirectory, check_zip_directory
from tests.web.zipcraft import crafted_zip, entry_names

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def written(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def zipfile_count(content: bytes) -> int | None:
    """How many entries zipfile itself finds, or None when it cannot read the zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return len(archive.infolist())
    except (*ZIP_READ_ERRORS, OSError):  # what intake refuses as "not a zip that can be read"
        return None


def zipfile_written(names: list[str], comment: bytes, compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name in names:
            archive.writestr(name, name.encode() * 3)
        archive.comment = comment
    return buffer.getvalue()


names = st.lists(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40),
    max_size=12,
    unique=True,
)


@FAST
@given(
    names=names,
    comment=st.binary(max_size=300).filter(lambda c: b"PK\x05\x06" not in c),
    compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
    # A stub before the archive (self-extractors); one holding zip signatures is the next test's.
    prefix=st.binary(max_size=50).filter(lambda p: b"PK" not in p),
)
def test_it_counts_what_zipfile_counts(
    tmp_path: Path, names: list[str], comment: bytes, compression: int, prefix: bytes
) -> None:
    content = prefix + zipfile_written(names, comment, compression)
    directory = check_zip_directory(written(tmp_path / "a.zip", content), max_entries=100)
    assert directory.entries == len(names) == zipfile_count(content)


@FAST
@given(count=st.integers(0, 40), prefix=st.binary(max_size=20), comment=st.binary(max_size=40))
def test_it_reads_the_zip64_end_record(
    tmp_path: Path, count: int, prefix: bytes, comment: bytes
) -> None:
    content = crafted_zip(entry_names(count), zip64=True, prefix=prefix, comment=comment)
    if b"PK\x05\x06" in comment:
        return  # zipfile itself would take the signature in the comment for the record
    directory = check_zip_directory(written(tmp_path / "a.zip", content), max_entries=100)
    assert directory.entries == count == zipfile_count(content)


def test_it_refuses_a_declared_count_over_the_limit_before_reading_the_directory(
    tmp_path: Path,
) -> None:
    content = crafted_zip(entry_names(400_000), zip64=True)
    with pytest.raises(ZipRefused, match="has 400000 entries; at most 10000 are allowed"):
        check_zip_directory(written(tmp_path / "bomb.zip", content), max_entries=10_000)


def test_it_refuses_a_directory_larger_than_its_declared_entries_can_need(tmp_path: Path) -> None:
    content = crafted_zip(entry_names(400_000), declared=3)
    assert zipfile_count(content) == 400_000  # zipfile believes the directory, not the count
    with pytest.raises(ZipRefused, match="directory takes 20.2\xa0MB, more than its 3 entries"):
        check_zip_directory(written(tmp_path / "bomb.zip", content), max_entries=10_000)


def test_it_counts_the_headers_when_the_declared_count_lies_within_the_size_bound(
    tmp_path: Path,
) -> None:
    content = crafted_zip(entry_names(20_000), declared=10_000)
    assert len(content) < 10_000 * MAX_DIRECTORY_BYTES_PER_ENTRY
    with pytest.raises(ZipRefused, match="more than 10000 entries"):
        check_zip_directory(written(tmp_path / "liar.zip", content), max_entries=10_000)


def test_a_count_lower_than_the_headers_is_a_damaged_zip(tmp_path: Path) -> None:
    content = crafted_zip(entry_names(10), declared=9)
    with pytest.raises(zipfile.BadZipFile, match="says 9 entries, the directory has 10"):
        check_zip_directory(written(tmp_path / "liar.zip", content), max_entries=100)


def test_an_empty_zip_has_no_entries(tmp_path: Path) -> None:
    content = zipfile_written([], b"", zipfile.ZIP_STORED)
    path = written(tmp_path / "empty.zip", content)
    assert check_zip_directory(path, max_entries=1) == ZipDirectory(entries=0, start=0, size=0)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"this is not a zip at all", id="text"),
        pytest.param(b"PK\x05\x06", id="signature-only"),
        pytest.param(crafted_zip(entry_names(3))[:-5], id="record-cut-short"),
        pytest.param(
            crafted_zip(entry_names(3), zip64=True).replace(b"PK\x06\x06", b"PK\x06\x00"),
            id="zip64-record-damaged",
        ),
        pytest.param(crafted_zip(entry_names(3), zip64=True)[-42:], id="zip64-record-missing"),
        pytest.param(crafted_zip(entry_names(3)).replace(b"PK\x01\x02", b"PK\x01\x00", 1),
                     id="header-damaged"),
        pytest.param(crafted_zip(entry_names(3))[-22:], id="directory-missing"),
        pytest.param(b"\0" * 100_000 + crafted_zip([])[:-1], id="zeros"),
    ],
)
def test_a_file_without_readable_end_records_is_not_a_zip(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(zipfile.BadZipFile):
        check_zip_directory(written(tmp_path / "bad.zip", content), max_entries=100)


def test_it_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.zip"
    os.mkfifo(fifo)
    with pytest.raises(zipfile.BadZipFile, match="not a regular file"):
        check_zip_directory(str(fifo), max_entries=100)  # O_NONBLOCK: no hang on the FIFO
    link = tmp_path / "link.zip"
    link.symlink_to(written(tmp_path / "real.zip", crafted_zip(entry_names(1))))
    with pytest.raises(OSError):
        check_zip_directory(str(link), max_entries=100)


@FAST
@given(data=st.data())
def test_cut_or_damaged_zips_are_refused_or_read_exactly_as_zipfile_reads_them(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Whenever the check lets a zip through, zipfile parses exactly the entries it counted."""
    content = bytearray(zipfile_written([f"n{i}" for i in range(5)], b"note", zipfile.ZIP_STORED))
    if data.draw(st.booleans(), label="cut"):
        content = content[: data.draw(st.integers(0, len(content)), label="length")]
    for _ in range(data.draw(st.integers(0, 4), label="flips")):
        if content:
            at = data.draw(st.integers(max(0, len(content) - 400), len(content) - 1), label="at")
            content[at] = data.draw(st.integers(0, 255), label="byte")
    try:
        directory = check_zip_directory(written(tmp_path / "x.zip", bytes(content)), 100)
    except (zipfile.BadZipFile, ZipRefused):
        return
    found = zipfile_count(bytes(content))
    assert found is None or found == directory.entries


@FAST
@given(content=st.binary(max_size=2000))
def test_garbage_raises_only_our_two_refusals(tmp_path: Path, content: bytes) -> None:
    try:
        directory = check_zip_directory(written(tmp_path / "g.zip", content), max_entries=5)
    except (zipfile.BadZipFile, ZipRefused):
        return
    assert directory.entries <= 5
