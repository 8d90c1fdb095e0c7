"""The folder page's tus uploads in real Chromium (tus-js-client) against gunicorn: folders
dropped and picked keep their paths, a dropped connection, pause/resume and a reload resume
where they stopped, and the server's refusals are shown as it words them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.web.browser.conftest import serve_web
from tests.web.browser.tus_page import (
    downloaded,
    drop_paths,
    limit_upload_speed,
    new_project_page,
    row,
    sha256,
    upload,
    upload_of_length,
    upload_state,
    wait_for_progress,
    write_tree,
)

pytestmark = pytest.mark.browser

CHUNK = 256 * 1024  # small pieces, so a few MiB make many PATCH requests
MAX_UPLOAD = 12 * 2**20


@pytest.fixture(scope="module")
def web_server(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: ANN001
    extra = {"TUS_CHUNK_BYTES": str(CHUNK), "USER_MAX_UPLOAD_BYTES": str(MAX_UPLOAD)}
    with serve_web(postgres_database_factory, tmp_path_factory.mktemp("tus-web"), extra) as url:
        yield url


def test_a_dropped_folder_lands_with_its_sub_folders(page, tmp_path: Path, screenshot: Callable) -> None:  # noqa: ANN001
    made = write_tree(tmp_path / "drop", {
        "plate1/A01.tif": 700_000, "plate1/A02.tif": 30_000, "plate1/sub/B01.tif": 5_000,
    })
    loose = tmp_path / "drop" / "notes.txt"
    loose.write_text("read me")
    log = new_project_page(page, "dropped")
    drop_paths(page, page.locator("#upload-drop"), [tmp_path / "drop" / "plate1", loose])
    page.get_by_text("Uploaded 4 files.").wait_for()
    assert sorted(row.get_attribute("data-path") for row in page.locator("#upload-queue li").all()) == [
        "notes.txt", "plate1/A01.tif", "plate1/A02.tif", "plate1/sub/B01.tif"]
    assert log.count("POST") == 4
    screenshot("landed")
    listing = page.locator("#entries")
    listing.get_by_role("link", name="notes.txt").wait_for()  # the listing refreshed by itself
    assert listing.get_by_role("link", name="plate1/").is_visible()
    assert downloaded(page, ["plate1", "sub"], "B01.tif") == made["plate1/sub/B01.tif"]


def test_a_picked_folder_keeps_its_relative_paths(page, tmp_path: Path) -> None:  # noqa: ANN001
    made = write_tree(tmp_path / "scan", {"well A/1.tif": 100_000, "well A/2.tif": 1_000,
                                          "well B/deep/3.tif": 2_000})
    new_project_page(page, "picked")
    page.get_by_label("Or a whole folder").set_input_files(tmp_path / "scan")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Uploaded 3 files.").wait_for()
    page.locator("#entries").get_by_role("link", name="scan/").wait_for()
    assert downloaded(page, ["scan", "well B", "deep"], "3.tif") == made["well B/deep/3.tif"]


def test_an_upload_finishes_by_itself_after_the_connection_drops(page, tmp_path: Path) -> None:  # noqa: ANN001
    data = os.urandom(6 * 2**20)
    (tmp_path / "stack.tif").write_bytes(data)
    log = new_project_page(page, "flaky")
    cut = {"after_patches": 6, "patches": 0, "aborted": 0, "restored": False}

    # The link goes down after a few pieces went through and comes back after some failures:
    # every tus request in between (PATCH, and the HEAD asking where to go on) is cut.
    def network(route, request) -> None:  # noqa: ANN001
        if request.method == "PATCH":
            cut["patches"] += 1
        down = cut["patches"] > cut["after_patches"] and cut["aborted"] < 4
        if down and request.method in ("PATCH", "HEAD"):
            cut["aborted"] += 1
            route.abort("internetdisconnected")
            return
        route.continue_()

    page.route("**/uploads/**", network)
    upload(page, tmp_path / "stack.tif")
    row(page, "stack.tif").get_by_text("trying again").wait_for()
    page.get_by_text("Uploaded 1 file.").wait_for(timeout=90_000)
    assert cut["aborted"] == 4
    assert log.count("POST") == 1, "the same upload went on, no second one was made"
    assert log.count("HEAD") >= 1, "after the drop the client asked the server for the offset"
    offsets = log.patch_offsets()
    assert offsets.count(0) == 1 and offsets == sorted(offsets), "it never started over"
    assert sha256(downloaded(page, [], "stack.tif")) == sha256(data)


def test_pausing_stops_the_bytes_and_resuming_goes_on_from_there(
    page, tmp_path: Path, screenshot: Callable,
) -> None:  # noqa: ANN001
    data = os.urandom(8 * 2**20)
    (tmp_path / "light-sheet.tif").write_bytes(data)
    (tmp_path / "small.txt").write_text("beside it")
    log = new_project_page(page, "paused")
    limit_upload_speed(page, 1_500_000)
    upload(page, tmp_path / "light-sheet.tif", tmp_path / "small.txt")
    wait_for_progress(page, 0.2)
    # Speed and time left, for the file and for all of them.
    row(page, "light-sheet.tif").locator(".figures", has_text=re.compile(r"B/s · .+ left")).wait_for()
    page.locator("#upload-status", has_text=re.compile(r"Uploading 2 files, [12] to go: .+ of 8\.0 MB · .+/s · about .+ left")).wait_for()
    screenshot("mid-upload")
    row(page, "light-sheet.tif").get_by_role("button", name="Pause light-sheet.tif").click()
    row(page, "light-sheet.tif").get_by_text("Paused.").wait_for()
    page.wait_for_timeout(1500)  # a PATCH cut by the pause ends on the server meanwhile
    upload_url = upload_of_length(page, log, len(data))
    paused_at = upload_state(page, upload_url)["offset"]
    page.wait_for_timeout(1500)
    assert upload_state(page, upload_url)["offset"] == paused_at, "nothing is sent while paused"
    assert 0 < paused_at < len(data)
    mark = len(log.requests)
    row(page, "light-sheet.tif").get_by_role("button", name="Resume light-sheet.tif").click()
    page.get_by_text("Uploaded 2 files.").wait_for(timeout=60_000)
    assert log.since(mark)[:2] == [("HEAD", None), ("PATCH", paused_at)], "on from the server's offset"
    assert log.count("POST") == 2
    assert sha256(downloaded(page, [], "light-sheet.tif")) == sha256(data)


def test_after_a_reload_the_same_file_resumes_from_its_offset(
    page, tmp_path: Path, screenshot: Callable,
) -> None:  # noqa: ANN001
    data = os.urandom(8 * 2**20)
    (tmp_path / "plate.tif").write_bytes(data)
    log = new_project_page(page, "reloaded")
    limit_upload_speed(page, 1_500_000)
    upload(page, tmp_path / "plate.tif")
    wait_for_progress(page, 0.3)
    page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?" while uploading
    page.reload()
    page.get_by_text("An upload into this folder did not finish (plate.tif)").wait_for()
    screenshot("after-reload")
    upload_url = log.created[0]
    before = upload_state(page, upload_url)
    assert before["state"] == "receiving" and 0 < before["offset"] < len(data)
    mark = len(log.requests)

    upload(page, tmp_path / "plate.tif")
    page.get_by_text("Uploaded 1 file.").wait_for(timeout=60_000)
    assert log.count("POST") == 1, "the reload resumed the upload, it did not start another"
    (head, _), (patch, resumed_at) = log.since(mark)[:2]
    assert (head, patch) == ("HEAD", "PATCH") and resumed_at >= before["offset"] > 0
    assert page.locator("#upload-earlier").is_hidden()
    assert upload_state(page, upload_url)["state"] == "landed"
    assert sha256(downloaded(page, [], "plate.tif")) == sha256(data)


def test_cancelling_an_upload_deletes_its_bytes_on_the_server(page, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "mistake.tif").write_bytes(os.urandom(4 * 2**20))
    log = new_project_page(page, "cancelled")
    limit_upload_speed(page, 1_000_000)
    upload(page, tmp_path / "mistake.tif")
    wait_for_progress(page, 0.1)
    row(page, "mistake.tif").get_by_role("button", name="Cancel mistake.tif").click()
    row(page, "mistake.tif").get_by_text("Cancelled.").wait_for()
    page.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('tus::'))")
    assert log.count("DELETE") >= 1  # again after a 423 while the cut PATCH was still ending
    assert upload_state(page, log.created[0])["state"] == "expired"
    page.reload()
    assert page.get_by_text("This folder is empty.").is_visible()
    assert page.locator("#upload-earlier").is_hidden()


def test_forgetting_an_unfinished_upload_deletes_it_on_the_server(page, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "left behind.tif").write_bytes(os.urandom(4 * 2**20))
    log = new_project_page(page, "forgotten")
    limit_upload_speed(page, 1_000_000)
    upload(page, tmp_path / "left behind.tif")
    wait_for_progress(page, 0.1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.get_by_role("button", name="Forget it").click()
    page.locator("#upload-earlier").wait_for(state="hidden")
    assert upload_state(page, log.created[0])["state"] == "expired"
    assert log.count("DELETE") >= 1
