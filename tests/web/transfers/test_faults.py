"""Uploads that survive real faults (issue #11), with the official Python tus client (tuspy):
a 200 MB upload whose connection is cut twice mid-PATCH resumes where the server got to (or,
with checksums, resends the chunks it could not check), and one
whose gunicorn worker is SIGKILLed mid-PATCH resumes against the other worker (the arbiter
starts a new one); either way the landed file's sha256 matches and staging is left empty.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tusclient.client import TusClient
from tusclient.uploader import Uploader

from bench.transfers import sha256_of
from tests.fixtures.cutting_proxy import CuttingProxy, SeenRequest
from tests.waiting import wait_until
from tests.web.transfers.conftest import (
    CLIENT_TIMEOUT,
    BigFile,
    MiB,
    Site,
    random_file,
)

SIZE = 200 * 10**6
CHUNK = 32 * MiB  # seven PATCHes; a cut after 12 MiB of one lands in its middle
CUT_AFTER = 12 * MiB
pytestmark = pytest.mark.alone  # 200 MB through loopback and disk, three times


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigFile]:
    """200 MB of random bytes on disk: a light-sheet stack, of sorts."""
    made = random_file(tmp_path_factory.mktemp("stack") / "stack.bin", SIZE)
    yield made
    made.path.unlink()


def uploader(site: Site, base_url: str, project: str, stack: BigFile,
             checksum: bool = False) -> Uploader:
    client = TusClient(f"{base_url}/projects/{project}/tus/", headers=site.alice.headers)
    # retry_delay=1: time for the server to notice the drop and give the upload back (a
    # PATCH then may still meet the old one writing: 423, or a stale offset: 409; both retried).
    return client.uploader(file_path=str(stack.path), chunk_size=CHUNK, retries=5,
                           retry_delay=1, upload_checksum=checksum,
                           metadata={"filename": "plate1/stack.bin"})


def upload_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def assert_landed(site: Site, project: str, url: str, stack: BigFile) -> None:
    outcome = site.alice.session.get(f"{site.server.url}/uploads/{upload_id(url)}/").json()
    assert (outcome["state"], outcome["offset"], outcome["paths"]) == (
        "landed", SIZE, ["plate1/stack.bin"]), outcome
    assert sha256_of(site.landed(site.alice, project, "plate1/stack.bin")) == stack.sha256
    assert site.staging_leftovers() == []


@pytest.mark.parametrize("checksum", [False, True], ids=["plain", "checksummed"])
def test_an_upload_cut_twice_resumes_and_lands_whole(site: Site, stack: BigFile,
                                                     checksum: bool) -> None:
    project = f"cut-twice-{checksum}".lower()
    site.alice.create_project(project)
    with CuttingProxy(site.server.port, cut_after=CUT_AFTER, cuts=2) as proxy:
        upload = uploader(site, proxy.url, project, stack, checksum)
        upload.upload()
    assert proxy.cuts_made == 2
    assert [r.method for r in proxy.requests].count("POST") == 1  # resumed, never made again
    patches = [r for r in proxy.requests if r.method == "PATCH"]
    assert all(r.target == f"/uploads/{upload_id(upload.url)}/" for r in patches)
    offsets = [int(r.headers["upload-offset"]) for r in patches]
    for index, patch in enumerate(patches):
        if patch.cut and checksum:
            # A checksummed chunk cut short cannot be checked: it is dropped and sent again.
            assert offsets[index + 1] == offsets[index], offsets
        elif patch.cut:
            # The next PATCH starts past where the cut one did: the server kept what it got
            # (and no further than what was sent before the cut).
            assert offsets[index] < offsets[index + 1] <= offsets[index] + CUT_AFTER, offsets
    assert offsets[-1] + int(patches[-1].headers["content-length"]) == SIZE
    assert_landed(site, project, upload.url, stack)


def test_a_worker_killed_mid_upload_is_resumed_against_another(site: Site, stack: BigFile) -> None:
    site.alice.create_project("worker-killed")
    upload = uploader(site, site.server.url, "worker-killed", stack)
    upload.set_url(upload.create_url())
    staged = site.staging / f"tus-{upload_id(upload.url)}.part"
    workers_before = site.server.worker_pids()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            upload.upload()
        except BaseException as error:  # noqa: BLE001 (handed to the test)
            failure.append(error)

    client = threading.Thread(target=run, daemon=True)
    client.start()

    def writing_worker() -> int | None:
        """The worker with the staged file open, from a third of the upload to two thirds."""
        if staged.exists() and SIZE // 3 < staged.stat().st_size < SIZE * 2 // 3:
            return site.server.worker_holding(staged)
        return None

    killed = wait_until(writing_worker, 120, "a worker writing the upload", interval=0.01)
    os.kill(killed, signal.SIGKILL)
    client.join(timeout=180)
    assert not client.is_alive() and failure == [], failure
    assert f"Worker (pid:{killed}) was sent SIGKILL" in site.server.log
    # tuspy asks where to go on only after a failed PATCH (it made the upload itself).
    assert f'"HEAD /uploads/{upload_id(upload.url)}/ HTTP/1.1" 200' in site.server.log
    # The arbiter made a new one: two workers again, the killed one not among them.
    workers_after = wait_until(lambda: pids if len(pids := site.server.worker_pids()) == 2
                               else None, 60, "the arbiter to replace the killed worker")
    assert killed in workers_before and killed not in workers_after
    assert_landed(site, "worker-killed", upload.url, stack)


def test_an_upload_whose_client_vanished_is_resumed_by_it_later(
        site: Site, tmp_path: Path) -> None:
    """The Wi-Fi goes and the server hears nothing more (no FIN, no RST): the PATCH it was
    reading gives up once the client has been silent for the client timeout, keeping what
    arrived, so the same client back on the network resumes (instead of 423 for ever)."""
    site.alice.create_project("vanished")
    small = random_file(tmp_path / "small.bin", 40 * MiB)
    with CuttingProxy(site.server.port, cut_after=6 * MiB, cuts=1, silent=True) as proxy:
        client = TusClient(f"{proxy.url}/projects/vanished/tus/", headers=site.alice.headers)
        upload = client.uploader(file_path=str(small.path), chunk_size=16 * MiB,
                                 retries=CLIENT_TIMEOUT * 4, retry_delay=1,
                                 metadata={"filename": "small.bin"})
        upload.upload()
        assert proxy.cuts_made == 1
    patches = [r for r in proxy.requests if r.method == "PATCH"]
    offsets = [int(r.headers["upload-offset"]) for r in patches]
    assert offsets[0] == 0 and offsets[1] == 6 * MiB, offsets  # all it got was kept
    assert sha256_of(site.landed(site.alice, "vanished", "small.bin")) == small.sha256
    assert site.staging_leftovers() == []


def test_an_upload_whose_last_answer_was_lost_ends_well(site: Site, tmp_path: Path) -> None:
    """The last PATCH's bytes all arrive and land, but its 204 never reaches the client. tuspy
    asks HEAD (all bytes in) and sends the empty PATCH at the end that tus allows; the server
    should acknowledge it (204, as tusd does) rather than fail an upload that landed."""
    site.alice.create_project("answer-lost")
    small = random_file(tmp_path / "small.bin", 40 * MiB)

    def last_patch(request: SeenRequest) -> bool:
        return request.method == "PATCH" and int(request.headers["upload-offset"]) + int(
            request.headers["content-length"]) == small.size

    with CuttingProxy(site.server.port, cut_after=small.size, cuts=1, silent=True,
                      cut_when=last_patch) as proxy:
        client = TusClient(f"{proxy.url}/projects/answer-lost/tus/", headers=site.alice.headers)
        upload = client.uploader(file_path=str(small.path), chunk_size=16 * MiB, retries=3,
                                 retry_delay=1, metadata={"filename": "small.bin"})
        try:
            upload.upload()
        finally:
            assert proxy.cuts_made == 1
            outcome = site.alice.session.get(
                f"{site.server.url}/uploads/{upload_id(upload.url)}/").json()
            assert (outcome["state"], outcome["paths"]) == ("landed", ["small.bin"]), outcome
            assert sha256_of(site.landed(site.alice, "answer-lost", "small.bin")) == small.sha256
            assert site.staging_leftovers() == []
