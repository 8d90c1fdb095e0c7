"""One file's download (projects.filesend through the projects-file view): validators,
conditional GET, byte ranges, HEAD, inline images, and handing the body to a front proxy."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.http import http_date
from PIL import Image

from tests.web.conftest import Actor

DATA = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable


def url(path: str, project: str = "cells") -> str:
    return reverse("projects-file", args=[project, path])


def body(response) -> bytes:  # noqa: ANN001
    return b"".join(response.streaming_content) if response.streaming else response.content


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def cells(alice: Actor) -> Path:
    return alice.project("cells", {"data.bin": DATA, "empty.txt": b""})


def test_it_sends_length_validators_and_accepts_ranges(alice: Actor, cells: Path) -> None:
    response = alice.client.get(url("data.bin"))
    info = (cells / "data.bin").stat()
    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Length"] == str(len(DATA))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'
    assert response["Last-Modified"] == http_date(int(info.st_mtime))
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, len(DATA) - 1),             # open range: to the end (curl -C -)
    ("bytes=-100", len(DATA) - 100, len(DATA) - 1),  # suffix: the last 100 bytes
    ("bytes=-99999", 0, len(DATA) - 1),              # a suffix longer than the file: all of it
    ("bytes=10000-99999", 10000, len(DATA) - 1),     # last-pos past the end is cut to it
    ("BYTES = 5-5", 5, 5),                           # unit case and spaces around it
    ("bytes=7-7,", 7, 7),                            # empty list elements are allowed
])
def test_one_range_is_sent_as_206(alice: Actor, cells: Path, header: str, first: int,
                                  last: int) -> None:
    response = alice.client.get(url("data.bin"), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == DATA[first:last + 1]
    assert response["ETag"] and response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_a_range_outside_the_file_is_416_with_its_size(alice: Actor, cells: Path,
                                                       header: str) -> None:
    response = alice.client.get(url("data.bin"), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "10240 bytes" in response.content.decode()


@pytest.mark.parametrize("header", [
    "bytes=0-9,20-29",  # several ranges: the whole file (RFC 9110 §14.2 allows it)
    "bytes=9-0",        # last before first: invalid, ignored
    "bytes=a-b", "bytes=", "bytes=-", "items=0-9", "0-9", "bytes=1-2-3",
    "bytes=" + "9" * 30 + "-",
])
def test_several_or_malformed_ranges_get_the_whole_file(alice: Actor, cells: Path,
                                                        header: str) -> None:
    response = alice.client.get(url("data.bin"), HTTP_RANGE=header)
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body(response) == DATA


def test_an_empty_file_is_sent_whole_whatever_the_range(alice: Actor, cells: Path) -> None:
    response = alice.client.get(url("empty.txt"), HTTP_RANGE="bytes=0-")
    assert response.status_code == 200 and body(response) == b""
    assert response["Content-Length"] == "0"


def test_if_range_with_the_current_etag_or_date_gets_the_range(alice: Actor,
                                                              cells: Path) -> None:
    past = time.time() - 60
    os.utime(cells / "data.bin", (past, past))
    first = alice.client.get(url("data.bin"))
    for validator in (first["ETag"], first["Last-Modified"]):
        response = alice.client.get(url("data.bin"), HTTP_RANGE="bytes=10-19",
                                    HTTP_IF_RANGE=validator)
        assert response.status_code == 206 and body(response) == DATA[10:20]


def test_if_range_with_an_old_validator_gets_the_whole_new_file(alice: Actor,
                                                               cells: Path) -> None:
    past = time.time() - 60
    os.utime(cells / "data.bin", (past, past))
    old = alice.client.get(url("data.bin"))
    (cells / "data.bin").write_bytes(b"new " + DATA)  # the pipeline rewrote it
    for validator in (old["ETag"], old["Last-Modified"], "W/" + old["ETag"], "garbage"):
        response = alice.client.get(url("data.bin"), HTTP_RANGE="bytes=10-19",
                                    HTTP_IF_RANGE=validator)
        assert response.status_code == 200, validator
        assert body(response) == b"new " + DATA


def test_if_range_with_a_date_of_a_file_changed_this_second_is_not_trusted(
    alice: Actor, cells: Path
) -> None:
    # A date is a strong validator only once the file is a second old (RFC 9110 §8.8.2.2).
    now = time.time()
    os.utime(cells / "data.bin", (now, now))
    response = alice.client.get(url("data.bin"), HTTP_RANGE="bytes=10-19",
                                HTTP_IF_RANGE=http_date(int(now)))
    assert response.status_code == 200


def test_if_none_match_or_if_modified_since_answer_304(alice: Actor, cells: Path) -> None:
    first = alice.client.get(url("data.bin"))
    by_tag = alice.client.get(url("data.bin"), HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = alice.client.get(url("data.bin"), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    for response in (by_tag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]
    (cells / "data.bin").write_bytes(DATA[::-1])
    changed = alice.client.get(url("data.bin"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and body(changed) == DATA[::-1]
    assert changed["ETag"] != first["ETag"]


def test_if_match_with_another_tag_is_412(alice: Actor, cells: Path) -> None:
    response = alice.client.get(url("data.bin"), HTTP_IF_MATCH='"something-else"')
    assert response.status_code == 412


def test_head_sends_the_headers_and_ignores_range(alice: Actor, cells: Path) -> None:
    response = alice.client.head(url("data.bin"), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 200  # Range is defined for GET only (RFC 9110 §14.2)
    assert response["Content-Length"] == str(len(DATA))
    assert response["ETag"] and response["Accept-Ranges"] == "bytes"
    assert body(response) == b""


@pytest.mark.parametrize("name", ["cells.png", "CELLS.PNG", "scan.apng"])
def test_a_real_image_opens_inline(alice: Actor, name: str) -> None:
    alice.project("cells", {name: png_bytes()})
    response = alice.client.get(url(name))
    assert response.status_code == 200
    assert response["Content-Type"] == ("image/apng" if name.endswith("apng") else "image/png")
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("a.jpg", b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
    ("a.gif", b"GIF89a" + bytes(20), "image/gif"),
    ("a.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20), "image/webp"),
    ("a.avif", b"\x00\x00\x00\x1cftypavif" + bytes(20), "image/avif"),
    ("a.bmp", b"BM" + bytes(30), "image/bmp"),
])
def test_other_raster_types_open_inline(alice: Actor, name: str, data: bytes,
                                        kind: str) -> None:
    alice.project("cells", {name: data})
    response = alice.client.get(url(name))
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        kind, f'inline; filename="{name}"')


@pytest.mark.parametrize(("name", "data"), [
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("page.html", b"<script>alert(1)</script>"),
    ("fake.png", b"<html><script>alert(1)</script></html>"),  # a page named like an image
    ("stack.tif", b"II*\x00" + bytes(20)),  # browsers do not render TIFF
    ("report.pdf", b"%PDF-1.7\n"),
])
def test_everything_else_downloads_as_an_attachment(alice: Actor, name: str,
                                                    data: bytes) -> None:
    alice.project("cells", {name: data})
    response = alice.client.get(url(name))
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert not response["Content-Type"].startswith("image/png")


def test_a_compressed_file_is_not_sent_as_content_coding(alice: Actor) -> None:
    alice.project("cells", {"reads.fastq.gz": b"\x1f\x8b" + bytes(10)})
    response = alice.client.get(url("reads.fastq.gz"))
    assert response["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in response


def test_the_folder_page_offers_view_for_images_only(alice: Actor) -> None:
    alice.project("cells", {"a.png": png_bytes(), "b.svg": b"<svg/>", "c.txt": b"c"})
    page = alice.client.get(reverse("projects-detail", args=["cells"])).content.decode()
    # Through the deep-zoom viewer (web/deepzoom), which sends a small image to the file itself.
    view = reverse("deepzoom-viewer", args=["cells", "a.png"])
    assert f'<a class="view" href="{view}" target="_blank"' in page
    assert alice.client.get(view)["Location"] == url("a.png")
    assert 'class="view" href="/projects/cells/zoom/b.svg"' not in page
    assert 'class="view" href="/projects/cells/zoom/c.txt"' not in page


def test_thumbnails_are_revalidated_by_etag(alice: Actor) -> None:
    project = alice.project("cells", {"results": None})
    Image.new("RGB", (64, 32), "red").save(project / "results" / "a.png")
    thumb = reverse("results-thumbnail", args=["cells", "results/a.png"])
    alice.client.get(thumb)  # made and cached
    cached = alice.client.get(thumb)
    assert cached.status_code == 200 and cached["ETag"]
    assert cached["Content-Disposition"] == 'inline; filename="a.png.png"'
    assert cached["Cache-Control"] == "private, max-age=3600"
    again = alice.client.get(thumb, HTTP_IF_NONE_MATCH=cached["ETag"])
    assert again.status_code == 304


# -- a front proxy sends the body ------------------------------------------------------------
def test_x_accel_redirect_names_the_checked_file_to_nginx(alice: Actor, cells: Path,
                                                          settings) -> None:  # noqa: ANN001
    settings.DOWNLOAD_OFFLOAD = "x-accel-redirect"
    settings.DOWNLOAD_OFFLOAD_PREFIX = "/protected-data/"
    alice.project("cells", {"raw/plate 1?#%.tif": b"T"})
    response = alice.client.get(url("raw/plate 1?#%.tif"), HTTP_RANGE="bytes=0-0")
    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == "/protected-data/alice/cells/raw/plate%201%3F%23%25.tif"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "ETag" not in response and "Accept-Ranges" not in response


def test_x_sendfile_names_the_file_on_the_proxys_volume(alice: Actor, cells: Path,
                                                        settings) -> None:  # noqa: ANN001
    settings.DOWNLOAD_OFFLOAD = "x-sendfile"
    settings.DOWNLOAD_OFFLOAD_PREFIX = "/data"
    response = alice.client.get(url("data.bin"))
    assert response["X-Sendfile"] == "/data/alice/cells/data.bin"
    assert response.content == b""


def test_x_sendfile_sends_names_a_header_cannot_carry_itself(alice: Actor,
                                                             settings) -> None:  # noqa: ANN001
    settings.DOWNLOAD_OFFLOAD = "x-sendfile"
    alice.project("cells", {"zellkern-ö.bin": b"o"})
    response = alice.client.get(url("zellkern-ö.bin"))
    assert "X-Sendfile" not in response
    assert body(response) == b"o"


def test_offload_still_checks_access_and_kind_first(alice: Actor, bob: Actor, cells: Path,
                                                    tmp_path: Path,
                                                    settings) -> None:  # noqa: ANN001
    settings.DOWNLOAD_OFFLOAD = "x-accel-redirect"
    (tmp_path / "secret.txt").write_text("secret")
    (cells / "leak.txt").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(cells / "fifo")
    for path in ("leak.txt", "fifo", "nope.bin"):
        response = alice.client.get(url(path))
        assert response.status_code == 404 and "X-Accel-Redirect" not in response
    response = bob.client.get(url("data.bin"))
    assert response.status_code == 404 and "X-Accel-Redirect" not in response
    assert alice.client.get(url("data.bin"), HTTP_IF_NONE_MATCH="*").status_code == 304


def test_a_fifo_is_refused_without_hanging(alice: Actor, cells: Path) -> None:
    os.mkfifo(cells / "fifo")
    assert alice.client.get(url("fifo"), HTTP_RANGE="bytes=0-").status_code == 404


def test_nothing_is_read_before_the_body_is_sent(cells: Path, rf,  # noqa: ANN001
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # FileResponse measures a seekable file-like by reading all of it; a 40 GB file must not be.
    from projects.filesend import send_file

    read: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    handle = (cells / "data.bin").open("rb")
    response = send_file(rf.get("/"), handle, filename="data.bin")
    assert read == []
    assert response["Content-Length"] == str(len(DATA))
    assert b"".join(response.streaming_content) == DATA
    assert sum(read) >= len(DATA)  # the body was read through the descriptor
    response.close()
    assert handle.closed
