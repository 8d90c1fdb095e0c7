"""What the tus upload tests do to the folder page: drop paths on it, slow it down, log its requests."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.web.browser.conftest import create_project, sign_in

# Chromium's DevTools drag operations: copy | link | move.
_DRAG_OPERATIONS = 1 | 2 | 16


def drop_paths(page: Any, target: Any, paths: list[Path]) -> None:  # noqa: ANN401
    """Drop files and folders from disk on target as the desktop would (Chromium's drag input).

    The page sees a real drop: DataTransfer items whose webkitGetAsEntry() gives directory
    entries for folders, which a DataTransfer made in page script cannot hold.
    """
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    data = {"items": [], "files": [str(path) for path in paths],
            "dragOperationsMask": _DRAG_OPERATIONS}
    cdp = page.context.new_cdp_session(page)
    try:
        for kind in ("dragEnter", "dragOver", "drop"):
            cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    finally:
        cdp.detach()


def limit_upload_speed(page: Any, bytes_per_second: int) -> None:  # noqa: ANN401
    """Chromium's network emulation: request bodies leave at most this fast (a slow link)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": bytes_per_second,
    })


@dataclass
class TusLog:
    """The tus requests the page sent and what they were answered, in order."""

    requests: list[tuple[str, str, int | None]] = field(default_factory=list)  # method, URL, offset
    created: list[str] = field(default_factory=list)  # upload URLs from POST answers
    refusals: list[tuple[int, str]] = field(default_factory=list)  # status, plain-text body

    def patch_offsets(self) -> list[int]:
        return [offset for method, _, offset in self.requests if method == "PATCH" and offset is not None]

    def since(self, mark: int) -> list[tuple[str, int | None]]:
        """(method, Upload-Offset) of the requests after the first `mark` ones."""
        return [(method, offset) for method, _, offset in self.requests[mark:]]

    def refused(self, page: Any, count: int = 1) -> list[tuple[int, str]]:  # noqa: ANN401
        """The refusals, once `count` of them are in: a response's handler runs (and reads its
        body) as Playwright pumps its events, which may be after the page already shows it."""
        deadline = time.monotonic() + 10
        while len(self.refusals) < count and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        return self.refusals

    def count(self, method: str) -> int:
        return sum(1 for sent, _, _ in self.requests if sent == method)


def log_tus(page: Any) -> TusLog:  # noqa: ANN401
    log = TusLog()

    def on_request(request: Any) -> None:  # noqa: ANN401
        if request.method != "GET" and ("/tus/" in request.url or "/uploads/" in request.url):
            offset = request.headers.get("upload-offset")
            log.requests.append((request.method, request.url, int(offset) if offset else None))

    def on_response(response: Any) -> None:  # noqa: ANN401
        request = response.request
        if request.method == "POST" and "/tus/" in request.url:
            if response.status == 201:
                log.created.append(response.headers["location"])
            elif response.status >= 400:
                log.refusals.append((response.status, response.text()))
        elif request.method == "PATCH" and response.status >= 400:
            log.refusals.append((response.status, response.text()))

    page.on("request", on_request)
    page.on("response", on_response)
    return log


def new_project_page(page: Any, project: str) -> TusLog:  # noqa: ANN401
    """Sign in, make the project, wait for its page's upload script; log its tus requests."""
    sign_in(page)
    create_project(page, project)
    uploader_ready(page)
    return log_tus(page)


def upload(page: Any, *paths: Path) -> None:  # noqa: ANN401
    """Choose files with the Files picker and press Upload."""
    page.get_by_label("Files", exact=True).set_input_files(list(paths))
    page.get_by_role("button", name="Upload", exact=True).click()


def uploader_ready(page: Any) -> None:  # noqa: ANN401
    """Wait until the folder page's upload script runs (it shows the drop zone): before, the
    Upload button posts the plain form, as on a page without JavaScript."""
    page.locator("#upload-drop").wait_for()


def upload_of_length(page: Any, log: TusLog, length: int) -> str:  # noqa: ANN401
    """The URL of the upload the page made for a file of this many bytes."""
    [url] = [url for url in log.created if upload_state(page, url)["length"] == length]
    return url


def upload_state(page: Any, upload_url: str) -> dict[str, Any]:  # noqa: ANN401
    """The server's JSON account of one upload, asked with the page's own session."""
    answer = page.request.get(upload_url, headers={"Accept": "application/json"})
    assert answer.ok, (answer.status, answer.text())
    return answer.json()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_tree(root: Path, files: dict[str, int]) -> dict[str, bytes]:
    """Files of random bytes under root (sizes by relative path); their bytes by the same paths."""
    made = {}
    for relative, size in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        made[relative] = os.urandom(size)
        path.write_bytes(made[relative])
    return made


def downloaded(page: Any, folder_link_names: list[str], name: str) -> bytes:  # noqa: ANN401
    """The bytes of file `name` after browsing into the listed sub-folders from here."""
    for folder in folder_link_names:
        page.locator("#entries").get_by_role("link", name=f"{folder}/").click()
        page.get_by_role("heading", name=folder).wait_for()
    with page.expect_download() as download_info:
        page.locator("#entries").get_by_role("link", name=name, exact=True).click()
    return Path(download_info.value.path()).read_bytes()


def row(page: Any, path: str) -> Any:  # noqa: ANN401
    return page.locator(f'#upload-queue li[data-path="{path}"]')


def wait_for_progress(page: Any, fraction: float) -> None:  # noqa: ANN401
    page.wait_for_function(
        "f => { const bar = document.querySelector('#upload-queue progress');"
        " return bar !== null && bar.value / bar.max >= f; }", arg=fraction)
