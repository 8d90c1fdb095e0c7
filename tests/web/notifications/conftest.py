"""Run notifications' tests: a real SMTP server (aiosmtpd) and a real HTTP receiver, both on
loopback and started by the test, the double and the watcher (tests/web/watcher/conftest.py)."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.web.runs.conftest import Cluster, cluster  # noqa: F401 (fixture)
from tests.web.watcher.conftest import data_root, watched  # noqa: F401 (fixtures)


class _Inbox:
    """aiosmtpd's handler: every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


class _AnyPortController(Controller):
    """aiosmtpd's Controller on a port the system picks (port=0): its start-up check then
    connects to the port actually bound, not to 0."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server(web_settings) -> Iterator[_Inbox]:  # noqa: ANN001
    """A real SMTP server on loopback; the web app's mail settings point at it."""
    inbox = _Inbox()
    controller = _AnyPortController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        # Django's test set-up swaps in the in-memory backend: these tests want the real one.
        web_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        web_settings.EMAIL_HOST = "127.0.0.1"
        web_settings.EMAIL_PORT = controller.port
        web_settings.DEFAULT_FROM_EMAIL = "kubeshowcase@lab.example"
        web_settings.SITE_URL = "https://showcase.lab.example"
        yield inbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    """A webhook receiver: answers the statuses queued in `answers` (then 200), keeps calls."""

    port: int = 0
    answers: list[int] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/runs?from=kubeshowcase"

    def signature_ok(self, call: dict[str, Any], secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), call["body"], hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, call["headers"].get("X-Kubeshowcase-Signature", ""))


@pytest.fixture
def receiver(web_settings) -> Iterator[Receiver]:  # noqa: ANN001
    """A stdlib http.server in a thread on loopback, which NOTIFY_WEBHOOK_ALLOWED_HOSTS allows."""
    found = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status = found.answers.pop(0) if found.answers else 200
                found.calls.append({"path": self.path, "headers": dict(self.headers),
                                    "body": body, "status": status, "at": time.monotonic()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    web_settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    web_settings.SITE_URL = "https://showcase.lab.example"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def end_run(cluster: Cluster, run: dict, phase: str, *, minutes: int = 3,
            ended: datetime | None = None, **status: Any) -> None:
    """What the operator writes when a run ends: its phase, start and completion times."""
    ended = ended or datetime.now(timezone.utc)
    started = ended - timedelta(minutes=minutes)
    cluster.set_status(run["metadata"]["name"], phase=phase,
                       startTime=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       completionTime=ended.strftime("%Y-%m-%dT%H:%M:%SZ"), **status)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def json_of(call: dict[str, Any]) -> dict[str, Any]:
    return json.loads(call["body"])


@contextlib.contextmanager
def no_sender(web_settings) -> Iterator[None]:  # noqa: ANN001
    """Watchers made in the block record notifications but do not send them."""
    web_settings.NOTIFY_SENDER = False
    try:
        yield
    finally:
        web_settings.NOTIFY_SENDER = True
