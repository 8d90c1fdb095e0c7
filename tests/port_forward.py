"""`kubectl port-forward svc/NAME LOCAL:PORT` for the double: 127.0.0.1:LOCAL relays to a Service.

The double's kube-proxy gives each Service a loopback address of its own, known only once the
Service exists; the chart's web app answers to `localhost` and `127.0.0.1` unless told other
host names (KUBESHOWCASE_HOSTS), exactly so that an admin can reach it with a port-forward. This
relays every connection to the proxied Service address, so requests still go through the
Service to a ready endpoint.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def port_forward(target_url: str, port: int = 0) -> Iterator[str]:
    """Relay 127.0.0.1:port (0: a free one) to target_url's host:port; yields the local URL."""
    target = urlsplit(target_url)
    address = (target.hostname or "127.0.0.1", target.port or 80)

    class Relay(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                upstream = socket.create_connection(address, timeout=10)
            except OSError:
                return  # as kubectl: the client's connection is closed
            upstream.settimeout(None)
            with upstream:
                back = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
                back.start()
                _pump(self.request, upstream)
                back.join()

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", port), Relay) as server:
        thread = threading.Thread(target=server.serve_forever, name="port-forward", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join(10)
