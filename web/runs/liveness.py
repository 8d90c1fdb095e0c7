"""The watcher's liveness (GET /livez on WATCHER_HEALTH_PORT, the chart's livenessProbe).

`manage.py watch_runs` is threads: a follower per kind, the notification sender, and the main
loop (heartbeat, retention, lag reports). Each catches the errors it expects (the API's, the
database's) and goes on; an unexpected one ends its thread while the process lives on, and the
archive of that kind would stay stale until someone restarts the pod. So the probe fails when a
thread has ended while the watcher is not stopping, or when the main loop has not come round
for `stall_seconds` (a heartbeat hung on a database that never answers): then the kubelet
restarts the container, and the new one resumes where the archive left off. It never calls the
API or the database itself: a probe that fails while a dependency is down would restart a
watcher that is only waiting for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

PATH = "/livez"


def problem(threads: Iterable[threading.Thread], ticked_at: float, now: float,
            stall_seconds: float) -> str | None:
    """Why the watcher is not alive, or None when it is."""
    ended = sorted(thread.name for thread in threads
                   if thread.ident is not None and not thread.is_alive())  # started, ended
    if ended:
        return f"thread(s) ended: {', '.join(ended)}"
    if now - ticked_at > stall_seconds:
        return (f"the main loop last came round {now - ticked_at:.0f} s ago "
                f"(more than {stall_seconds:.0f} s)")
    return None


def serve(port: int, check: Callable[[], str | None]) -> ThreadingHTTPServer:
    """Answer GET /livez on `port` from a daemon thread: 200 "ok", or 503 and the problem."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] != PATH:
                self._answer(404, "not found")
                return
            found = check()
            self._answer(503 if found else 200, found or "ok")

        def _answer(self, status: int, text: str) -> None:
            body = f"{text}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # a probe every few seconds is not news

    server = ThreadingHTTPServer(("", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="livez", daemon=True).start()
    log.info("liveness on port %d, GET %s", port, PATH)
    return server
