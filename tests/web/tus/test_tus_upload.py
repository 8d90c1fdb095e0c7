"""tuspy uploads against the live server: the file lands whole, in sub-folders if asked, and
an upload stopped half-way is resumed where it stopped."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from urllib.parse import urlsplit

from projects.models import OwnerUsage, Upload
from tests.waiting import wait_until
from tests.web.tus.conftest import TUS, TusActor, metadata, sha256, staged


def test_it_lands_the_file_with_its_sha256(tus_alice: TusActor) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    url = tus_alice.upload("cells", data, "scan.tif", chunk_size=1024 * 1024)
    landed = tus_alice.actor.home / "cells" / "scan.tif"
    assert sha256(landed) == hashlib.sha256(data).hexdigest()
    outcome = tus_alice.outcome(url)
    assert outcome["state"] == "landed"
    assert outcome["paths"] == ["scan.tif"]
    assert outcome["offset"] == outcome["length"] == len(data)
    assert staged() == []
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.files, usage.bytes) == (1, len(data))
    assert Upload.objects.get().state == "landed"


def test_relative_paths_make_their_folders(tus_alice: TusActor) -> None:
    url = tus_alice.upload("cells", b"well A01", "plate1/row A/A01.tif")
    assert (tus_alice.actor.home / "cells" / "plate1" / "row A" / "A01.tif").read_bytes() == (
        b"well A01")
    assert tus_alice.outcome(url)["paths"] == ["plate1/row A/A01.tif"]


def test_a_stopped_upload_resumes_where_it_stopped(tus_alice: TusActor) -> None:
    data = os.urandom(4 * 2**20)
    first = tus_alice.client("cells").uploader(
        file_stream=io.BytesIO(data), chunk_size=2**20, metadata={"filename": "stack.tif"})
    first.upload(stop_at=2 * 2**20)  # then the laptop went to sleep
    assert tus_alice.outcome(first.url)["offset"] == 2 * 2**20
    again = tus_alice.client("cells").uploader(
        file_stream=io.BytesIO(data), chunk_size=2**20, url=first.url)
    assert again.offset == 2 * 2**20  # asked the server (HEAD)
    again.upload()
    assert sha256(tus_alice.actor.home / "cells" / "stack.tif") == hashlib.sha256(data).hexdigest()


def test_a_patch_cut_mid_way_keeps_the_bytes_that_arrived(tus_alice: TusActor) -> None:
    data = os.urandom(2 * 2**20)
    created = tus_alice.request("POST", tus_alice.endpoint("cells"), headers={
        "Upload-Length": str(len(data)), "Upload-Metadata": metadata(filename="cut.bin")})
    url = created.headers["Location"]
    server = urlsplit(tus_alice.base)
    with socket.create_connection((server.hostname, server.port)) as connection:
        head = "".join(f"{name}: {value}\r\n" for name, value in {
            **tus_alice.headers, **TUS, "Host": server.netloc,
            "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(len(data))}.items())
        connection.sendall(f"PATCH {url} HTTP/1.1\r\n{head}\r\n".encode() + data[:2**20])
    # the Wi-Fi dropped: the server keeps what arrived and says so
    wait_until(lambda: tus_alice.request("HEAD", url).headers["Upload-Offset"] == str(2**20),
               what="the first MiB to be kept")

    def resume() -> int | None:  # 423 while the cut request is still letting go, as clients retry
        status = tus_alice.request("PATCH", url, data=data[2**20:], headers={
            "Upload-Offset": str(2**20),
            "Content-Type": "application/offset+octet-stream"}).status_code
        return None if status == 423 else status

    assert wait_until(resume, what="the rest to be taken") == 204
    assert sha256(tus_alice.actor.home / "cells" / "cut.bin") == hashlib.sha256(data).hexdigest()
