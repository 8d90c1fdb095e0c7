"""What the folder page says when the tus server refuses a file (over the limit, a name clash),
the replace choice, and the one-request form that pages without JavaScript still post.
(A refused zip's message: test_browser.py's test_a_refused_upload_says_why_on_the_page.)"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.web.browser.conftest import create_project, serve_web, sign_in
from tests.web.browser.tus_page import downloaded, new_project_page, row, upload

pytestmark = pytest.mark.browser

MAX_UPLOAD = 4 * 2**20


@pytest.fixture(scope="module")
def web_server(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: ANN001
    extra = {"TUS_CHUNK_BYTES": str(256 * 1024), "USER_MAX_UPLOAD_BYTES": str(MAX_UPLOAD)}
    with serve_web(postgres_database_factory, tmp_path_factory.mktemp("tus-refusals"), extra) as url:
        yield url


def test_a_file_over_the_limit_is_refused_before_its_bytes_are_sent(
    page, tmp_path: Path, screenshot: Callable,
) -> None:  # noqa: ANN001
    (tmp_path / "huge.tif").write_bytes(os.urandom(MAX_UPLOAD + 1))
    (tmp_path / "fine.txt").write_text("fits")
    log = new_project_page(page, "quota")
    upload(page, tmp_path / "huge.tif", tmp_path / "fine.txt")
    page.get_by_text("Uploaded 1 file.").wait_for()
    [(status, message)] = log.refused(page)
    assert status == 413 and message.strip()
    huge = row(page, "huge.tif")
    assert huge.locator(".note").inner_text() == message.strip()
    assert "error" in (huge.get_attribute("class") or "")
    said = page.locator("#upload-status").inner_text()
    assert said.startswith("Uploaded 1 file.") and message.strip() in said and "huge.tif" in said
    assert log.count("PATCH") == 1, "only fine.txt's bytes were sent"
    page.locator("#entries").get_by_role("link", name="fine.txt").wait_for()
    assert page.locator("#entries").get_by_role("link", name="huge.tif").count() == 0
    screenshot("refused")


def test_a_name_clash_is_refused_unless_replacing_is_chosen(page, tmp_path: Path) -> None:  # noqa: ANN001
    notes = tmp_path / "notes.txt"
    notes.write_text("first")
    log = new_project_page(page, "clashes")
    upload(page, notes)
    page.get_by_text("Uploaded 1 file.").wait_for()

    notes.write_text("second, longer")
    upload(page, notes)
    page.locator("#upload-status.error").wait_for()
    [(status, message)] = log.refused(page)
    assert status == 409 and message.strip()
    assert row(page, "notes.txt").locator(".note").inner_text() == message.strip()
    assert log.count("POST") == 2, "a clash is not asked again"
    assert downloaded(page, [], "notes.txt") == b"first"

    page.get_by_label("Replace existing files of the same name").check()
    upload(page, notes)
    page.get_by_text("Uploaded 1 file.").wait_for()
    assert downloaded(page, [], "notes.txt") == b"second, longer"


def test_without_javascript_the_form_posts_the_files_at_once(browser, web_server: str, tmp_path: Path) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=web_server, java_script_enabled=False)
    page = context.new_page()
    try:
        for name in ("a.txt", "b.txt"):
            (tmp_path / name).write_text(name)
        sign_in(page)
        create_project(page, "plain form")
        assert page.locator("#upload-drop").is_hidden()
        assert page.get_by_label("Replace existing files of the same name").is_hidden()
        upload(page, tmp_path / "a.txt", tmp_path / "b.txt")
        page.get_by_text("Uploaded 2 files").wait_for()
        for name in ("a.txt", "b.txt"):
            assert page.locator("#entries").get_by_role("link", name=name).is_visible()
    finally:
        context.close()
