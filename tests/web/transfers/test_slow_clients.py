"""No transfer is cut off (issue #11): under the chart's gunicorn settings with a 3 s worker
timeout, a tus PATCH whose body a slow client sends over ~10 s and a download a slow client reads
over ~10 s both finish, their worker is never killed, and /healthz and another owner's project
page keep answering meanwhile. (How fast they answer is bench/'s business, not asserted here.)
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests

from tests.web.transfers.conftest import WORKER_TIMEOUT, MiB, Site, random_file

SLOW_SECONDS = 10.0
pytestmark = pytest.mark.alone  # the pacing and the 3 s worker timeout are time-bound


@dataclass
class Background:
    """A function run in a thread; its exception, if any, is kept for the test to raise."""

    run: Callable[[], None]
    error: BaseException | None = None
    seconds: float = 0.0
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            self.run()
        except BaseException as error:  # noqa: BLE001 (handed to the test)
            self.error = error
        self.seconds = time.monotonic() - started

    def join(self) -> None:
        self.thread.join(timeout=120)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def probe_while(transfer: Background, site: Site, project: str) -> list[tuple[int, int]]:
    """(/healthz, bob's project page) statuses, asked every half second while transfer runs."""
    statuses = []
    while transfer.thread.is_alive():
        health = requests.get(f"{site.server.url}/healthz", timeout=5).status_code
        page = site.bob.session.get(f"{site.server.url}/projects/{project}/", timeout=5)
        statuses.append((health, page.status_code))
        time.sleep(0.5)
    return statuses


def paced(total: int, sent: int, started: float) -> None:
    """Sleep so that `sent` of `total` bytes take their share of SLOW_SECONDS."""
    time.sleep(max(0.0, started + SLOW_SECONDS * sent / total - time.monotonic()))


def cookie_header(site: Site) -> str:
    return site.alice.headers["Cookie"]


def read_response(conn: socket.socket, on_data: Callable[[int], None]) -> tuple[bytes, bytes]:
    """(head, body) of a `Connection: close` response, on_data(bytes so far) after each read."""
    received = b""
    while data := conn.recv(64 * 1024):
        received += data
        on_data(len(received))
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


def test_a_download_read_slowly_is_not_cut_off(site: Site) -> None:
    site.alice.create_project("slow-download")
    site.bob.create_project("bobs-page")
    size = 24 * MiB
    stack = random_file(site.landed(site.alice, "slow-download", "stack.tif"), size)
    workers = site.server.worker_pids()
    result: dict[str, bytes] = {}

    def download() -> None:
        with socket.socket() as conn:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            conn.settimeout(30)
            conn.connect(("127.0.0.1", site.server.port))
            conn.sendall(b"GET /projects/slow-download/file/stack.tif HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\nConnection: close\r\n"
                         + f"Cookie: {cookie_header(site)}\r\n\r\n".encode())
            started = time.monotonic()
            result["head"], result["body"] = read_response(
                conn, lambda received: paced(size, received, started))

    transfer = Background(download)
    statuses = probe_while(transfer, site, "bobs-page")
    transfer.join()
    assert result["head"].startswith(b"HTTP/1.1 200 OK"), result["head"]
    assert hashlib.sha256(result["body"]).hexdigest() == stack.sha256
    assert transfer.seconds > WORKER_TIMEOUT + 5, transfer.seconds
    assert len(statuses) >= 10 and set(statuses) == {(200, 200)}, statuses
    assert "WORKER TIMEOUT" not in site.server.log
    assert site.server.worker_pids() == workers  # none killed, none restarted


def test_a_tus_patch_sent_slowly_is_not_cut_off(site: Site) -> None:
    site.alice.create_project("slow-upload")
    site.bob.create_project("bobs-other-page")
    size = 2 * MiB
    body = bytes(range(256)) * (size // 256)
    created = site.alice.session.post(
        f"{site.server.url}/projects/slow-upload/tus/",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size),
                 "Upload-Metadata": "filename " + base64.b64encode(b"slow.bin").decode()})
    assert created.status_code == 201, created.text
    upload_path = created.headers["Location"]
    staged = site.staging / f"tus-{upload_path.strip('/').rsplit('/', 1)[-1]}.part"
    workers = site.server.worker_pids()
    writers: set[int | None] = set()
    result: dict[str, bytes] = {}

    def patch() -> None:
        with socket.create_connection(("127.0.0.1", site.server.port), timeout=30) as conn:
            conn.sendall(f"PATCH {upload_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Connection: close\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                         "Content-Type: application/offset+octet-stream\r\n"
                         f"Content-Length: {size}\r\nCookie: {cookie_header(site)}\r\n"
                         f"X-CSRFToken: {site.alice.headers['X-CSRFToken']}\r\n\r\n".encode())
            started = time.monotonic()
            for start in range(0, size, 32 * 1024):
                conn.sendall(body[start:start + 32 * 1024])
                if start == size // 2:  # mid-body: the worker reading it has the staged file open
                    writers.add(site.server.worker_holding(staged))
                paced(size, start + 32 * 1024, started)
            result["head"], _ = read_response(conn, lambda _: None)

    transfer = Background(patch)
    statuses = probe_while(transfer, site, "bobs-other-page")
    transfer.join()
    assert result["head"].startswith(b"HTTP/1.1 204"), result["head"]
    assert transfer.seconds > WORKER_TIMEOUT + 5, transfer.seconds
    assert len(statuses) >= 10 and set(statuses) == {(200, 200)}, statuses
    (writer,) = writers
    assert writer in workers  # one of the workers there from the start wrote it, and lives on
    assert site.server.worker_pids() == workers
    assert "WORKER TIMEOUT" not in site.server.log
    outcome = site.alice.session.get(f"{site.server.url}{upload_path}").json()
    assert (outcome["state"], outcome["offset"], outcome["paths"]) == ("landed", size, ["slow.bin"])
    assert site.landed(site.alice, "slow-upload", "slow.bin").read_bytes() == body
    assert site.staging_leftovers() == []
