"""A real gunicorn serving the web app on the session's PostgreSQL, and headless Chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pytest

from tests.fixtures.browser import save_screenshot
from tests.fixtures.watcher import running_watcher
from tests.waiting import answers_ok

REPO = Path(__file__).resolve().parents[3]
WEB = REPO / "web"
USERNAME = "alice"
PASSWORD = "browser-test-passphrase"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


@contextlib.contextmanager
def serve_web(
    postgres_database_factory: Callable[[str], str],
    root: Path,
    extra_env: dict[str, str] | None = None,
    watch: Any = None,
) -> Iterator[str]:
    """Base URL of `gunicorn kubeshowcase.wsgi` after migrate, collectstatic and createsuperuser.

    root holds the data folder (root/data), static files and the log; extra_env adds settings
    (e.g. KUBECONFIG for the runs pages). With watch (an ApiServerHandle), the run archive's
    watcher (tests/fixtures/watcher.py) runs against that double and the same database, as in
    the chart. The server is stopped when the block ends.
    """
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(WEB),
        "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings",
        "SECRET_KEY": "browser-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": postgres_database_factory("browser"),
        "DATA_ROOT": str(root / "data"),
        "STATIC_ROOT": str(root / "static"),
        "KUBESHOWCASE_HOSTS": f"127.0.0.1:{port}",
        "KUBESHOWCASE_SCHEME": "http",
        "ALLOW_GUESTS": "on",
        "DEMO_USERS": "demo",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        **(extra_env or {}),
    }
    (root / "data").mkdir(exist_ok=True)
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["createsuperuser", "--noinput", "--username", USERNAME, "--email", "alice@example.org"],
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=WEB,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            pytest.fail(f"manage.py {command[0]} failed:\n{result.stdout}\n{result.stderr}")
    watcher = contextlib.ExitStack()
    if watch is not None:
        watcher.enter_context(running_watcher(watch, env["DATABASE_URL"], root / "watcher.log"))
    log_path = root / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kubeshowcase.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--graceful-timeout",
                "5",
            ],
            cwd=WEB,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers go down with it
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(
            lambda: server.poll() is not None or answers_ok(f"{base_url}/readyz"), 60, "gunicorn"
        )
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log_path.read_text()}")
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        watcher.close()


@pytest.fixture(scope="module")
def web_server(
    postgres_database_factory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:  # noqa: ANN001
    """Base URL of the web app under gunicorn (no Kubernetes API: runs pages say so)."""
    with serve_web(postgres_database_factory, tmp_path_factory.mktemp("web-server")) as url:
        yield url


@pytest.fixture
def page(browser, web_server: str):  # noqa: ANN001, ANN201
    """A fresh browser context (no cookies) on the running server."""
    context = browser.new_context(base_url=web_server, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    # Chromium reports what the Content-Security-Policy blocked on the console: a blocked
    # script or style fails the test even where the page still happens to look right.
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert blocked == [], blocked


@pytest.fixture
def screenshot(page, request: pytest.FixtureRequest) -> Callable[[str], Path]:  # noqa: ANN001
    """screenshot("step") saves test-output/screenshots/<test>-<step>.png."""
    def take(step: str) -> Path:
        return save_screenshot(page, f"{request.node.name}-{step}")

    return take


def sign_in(page, username: str = USERNAME, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Projects").wait_for()


def create_project(page, name: str) -> None:  # noqa: ANN001
    page.goto("/projects/")
    page.get_by_label("New project").fill(name)
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("heading", name=name).wait_for()
