"""The web app in real Chromium against gunicorn: sign in, projects, uploads, zips, guests."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.web.browser.conftest import create_project, sign_in
from tests.web.browser.tus_page import uploader_ready

pytestmark = pytest.mark.browser


def expect_visible(locator) -> None:  # noqa: ANN001
    locator.wait_for(state="visible")


def test_signing_in_and_creating_a_project(page, screenshot: Callable) -> None:  # noqa: ANN001
    page.goto("/")
    assert "/accounts/login/" in page.url
    screenshot("login")
    sign_in(page)
    create_project(page, "cells")
    assert page.get_by_text("Created project “cells”.").is_visible()
    assert page.get_by_text("This folder is empty.").is_visible()
    screenshot("created")


def test_uploading_several_files_shows_progress_to_the_end(
    page, screenshot: Callable, tmp_path: Path
) -> None:  # noqa: ANN001
    sign_in(page)
    create_project(page, "uploads")
    uploader_ready(page)
    chosen = []
    for name, size in [("big.bin", 8 * 2**20), ("notes.txt", 20), ("image.tif", 300_000)]:
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        chosen.append(path)
    page.get_by_label("Files", exact=True).set_input_files([str(path) for path in chosen])
    page.get_by_role("button", name="Upload", exact=True).click()
    progress = page.locator("#upload-progress")
    expect_visible(progress)
    page.get_by_text("Uploaded 3 files").wait_for()
    assert progress.is_visible()
    assert progress.evaluate("bar => bar.value === bar.max && bar.max > 8 * 1024 * 1024")
    listing = page.locator("#entries")
    for path in chosen:
        expect_visible(listing.get_by_role("link", name=path.name, exact=True))
    screenshot("uploaded")

    # The files are really there: download one back.
    with page.expect_download() as download_info:
        listing.get_by_role("link", name="notes.txt").click()
    assert Path(download_info.value.path()).read_bytes() == chosen[1].read_bytes()

    # A sub-folder, browsed into and out of.
    page.get_by_label("Folder name").fill("raw data")
    page.get_by_role("button", name="Create folder").click()
    page.locator("#entries").get_by_role("link", name="raw data/").click()
    page.get_by_role("heading", name="raw data").wait_for()
    assert page.get_by_text("This folder is empty.").is_visible()
    screenshot("subfolder")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="uploads").click()
    page.get_by_role("heading", name="uploads").wait_for()

    # Deleting asks first.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete notes.txt").click()
    page.get_by_text("Deleted “notes.txt”.").wait_for()
    assert page.locator("#entries").get_by_role("link", name="notes.txt").count() == 0


def test_unpacking_a_zip_and_browsing_it(page, screenshot: Callable, tmp_path: Path) -> None:  # noqa: ANN001
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("images/plate 1.tif", os.urandom(5000))
        zipped.writestr("images/sub/plate 2.tif", os.urandom(5000))
        zipped.writestr("readme.txt", "from a zip")
    sign_in(page)
    create_project(page, "zips")
    uploader_ready(page)
    page.get_by_label("Files", exact=True).set_input_files(str(archive))
    page.get_by_label("Unpack .zip files here").check()
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Uploaded 3 files").wait_for()
    listing = page.locator("#entries")
    expect_visible(listing.get_by_role("link", name="readme.txt"))
    assert listing.get_by_role("link", name="batch.zip").count() == 0
    listing.get_by_role("link", name="images/").click()
    page.get_by_role("heading", name="images").wait_for()
    expect_visible(page.locator("#entries").get_by_role("link", name="plate 1.tif", exact=True))
    page.locator("#entries").get_by_role("link", name="sub/").click()
    expect_visible(page.locator("#entries").get_by_role("link", name="plate 2.tif", exact=True))
    screenshot("unpacked")


def test_a_refused_upload_says_why_on_the_page(page, tmp_path: Path, screenshot: Callable) -> None:  # noqa: ANN001
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zipped:
        zipped.writestr("../escape.txt", "x")
    sign_in(page)
    create_project(page, "refusals")
    uploader_ready(page)
    page.get_by_label("Files", exact=True).set_input_files(str(evil))
    page.get_by_label("Unpack .zip files here").check()
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("#upload-status.error",
                 has_text="evil.zip: The zip entry “../escape.txt” is not allowed").wait_for()
    assert page.get_by_text("This folder is empty.").is_visible()
    screenshot("refused")


def test_a_guest_gets_a_space_of_their_own(page, screenshot: Callable) -> None:  # noqa: ANN001
    page.goto("/")
    page.get_by_role("button", name="Continue as guest").click()
    page.get_by_role("heading", name="Projects").wait_for()
    assert page.get_by_text("You are a guest.").is_visible()
    create_project(page, "guest work")
    assert page.locator(".badge", has_text="guest").is_visible()
    screenshot("guest")
