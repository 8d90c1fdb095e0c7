"""The protocol's pure decisions (projects.tus.protocol), without HTTP."""

from __future__ import annotations

import base64

import pytest

from projects.tus import protocol
from projects.tus.protocol import ProtocolError, Status


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_it_parses_metadata() -> None:
    header = f"filename {b64('plate1/A01.tif')},unpack {b64('1')},flag"
    assert protocol.parse_metadata(header) == {
        "filename": "plate1/A01.tif", "unpack": "1", "flag": ""}


@pytest.mark.parametrize("header", [
    "filename not*base64", f"filename {b64('a')},filename {b64('b')}",
    "filename " + base64.b64encode(b"\xff\xfe").decode(),
])
def test_it_refuses_bad_metadata(header: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        protocol.parse_metadata(header)
    assert refused.value.status == 400


def test_creation_needs_a_version_a_length_and_a_name() -> None:
    good = {"Tus-Resumable": "1.0.0", "Upload-Length": "12",
            "Upload-Metadata": f"filename {b64('a.txt')},replace {b64('1')}"}
    assert protocol.parse_creation(good) == protocol.Creation(
        length=12, filename="a.txt", unpack=False, replace=True)
    for change, status in [({"Tus-Resumable": "0.2.2"}, 412), ({"Upload-Length": None}, 400),
                           ({"Upload-Length": "-1"}, 400), ({"Upload-Defer-Length": "1"}, 400),
                           ({"Upload-Metadata": f"unpack {b64('1')}"}, 400)]:
        with pytest.raises(ProtocolError) as refused:
            protocol.parse_creation({**good, **change})
        assert refused.value.status == status, change


def test_it_parses_checksums() -> None:
    digest = base64.b64encode(b"\x01" * 32).decode()
    assert protocol.parse_checksum(f"sha256 {digest}") == protocol.Checksum("sha256", b"\x01" * 32)
    assert protocol.parse_checksum(None) is None
    with pytest.raises(ProtocolError) as refused:
        protocol.parse_checksum(f"crc32 {digest}")
    assert refused.value.status == 400


def test_options_advertise_the_extensions() -> None:
    headers = protocol.options_headers(1000)
    assert headers["Tus-Extension"] == "creation,termination,checksum,expiration"
    assert headers["Tus-Checksum-Algorithm"] == "sha1,sha256,md5"
    assert headers["Tus-Max-Size"] == "1000"
    assert "Tus-Max-Size" not in protocol.options_headers(None)


def status(state: str = "receiving", offset: int = 0, *, expired: bool = False) -> Status:
    return Status(state=state, offset=offset, length=10, message="why", expired=expired)


@pytest.mark.parametrize(("row", "staged", "answer"), [
    (status(), 4, 4),
    (status("landing", 10), None, 10),
    (status("landed", 10), None, 10),
    (status("refused", 10), None, 10),  # all bytes in: the client stops and asks for the outcome
    (status("refused", 3), None, 410),
    (status(expired=True), 4, 410),
    (status("expired"), None, 410),
    (status(), None, 410),
])
def test_head_reports_the_offset_or_gone(row: Status, staged: int | None, answer: int) -> None:
    if answer == 410:
        with pytest.raises(ProtocolError) as refused:
            protocol.head_offset(row, staged)
        assert refused.value.status == 410
    else:
        assert protocol.head_offset(row, staged) == answer


@pytest.mark.parametrize(("row", "content_type", "offset", "length", "answer"), [
    (status(offset=4), protocol.CONTENT_TYPE, 4, 6, None),
    (status(offset=4), "application/octet-stream", 4, 6, 415),
    (status(offset=4), protocol.CONTENT_TYPE, 3, 6, 409),
    (status(offset=4), protocol.CONTENT_TYPE, 4, 7, 413),
    (status("landed", 10), protocol.CONTENT_TYPE, 4, 1, 409),
    (status("refused", 4), protocol.CONTENT_TYPE, 4, 1, 410),
    (status(offset=4, expired=True), protocol.CONTENT_TYPE, 4, 1, 410),
])
def test_patch_decisions(row: Status, content_type: str, offset: int, length: int,
                         answer: int | None) -> None:
    if answer is None:
        protocol.check_patch(row, content_type, offset, 4, length)
        return
    with pytest.raises(ProtocolError) as refused:
        protocol.check_patch(row, content_type, offset, 4, length)
    assert refused.value.status == answer
