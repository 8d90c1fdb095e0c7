"""DOWNLOAD_OFFLOAD=x-accel-redirect behind a real nginx configured as the chart README says.

The web app (gunicorn) checks the user and the file, then names it to nginx, which opens the
path itself and answers Range. Between the check and nginx's open a pipeline can swap the file
or a folder on its way for a symbolic link: the README's `disable_symlinks on;` makes nginx
refuse it. That race is played by an upstream that names a link to nginx at once, and the same
request against the location without `disable_symlinks` shows what the setting prevents.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.chart.sync import README_FILE
from tests.demo.stack import free_port
from tests.web.browser.conftest import PASSWORD, USERNAME, serve_web
from tests.web_client import WebUser

DATA = bytes(range(256)) * 64
SECRET = b"bob's unpublished data"


def readme_nginx_locations() -> str:
    """The chart README's nginx configuration block."""
    block = re.search(r"```nginx\n(.*?)```", README_FILE.read_text(), re.S)
    assert block, "the chart README has no nginx block"
    return block[1]


class _NamesWhatItIsAsked(BaseHTTPRequestHandler):
    """An upstream answering GET /<any>/<uri> with X-Accel-Redirect: /<uri>, as the web app
    would for a file a pipeline swaps for a link right after the check."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("X-Accel-Redirect", "/" + self.path.split("/", 2)[2])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Proxy:
    url: str  # nginx
    data: Path  # DATA_ROOT, as both gunicorn and nginx see it
    session: requests.Session  # signed in

    def get(self, path: str, **headers: str) -> requests.Response:
        return self.session.get(self.url + path, headers=headers, timeout=60)


def nginx_config(root: Path, port: int, web: str, upstream: str, data: Path) -> str:
    locations = readme_nginx_locations()
    assert "disable_symlinks on;" in locations
    locations = locations.replace("alias /data/;", f"alias {data}/;").replace(
        "proxy_pass http://kubeshowcase-web;", f"proxy_pass {web};")
    unguarded = re.search(r"location /protected-data/ \{.*?\n\}", locations, re.S)
    assert unguarded
    # The control: the same location without the guard, reached only from /race-unguarded/.
    control = unguarded[0].replace("/protected-data/", "/unguarded/").replace(
        "disable_symlinks on;", "disable_symlinks off;")
    temp = root / "nginx-temp"
    temp.mkdir()
    return f"""
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /race/ {{ proxy_pass {upstream}; }}
        location /race-unguarded/ {{ proxy_pass {upstream}; }}
{locations}
{control}
    }}
}}
"""


@pytest.fixture(scope="module")
def proxy(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Proxy]:  # noqa: ANN001
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.access(nginx, os.X_OK), "nginx is needed (.ci/run installs nginx-light)"
    root = tmp_path_factory.mktemp("offload")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _NamesWhatItIsAsked)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    offload = {"DOWNLOAD_OFFLOAD": "x-accel-redirect", "DOWNLOAD_OFFLOAD_PREFIX": "/protected-data"}
    with serve_web(postgres_database_factory, root, offload) as web:
        port = free_port()
        config = root / "nginx.conf"
        config.write_text(nginx_config(root, port, web, f"http://127.0.0.1:{upstream.server_port}",
                                       root / "data"))
        server = subprocess.Popen([nginx, "-c", str(config), "-p", str(root)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            user = WebUser(web)
            user.sign_in(USERNAME, PASSWORD)
            user.post("/projects/", "/projects/new", {"name": "scans"})
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, (root / "nginx-error.log").read_text()
                try:
                    requests.get(url + "/healthz", timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            yield Proxy(url, root / "data", user.session)
        finally:
            server.send_signal(signal.SIGQUIT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            upstream.shutdown()


def test_nginx_sends_the_checked_file_and_its_ranges(proxy: Proxy) -> None:
    name = "plate 1?#%.bin"  # percent-encoded in X-Accel-Redirect, decoded by nginx
    (proxy.data / USERNAME / "scans" / name).write_bytes(DATA)
    path = "/projects/scans/file/plate%201%3F%23%25.bin"
    whole = proxy.get(path)
    assert whole.status_code == 200 and whole.content == DATA
    part = proxy.get(path, Range="bytes=100-199")
    assert part.status_code == 206 and part.content == DATA[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    for response in (whole, part):
        assert "X-Accel-Redirect" not in response.headers
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "sandbox"
        assert response.headers["Cache-Control"] == "private, no-cache"
    revalidated = proxy.get(path, **{"If-None-Match": whole.headers["ETag"]})
    assert revalidated.status_code == 304


def test_nginx_answers_only_for_what_the_web_app_allowed(proxy: Proxy, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(SECRET)
    project = proxy.data / USERNAME / "scans"
    (project / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert proxy.get("/projects/scans/file/leak.txt").status_code == 404  # the app's check
    assert proxy.get("/protected-data/alice/scans/leak.txt").status_code == 404  # internal
    anonymous = requests.get(proxy.url + "/projects/scans/file/leak.txt", timeout=30)
    assert SECRET not in anonymous.content


def test_a_file_swapped_for_a_link_after_the_check_is_refused_by_nginx(
    proxy: Proxy, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_bytes(SECRET)
    project = proxy.data / USERNAME / "scans"
    (project / "swapped.txt").symlink_to(tmp_path / "elsewhere" / "secret.txt")
    (project / "swapped-folder").symlink_to(tmp_path / "elsewhere")
    for target in ("swapped.txt", "swapped-folder/secret.txt"):
        guarded = requests.get(f"{proxy.url}/race/protected-data/alice/scans/{target}",
                               timeout=30)
        assert guarded.status_code in (403, 404), target
        assert SECRET not in guarded.content
        # What disable_symlinks prevents: the same location without it serves the secret.
        unguarded = requests.get(f"{proxy.url}/race-unguarded/unguarded/alice/scans/{target}",
                                 timeout=30)
        assert unguarded.content == SECRET, target
