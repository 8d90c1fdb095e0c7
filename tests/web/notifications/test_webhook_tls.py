"""Webhook calls over https to a real TLS receiver: the call connects to the checked address
yet checks the receiver's certificate against the URL's host name, and a certificate that does
not chain to a trusted CA or names another host ends the call unsent."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kubedouble.tls import make_certificate
from notifications import webhooks
from notifications.webhooks import DeliveryError, Target
from tests.web.notifications.conftest import Receiver

SECRET = "0f" * 32


def certificate(folder: Path, *names: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) valid for exactly these subjectAltNames."""
    return make_certificate(folder, "", names)


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, Any]]:
    """An https receiver on 127.0.0.1; the second item serves it with a given certificate."""
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            found.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    servers: list[ThreadingHTTPServer] = []

    def serve(cert: Path, key: Path) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        found.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)

    try:
        yield found, serve
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def allowed_localhost(web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = ["localhost"]  # an admin's own receiver


@pytest.mark.usefixtures("allowed_localhost")
def test_an_https_call_reaches_the_checked_address_and_checks_the_name(
        tls_receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    receiver, serve = tls_receiver
    cert, key = certificate(tmp_path / "tls", "DNS:localhost")  # no IP: the name must match
    serve(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the lab's own CA
    url = f"https://localhost:{receiver.port}/hooks?x=1"
    assert webhooks.check_url(url).addresses == ("127.0.0.1",)
    assert webhooks.post(url, SECRET, b'{"runs": []}', "d-1") == 200
    [call] = receiver.calls
    assert call["path"] == "/hooks?x=1" and call["headers"]["Host"] == f"localhost:{receiver.port}"
    assert receiver.signature_ok(call, SECRET)


@pytest.mark.usefixtures("allowed_localhost")
def test_a_certificate_for_another_host_or_from_an_unknown_ca_ends_the_call_unsent(
        tls_receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    receiver, serve = tls_receiver
    cert, key = certificate(tmp_path / "other", "DNS:elsewhere.example", "IP:127.0.0.1")
    serve(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    url = f"https://localhost:{receiver.port}/hooks"
    with pytest.raises(DeliveryError, match="certificate verify failed: Hostname mismatch"):
        webhooks.post(url, SECRET, b"{}", "d-2")
    trusted, _ = certificate(tmp_path / "someone-else", "DNS:localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted))  # not the receiver's CA
    with pytest.raises(DeliveryError, match="certificate verify failed"):
        webhooks.post(url, SECRET, b"{}", "d-3")
    assert receiver.calls == []


def test_connect_goes_past_a_checked_address_that_does_not_answer() -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    closed = socket.create_server(("127.0.0.2", 0))
    refused = closed.getsockname()[1]
    closed.close()  # nothing listens there now: refused
    try:
        target = Target("https", "dual.example", port, "/", ("127.0.0.2", "127.0.0.1"))
        with webhooks.connect(target, 5) as connection:
            assert connection.getpeername() == ("127.0.0.1", port)
        nowhere = Target("https", "dual.example", refused, "/", ("127.0.0.2",))
        with pytest.raises(OSError, match="no address of dual.example answered"):
            webhooks.connect(nowhere, 5)
    finally:
        listening.close()
