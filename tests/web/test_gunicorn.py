"""Real gunicorn, run as the web pod runs it: the image's CMD with the env `helm template` renders.

Issue #9: with 2 sync workers and a 30 s timeout "every upload, unzip, download or delete
longer than 30 s is killed, and two slow clients fail /healthz". The chart is rendered with a
3 s worker timeout (so the test is short) and two clients each take 5 s to send a request body
that Django reads, as an upload does. gthread workers keep telling the arbiter they are alive
while their threads work, so nothing is killed and /healthz answers throughout. The same
clients against the old settings (sync workers, same timeout) show what the test catches.
"""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.demo.stack import free_port
from tests.fixtures.web_gunicorn import (
    WEB,
    Server,
    gunicorn_env_of,
    launch,
    rendered_web_pod,
)

TIMEOUT = 3  # the rendered worker timeout; every slow request below lasts longer
SLOW_SECONDS = 5.0
CSRF_SECRET = "a" * 32  # Django accepts the unmasked secret as the form's token


@pytest.fixture
def start_gunicorn(tmp_path: Path) -> Iterator:
    started: list[Server] = []

    def start(gunicorn_env: dict[str, str], override_args: str = "") -> Server:
        port = free_port()
        home = tmp_path / f"home-{port}"
        home.mkdir()
        (tmp_path / "data").mkdir(exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),  # writable: a control socket would show up here
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(WEB),
            "SECRET_KEY": "gunicorn-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",  # these requests need none
            "DATA_ROOT": str(tmp_path / "data"),
            "KUBESHOWCASE_HOSTS": "localhost",
            "KUBESHOWCASE_SCHEME": "http",
            **gunicorn_env,
        }
        server = launch(env, port, tmp_path / f"gunicorn-{port}.log", home, override_args)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)


def healthz(server: Server, timeout: float) -> int | None:
    """The status of GET /healthz within `timeout` seconds, None if it does not come."""
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            head = conn.recv(64)
    except OSError:
        return None
    return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None


@dataclass
class SlowClient:
    """POSTs a form to /healthz, trickling its body over SLOW_SECONDS: Django's CSRF check
    reads the whole body inside the worker, as an upload view does."""

    server: Server
    reply: bytes = b""
    error: str = ""
    seconds: float = 0.0
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        body = f"csrfmiddlewaretoken={CSRF_SECRET}&pad={'x' * 1000}".encode()
        chunks = [body[i:i + 100] for i in range(0, len(body), 100)]
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as conn:
                conn.sendall(
                    b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    + f"Cookie: csrftoken={CSRF_SECRET}\r\n".encode()
                    + f"Content-Length: {len(body)}\r\n\r\n".encode())
                for chunk in chunks:
                    time.sleep(SLOW_SECONDS / len(chunks))
                    conn.sendall(chunk)
                while data := conn.recv(65536):
                    self.reply += data
        except OSError as error:
            self.error = f"{type(error).__name__}: {error}"
        self.seconds = time.monotonic() - started

    def wait(self) -> None:
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def probe_while(clients: list[SlowClient], server: Server) -> list[int | None]:
    """/healthz as the kubelet asks it (scaled: 1 s timeout) while the clients are sending."""
    statuses = []
    time.sleep(0.5)
    while any(client.thread.is_alive() for client in clients):
        statuses.append(healthz(server, timeout=1))
        time.sleep(0.5)
    return statuses


def test_slow_clients_neither_get_killed_nor_starve_the_probes(start_gunicorn) -> None:  # noqa: ANN001
    pod = rendered_web_pod(f"web.gunicorn.timeout={TIMEOUT}")
    settings = gunicorn_env_of(pod)
    assert settings["GUNICORN_TIMEOUT"] == str(TIMEOUT)
    server = start_gunicorn(settings)
    clients = [SlowClient(server), SlowClient(server)]
    statuses = probe_while(clients, server)
    for client in clients:
        client.wait()
    assert len(statuses) >= 4 and set(statuses) == {200}, statuses
    for client in clients:
        assert client.error == "" and client.seconds > TIMEOUT + 1, (client.error, client.seconds)
        assert client.reply.startswith(b"HTTP/1.1 200 OK"), (client.reply[:200], server.log)
        assert client.reply.endswith(b"\r\n\r\nok\n")
    assert "WORKER TIMEOUT" not in server.log
    assert "Using worker: gthread" in server.log
    # No control socket: gunicorn would otherwise make $HOME/.gunicorn/gunicorn.ctl.
    assert list(server.home.iterdir()) == []
    assert "Control" not in server.log


def test_the_old_sync_workers_fail_the_same_clients(start_gunicorn) -> None:  # noqa: ANN001
    """What the test above would see if the chart still ran 2 sync workers."""
    settings = gunicorn_env_of(rendered_web_pod(f"web.gunicorn.timeout={TIMEOUT}"))
    # (--threads 1: with more, gunicorn swaps sync for gthread by itself.)
    server = start_gunicorn(settings, "--worker-class sync --workers 2 --threads 1")
    clients = [SlowClient(server), SlowClient(server)]
    statuses = probe_while(clients, server)
    for client in clients:
        client.wait()
    assert "Using worker: sync" in server.log
    assert None in statuses, statuses  # the probe got no answer while both workers were held
    assert "WORKER TIMEOUT" in server.log
    assert not any(client.reply.startswith(b"HTTP/1.1 200") for client in clients)


def test_a_transfer_in_flight_finishes_after_sigterm(start_gunicorn) -> None:  # noqa: ANN001
    """A rolling update: the kubelet's SIGTERM lets the request finish (within gracefulTimeout,
    and terminationGracePeriodSeconds is longer still)."""
    pod = rendered_web_pod(f"web.gunicorn.timeout={TIMEOUT}", "web.gunicorn.gracefulTimeout=20")
    assert pod["terminationGracePeriodSeconds"] == 30
    server = start_gunicorn(gunicorn_env_of(pod))
    client = SlowClient(server)
    time.sleep(1)
    server.process.send_signal(signal.SIGTERM)
    client.wait()
    assert client.reply.startswith(b"HTTP/1.1 200 OK"), (client.error, server.log)
    assert server.process.wait(timeout=30) == 0
    assert healthz(server, timeout=1) is None  # and then it is gone


def test_the_default_grace_period_outlasts_gunicorns() -> None:
    pod = rendered_web_pod()
    graceful = int(gunicorn_env_of(pod)["GUNICORN_GRACEFUL_TIMEOUT"])
    assert graceful == 120
    assert pod["terminationGracePeriodSeconds"] == graceful + 10


def gunicorn_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`gunicorn --print-config` as the image runs it: the config file, no GUNICORN_* but `env`
    (it loads the app too, which needs the web app's own settings)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config"], cwd=WEB,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(WEB), "HOME": str(tmp_path),
             "SECRET_KEY": "gunicorn-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
             "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "DATA_ROOT": str(tmp_path),
             "KUBESHOWCASE_HOSTS": "localhost", **env},
        capture_output=True, text=True, timeout=60)


def test_the_image_without_the_chart_has_the_charts_defaults(tmp_path: Path) -> None:
    result = gunicorn_config(tmp_path, {})
    assert result.returncode == 0, result.stderr
    printed = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    settings = {name.strip(): value.strip() for name, value in printed.items()}
    env = gunicorn_env_of(rendered_web_pod())
    assert (settings["workers"], settings["threads"], settings["timeout"],
            settings["graceful_timeout"], settings["keepalive"], settings["max_requests"],
            settings["max_requests_jitter"]) == (
        env["WEB_CONCURRENCY"], env["GUNICORN_THREADS"], env["GUNICORN_TIMEOUT"],
        env["GUNICORN_GRACEFUL_TIMEOUT"], env["GUNICORN_KEEPALIVE"], env["GUNICORN_MAX_REQUESTS"],
        env["GUNICORN_MAX_REQUESTS_JITTER"])
    assert settings["worker_class"] == "gthread"
    # Ours, not gunicorn's (its pre_request hook applies it): not in the printed config.
    conf = runpy.run_path(str(WEB / "gunicorn.conf.py"))
    assert str(conf["client_timeout"]) == env["GUNICORN_CLIENT_TIMEOUT"]
    assert settings["control_socket_disable"] == "True"
    assert settings["bind"] == "['0.0.0.0:8000']"
    assert settings["wsgi_app"] == "kubeshowcase.wsgi:application"


def test_a_bad_setting_stops_gunicorn_with_its_name(tmp_path: Path) -> None:
    result = gunicorn_config(tmp_path, {"GUNICORN_THREADS": "lots"})
    assert result.returncode != 0
    assert "GUNICORN_THREADS must be a whole number; got 'lots'" in result.stderr
