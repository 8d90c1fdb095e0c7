"""A real gunicorn serving the web app on the session's PostgreSQL, and headless Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.browser import save_screenshot
from tests.fixtures.web_gunicorn import PASSWORD, USERNAME, WEB, serve_web  # noqa: F401 (theirs)


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
