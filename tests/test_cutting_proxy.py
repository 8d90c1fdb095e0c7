"""The cutting proxy (tests/fixtures/cutting_proxy.py) in front of a stdlib HTTP server that
records how many body bytes each request brought: it cuts where it is told, as often as told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.fixtures.cutting_proxy import CuttingProxy
from tests.waiting import wait_until

BODY = bytes(range(256)) * 4096  # 1 MiB


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn
    received: list[bytes] = []

    def do_PUT(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        body = b""
        while len(body) < length and (data := self.rfile.read1(length - len(body))):
            body += data
        self.received.append(body)
        if len(body) == length:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_it_cuts_bodies_after_n_bytes_as_often_as_told(upstream: ThreadingHTTPServer) -> None:
    with CuttingProxy(upstream.server_address[1], cut_after=100_000, cuts=2) as proxy:
        for _ in range(2):
            with pytest.raises(requests.ConnectionError):
                requests.put(f"{proxy.url}/x", data=BODY, timeout=30)
        assert requests.put(f"{proxy.url}/x", data=BODY, timeout=30).status_code == 204
        wait_until(lambda: len(Recorder.received) == 3, 10, "the server to see three requests")
        assert Recorder.received == [BODY[:100_000], BODY[:100_000], BODY]
        assert proxy.cuts_made == 2
        assert [(r.method, r.headers["content-length"], r.cut) for r in proxy.requests] == [
            ("PUT", str(len(BODY)), True), ("PUT", str(len(BODY)), True),
            ("PUT", str(len(BODY)), False)]


def test_it_passes_short_bodies_and_keeps_connections_alive(upstream: ThreadingHTTPServer) -> None:
    with CuttingProxy(upstream.server_address[1], cut_after=len(BODY), cuts=1) as proxy:
        with requests.Session() as session:
            for _ in range(3):
                assert session.put(f"{proxy.url}/x", data=BODY, timeout=30).status_code == 204
        assert Recorder.received == [BODY] * 3
        assert proxy.cuts_made == 0
        assert (len(proxy.requests), proxy.connections) == (3, 1)


def test_a_silent_cut_leaves_the_server_waiting_until_it_closes(
        upstream: ThreadingHTTPServer) -> None:
    with CuttingProxy(upstream.server_address[1], cut_after=100_000, cuts=1,
                      silent=True) as proxy:
        with pytest.raises(requests.ConnectionError):
            requests.put(f"{proxy.url}/x", data=BODY, timeout=30)
        assert proxy.cuts_made == 1
        with pytest.raises(AssertionError):  # the server still waits for the rest
            wait_until(lambda: Recorder.received, 1, "the server to give up")
    wait_until(lambda: Recorder.received, 10, "the server to see the end")
    assert Recorder.received == [BODY[:100_000]]
