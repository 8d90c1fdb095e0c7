"""Downloads from the real server (gunicorn, gthread, as tests/web/browser runs it) with real
clients: a dropped download resumed with `curl -C -`, and a zip that streams as it is made.

Issue #11: "Downloads of files support Range (resumable with curl -C - or a browser) ... zip
downloads stream with no temporary file and flat memory."
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.browser.conftest import PASSWORD, USERNAME, serve_web
from tests.web_client import WebUser

MiB = 2**20


@dataclass
class Site:
    url: str
    data: Path  # DATA_ROOT of the server
    tmp: Path  # the server's TMPDIR
    cookie: str  # the signed-in session, as a Cookie header value

    def project(self, name: str) -> Path:
        return self.data / USERNAME / name


@pytest.fixture(scope="module")
def site(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("downloads-site")
    (root / "tmp").mkdir()
    with serve_web(postgres_database_factory, root, {"TMPDIR": str(root / "tmp")}) as url:
        user = WebUser(url)
        user.sign_in(USERNAME, PASSWORD)
        for name in ("scans", "plates"):
            user.post("/projects/", "/projects/new", {"name": name})
        cookie = "; ".join(f"{c.name}={c.value}" for c in user.session.cookies)
        yield Site(url, root / "data", root / "tmp", cookie)


def open_get(site: Site, path: str, receive_buffer: int = 64 * 1024
             ) -> tuple[socket.socket, bytes, bytes]:
    """(the connection, the response head, the body bytes read with it) of an HTTP/1.0 GET
    (so no chunked coding: the body ends where the connection does). A small receive buffer
    keeps the server from getting far ahead of what the test has read."""
    parts = urlsplit(site.url)
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    conn.settimeout(60)
    conn.connect((parts.hostname, parts.port))
    conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {parts.netloc}\r\n"
                 f"Cookie: {site.cookie}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return conn, head, body


def read_to_end(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(1 << 20):
        chunks.append(chunk)
    conn.close()
    return b"".join(chunks)


def leftovers(site: Site) -> list[str]:
    """Anything the server wrote to its TMPDIR or to the data volume's staging area."""
    staging = site.data / ".staging"
    found = list(site.tmp.rglob("*")) + (list(staging.rglob("*")) if staging.exists() else [])
    return [str(path) for path in found]


def test_a_dropped_download_resumes_with_curl(site: Site, tmp_path: Path) -> None:
    original = os.urandom(12 * MiB + 123)
    (site.project("scans") / "stack.tif").write_bytes(original)
    path = "/projects/scans/file/stack.tif"
    # The Wi-Fi drops after 3 MiB: the connection goes, the part stays on disk.
    conn, head, body = open_get(site, path)
    while len(body) < 3 * MiB:
        body += conn.recv(65536)
    conn.close()
    assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head
    part = tmp_path / "stack.tif"
    part.write_bytes(body)
    got = len(body)
    assert 0 < got < len(original)
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--continue-at", "-",
         "--dump-header", str(tmp_path / "head.txt"), "--cookie", site.cookie,
         "--output", str(part), site.url + path],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    headers = (tmp_path / "head.txt").read_text()
    assert headers.startswith("HTTP/1.1 206"), headers
    assert f"Content-Range: bytes {got}-{len(original) - 1}/{len(original)}" in headers
    assert hashlib.sha256(part.read_bytes()).hexdigest() == hashlib.sha256(original).hexdigest()
    assert leftovers(site) == []


def test_a_planted_link_or_fifo_is_still_refused(site: Site, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    project = site.project("scans")
    (project / "leak.txt").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(project / "pipe")
    for name in ("leak.txt", "pipe"):
        result = subprocess.run(
            ["curl", "--silent", "--cookie", site.cookie, "--range", "0-",
             "--write-out", "%{http_code}", "--output", str(tmp_path / "out"),
             f"{site.url}/projects/scans/file/{name}"],
            capture_output=True, text=True, timeout=60)
        assert result.stdout == "404", name
        assert b"secret" not in (tmp_path / "out").read_bytes()


def test_a_zip_streams_as_it_is_made_and_writes_nothing(site: Site) -> None:
    # Names are zipped in order: 16 MiB that does not compress, then z.txt. The server can be
    # at most its send buffer (4 MiB here) plus our 64 KiB ahead of what we read.
    project = site.project("plates")
    (project / "a.bin").write_bytes(os.urandom(16 * MiB))
    (project / "z.txt").write_bytes(b"before")
    conn, head, body = open_get(site, "/projects/plates/zip/")
    while len(body) < 64 * 1024:
        body += conn.recv(65536)
    assert b" 200 " in head.split(b"\r\n")[0] and b"application/zip" in head
    assert body.startswith(b"PK\x03\x04")  # the first bytes are here...
    time.sleep(0.5)  # (the server may run ahead as far as the buffers let it)
    (project / "z.txt.new").write_bytes(b"after")
    os.replace(project / "z.txt.new", project / "z.txt")  # ...before z.txt was zipped
    assert leftovers(site) == []  # no temporary archive while it is made
    archive = body + read_to_end(conn)
    tmp_zip = site.tmp.parent / "plates.zip"
    tmp_zip.write_bytes(archive)
    with zipfile.ZipFile(tmp_zip) as opened:
        assert opened.testzip() is None
        assert opened.read("plates/z.txt") == b"after"
        assert opened.getinfo("plates/a.bin").file_size == 16 * MiB
    tmp_zip.unlink()
    assert leftovers(site) == []
