"""Sending bytes (PATCH) and asking where to go on (HEAD): offsets, checksums, one writer."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import http.client
import os
from urllib.parse import urlsplit

import pytest

from projects.models import OwnerUsage, Upload
from tests.waiting import wait_until
from tests.web.conftest import Actor
from tests.web.tus.conftest import (
    TUS, TusActor, create, head, metadata, outcome, patch, staged, staged_file)


@pytest.fixture
def url(alice: Actor) -> str:
    alice.project("cells")
    response = create(alice.client, "cells", 10, "ten.bin")
    assert response.status_code == 201
    return response["Location"]


def checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def test_it_works(alice: Actor, url: str) -> None:
    response = head(alice.client, url)
    assert (response.status_code, response["Upload-Offset"], response["Upload-Length"]) == (
        200, "0", "10")
    assert response["Cache-Control"] == "no-store"
    response = patch(alice.client, url, 0, b"01234")
    assert (response.status_code, response["Upload-Offset"]) == (204, "5")
    assert "Upload-Expires" in response
    assert head(alice.client, url)["Upload-Offset"] == "5"
    assert outcome(alice.client, url) == {
        "state": "receiving", "offset": 5, "length": 10, "message": "", "paths": []}
    response = patch(alice.client, url, 5, b"56789")
    assert (response.status_code, response["Upload-Offset"]) == (204, "10")
    assert (alice.home / "cells" / "ten.bin").read_bytes() == b"0123456789"
    assert outcome(alice.client, url) == {
        "state": "landed", "offset": 10, "length": 10,
        "message": "Uploaded ten.bin (10\xa0bytes).", "paths": ["ten.bin"]}
    assert head(alice.client, url)["Upload-Offset"] == "10"  # a resumed client stops there
    assert patch(alice.client, url, 10, b"x").status_code == 409
    # A client whose last 204 was lost asks again with no bytes at the end: it ends well.
    def empty_patch(offset: int):  # noqa: ANN202 (the test client leaves out a 0 length)
        return alice.client.generic("PATCH", url, b"", "application/offset+octet-stream",
                                    headers={**TUS, "Upload-Offset": str(offset)},
                                    CONTENT_LENGTH="0")

    again = empty_patch(10)
    assert (again.status_code, again["Upload-Offset"]) == (204, "10")
    assert empty_patch(3).status_code == 409
    assert staged() == []


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "md5"])
def test_a_mismatching_chunk_is_dropped_then_a_good_one_goes_on(
        alice: Actor, url: str, algorithm: str) -> None:
    assert patch(alice.client, url, 0, b"0123", checksum=checksum(algorithm, b"0123")
                 ).status_code == 204
    response = patch(alice.client, url, 4, b"45X7", checksum=checksum(algorithm, b"4567"))
    assert response.status_code == 460
    assert response.content.decode() == "The chunk's checksum did not match; send it again."
    assert staged_file().read_bytes() == b"0123"
    assert head(alice.client, url)["Upload-Offset"] == "4"
    assert patch(alice.client, url, 4, b"456789", checksum=checksum(algorithm, b"456789")
                 ).status_code == 204
    assert (alice.home / "cells" / "ten.bin").read_bytes() == b"0123456789"


def test_an_unknown_checksum_algorithm_is_refused(alice: Actor, url: str) -> None:
    response = patch(alice.client, url, 0, b"01", checksum="crc32 AAAA")
    assert response.status_code == 400
    assert staged_file().read_bytes() == b""


def test_the_offset_must_match(alice: Actor, url: str) -> None:
    patch(alice.client, url, 0, b"012")
    response = patch(alice.client, url, 0, b"012")
    assert response.status_code == 409
    assert response.content.decode() == "Upload-Offset 0 does not match the 3 bytes received."
    assert staged_file().read_bytes() == b"012"


def test_a_chunk_past_the_length_is_refused(alice: Actor, url: str) -> None:
    response = patch(alice.client, url, 0, b"0123456789A")
    assert response.status_code == 413
    assert staged_file().read_bytes() == b""


def test_bodies_must_be_offset_octet_streams(alice: Actor, url: str) -> None:
    response = alice.client.generic("PATCH", url, b"0123", content_type="text/plain",
                                    headers={**TUS, "Upload-Offset": "0"})
    assert response.status_code == 415


def test_one_writer_at_a_time(alice: Actor, url: str) -> None:
    with staged_file().open("rb") as other:  # as another worker's PATCH holds it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        response = patch(alice.client, url, 0, b"0123")
        assert response.status_code == 423
        assert patch(alice.client, url, 0, b"0123").status_code == 423
    assert patch(alice.client, url, 0, b"0123").status_code == 204


def test_over_the_quota_mid_way_it_is_refused(
        alice: Actor, url: str, settings) -> None:  # noqa: ANN001
    assert patch(alice.client, url, 0, b"01234").status_code == 204
    settings.USER_MAX_BYTES = 8  # lowered by an admin meanwhile
    response = patch(alice.client, url, 5, b"56789")
    assert response.status_code == 413
    message = "This needs 10\xa0bytes but only 8\xa0bytes of your 8\xa0bytes are left."
    assert response.content.decode() == message
    assert staged() == []
    assert outcome(alice.client, url)["state"] == "refused"
    assert outcome(alice.client, url)["message"] == message
    response = head(alice.client, url)
    assert response.status_code == 410
    assert patch(alice.client, url, 5, b"56789").status_code == 410
    assert list((alice.home / "cells").iterdir()) == []


def test_a_long_patch_checks_the_quota_as_bytes_arrive(
        tus_alice: TusActor, settings, monkeypatch) -> None:  # noqa: ANN001
    """One PATCH of 3 MiB over a real connection; after its first MiB the owner's usage grows
    (a pipeline's files counted by reconcile_usage): refused then, not after the last byte."""
    from projects.tus import staging

    monkeypatch.setattr(staging, "RECHECK_BYTES", 2**20)  # instead of every 64 MiB
    settings.USER_MAX_BYTES = 4 * 2**20
    created = tus_alice.request("POST", tus_alice.endpoint("cells"), headers={
        "Upload-Length": str(3 * 2**20), "Upload-Metadata": metadata(filename="big.bin")})
    assert created.status_code == 201, created.text
    connection = http.client.HTTPConnection(urlsplit(tus_alice.base).netloc, timeout=60)
    connection.putrequest("PATCH", created.headers["Location"])
    for name, value in {**tus_alice.headers, **TUS, "Upload-Offset": "0",
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(3 * 2**20)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(os.urandom(2**20))
    wait_until(lambda: staged_file().stat().st_size == 2**20, what="the first MiB")
    OwnerUsage.objects.filter(owner="alice").update(bytes=2 * 2**20)
    try:
        connection.send(os.urandom(2**20))
        connection.send(os.urandom(2**20))
    except OSError:
        pass  # the server may answer and close before it reads the rest
    response = connection.getresponse()
    assert response.status == 413
    assert response.read().decode() == (
        "This needs 3.0\xa0MB but only 2.0\xa0MB of your 4.0\xa0MB are left.")
    connection.close()
    assert staged() == []
    assert Upload.objects.get().state == "refused"
