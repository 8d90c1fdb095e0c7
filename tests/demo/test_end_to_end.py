"""The product end to end in real Chromium, against the very stack `make demo` starts.

Two users submit runs of the reference pipeline while someone else's run holds the only slot
(limit 1): both wait, then run one after the other. The first user watches Queued → Running →
Succeeded on the run page without reloading and finds the results: overlay thumbnails and a
measurements table whose object counts are the nuclei the test drew. A guest sees neither
project by any URL.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import pytest

from tests.demo.stack import DemoStack, start_demo, stop_demo
from tests.fixtures.browser import save_screenshot
from tools.sample_data import SAMPLE_PROJECT, nuclei_image
from tests.waiting import wait_until
from tests.web.browser.conftest import create_project, sign_in

pytestmark = pytest.mark.browser

# Nuclei per image in the first user's zip: big enough images that the run lasts a few seconds,
# so the page's two-second refresh sees it Running.
COUNTS = {"field-a.png": 4, "field-b.png": 6, "plate/field-c.png": 9}
SIDE, RADIUS, PITCH = 800, 28, 220

# Someone else's run that holds the only slot until the test creates its release file.
HOLD_PIPELINE = {
    "apiVersion": "kubeshowcase.io/v1alpha1",
    "kind": "Pipeline",
    "metadata": {"name": "hold", "namespace": "kubeshowcase"},
    "spec": {
        "image": "python:3.11",  # one of the images `make demo` gives its node
        "command": [sys.executable, "-c", (
            "import os, time\n"
            "while not os.path.exists('release'):\n"
            "    time.sleep(0.1)\n"
            "run_id = open('.kubeshowcase/run_id').read().strip()\n"
            "open('.kubeshowcase/LAST_RUN_ID', 'w').write(run_id)\n")],
    },
}
HOLD_RUN = {
    "apiVersion": "kubeshowcase.io/v1alpha1",
    "kind": "PipelineRun",
    "metadata": {"name": "someone-else-first", "namespace": "kubeshowcase"},
    "spec": {"pipeline": "hold", "owner": "someone", "project": "someone/long-job"},
}

# Records every phase #run-phase shows, across the page's own refreshes.
RECORD_PHASES = """
window.__phases = [];
document.addEventListener("DOMContentLoaded", () => {
  const note = () => {
    const element = document.getElementById("run-phase");
    const phase = element && element.textContent.trim();
    if (phase && window.__phases[window.__phases.length - 1] !== phase) window.__phases.push(phase);
  };
  note();
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true, characterData: true});
});
"""


def centres(count: int) -> list[tuple[int, int]]:
    return [(PITCH // 2 + (k // 3) * PITCH, PITCH // 2 + (k % 3) * PITCH) for k in range(count)]


def microscopy_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for seed, (name, count) in enumerate(COUNTS.items()):
            image = nuclei_image((SIDE, SIDE), centres(count), radius=RADIUS, seed=seed)
            archive.writestr(name, iio.imwrite("<bytes>", image, extension=".png"))
    return path


def kubectl(stack: DemoStack, *args: str, stdin: str | None = None) -> str:
    env = dict(os.environ, KUBECONFIG=str(stack.kubeconfig))
    result = subprocess.run(["kubectl", *args], env=env, input=stdin, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_status(stack: DemoStack, name: str) -> dict[str, Any]:
    return json.loads(kubectl(stack, "get", "ksr", name, "-o", "json")).get("status", {})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    started = start_demo(tmp_path_factory.mktemp("e2e") / "demo")
    try:
        yield started
    finally:
        stop_demo(started.process)


def new_page(browser: Any, stack: DemoStack) -> Any:
    context = browser.new_context(base_url=stack.url)
    context.set_default_timeout(60_000)
    context.add_init_script(RECORD_PHASES)
    return context.new_page()


def submit_nuclei_run(page: Any, project: str) -> str:
    """Fill the reference pipeline's form and submit it; returns the new run's name."""
    page.goto(f"/projects/{project}/run?pipeline=nuclei")
    page.get_by_role("heading", name="Nuclei segmentation").wait_for()
    page.get_by_label("Images", exact=True).fill("**/*.png")
    page.get_by_label("Threshold", exact=True).select_option("otsu")
    page.get_by_label("Smallest nucleus (pixels)").fill("50")
    page.get_by_role("button", name="Start run").click()
    page.locator("#run-phase").wait_for()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_two_users_and_a_guest_use_the_product_end_to_end(
    stack: DemoStack, browser: Any, tmp_path: Path
) -> None:
    # Someone else's long run holds the only slot.
    kubectl(stack, "apply", "-f", "-", stdin=json.dumps(HOLD_PIPELINE))
    (stack.state_dir / "data" / "someone" / "long-job").mkdir(parents=True)
    kubectl(stack, "apply", "-f", "-", stdin=json.dumps(HOLD_RUN))
    wait_until(lambda: run_status(stack, "someone-else-first").get("phase") == "Running", 60,
               "the holding run to start")

    # The first user: a project, a zip of microscopy images unpacked on upload, a run.
    scientist = new_page(browser, stack)
    sign_in(scientist, stack.user, stack.password)
    create_project(scientist, "cells")
    scientist.get_by_label("Files", exact=True).set_input_files(
        str(microscopy_zip(tmp_path / "microscopy.zip")))
    scientist.get_by_label("Unpack .zip files here").check()
    scientist.get_by_role("button", name="Upload", exact=True).click()
    scientist.get_by_text(f"Uploaded {len(COUNTS)} files").wait_for()
    save_screenshot(scientist, "e2e-1-uploaded")
    first_run = submit_nuclei_run(scientist, "cells")
    scientist.evaluate("window.__sameDocument = true")

    # The second user, at the same time: queued behind the first.
    colleague = new_page(browser, stack)
    sign_in(colleague, stack.second_user, stack.second_password)
    create_project(colleague, "tissue")
    single = tmp_path / "single.png"
    iio.imwrite(single, nuclei_image())
    colleague.get_by_label("Files", exact=True).set_input_files(str(single))
    colleague.get_by_role("button", name="Upload", exact=True).click()
    colleague.get_by_text("Uploaded 1 file").wait_for()
    second_run = submit_nuclei_run(colleague, "tissue")
    assert run_status(stack, first_run).get("phase") == "Queued"
    assert run_status(stack, second_run).get("phase") == "Queued"
    colleague.goto("/runs/")
    own_row = colleague.locator("tr", has_text=second_run)
    own_row.wait_for()
    assert own_row.locator("td").first.inner_text().strip() == "2", "not queued behind the first"
    save_screenshot(colleague, "e2e-2-queue")
    save_screenshot(scientist, "e2e-3-queued")

    # The slot frees: the first run, then the second, each alone.
    (stack.state_dir / "data" / "someone" / "long-job" / "release").touch()
    scientist.locator("#run-phase", has_text="Succeeded").wait_for(timeout=180_000)
    save_screenshot(scientist, "e2e-4-succeeded")
    assert scientist.evaluate("window.__phases") == ["Queued", "Running", "Succeeded"]
    assert scientist.evaluate("window.__sameDocument") is True, "the run page was reloaded"
    wait_until(lambda: run_status(stack, second_run).get("phase") == "Succeeded", 120,
               "the second run to succeed")
    first, second = run_status(stack, first_run), run_status(stack, second_run)
    assert second["startTime"] >= first["completionTime"], "the second run overlapped the first"

    # The results: overlay thumbnails and the measurements table.
    scientist.goto("/projects/cells/results")
    gallery = scientist.locator("#gallery img")
    gallery.first.wait_for()
    assert gallery.count() == len(COUNTS)
    # Thumbnails load lazily: ask for all of them, then wait until each has decoded.
    scientist.wait_for_function("""() => [...document.querySelectorAll('#gallery img')]
        .every(img => { img.loading = 'eager'; return img.complete && img.naturalWidth > 0; })""")
    summary = scientist.locator("section.result-table", has_text="results/summary.csv")
    rows = summary.locator("tbody tr")
    header = summary.locator("thead th").all_inner_texts()
    shown = {}
    for index in range(rows.count()):
        cells = dict(zip(header, rows.nth(index).locator("td").all_inner_texts()))
        shown[cells["image"]] = int(cells["object_count"])
    assert shown == COUNTS
    save_screenshot(scientist, "e2e-5-results")
    results = stack.state_dir / "data" / "scientist" / "cells" / "results"
    with open(results / "summary.csv", newline="") as handle:
        assert {row["image"]: int(row["object_count"]) for row in csv.DictReader(handle)} == COUNTS
    for name in COUNTS:
        overlay = results / f"{Path(name).stem}_overlay.png"
        assert iio.imread(overlay).shape == (SIDE, SIDE, 3)

    # A guest, in a browser of their own, can see neither project by any URL.
    guest = new_page(browser, stack)
    guest.goto("/")
    guest.get_by_role("button", name="Continue as guest").click()
    guest.get_by_role("heading", name="Projects").wait_for()
    for url in [
        "/projects/cells/", "/projects/tissue/", "/projects/cells/browse/plate",
        "/projects/cells/file/field-a.png", "/projects/cells/zip/", "/projects/cells/run",
        "/projects/cells/results", "/projects/cells/thumbnail/results/field-a_overlay.png",
        f"/runs/{first_run}/", f"/runs/{first_run}/log", f"/runs/{first_run}/status",
        f"/runs/{first_run}/results", f"/runs/{second_run}/",
    ]:
        assert guest.request.get(url).status == 404, url
    assert guest.request.post(f"/runs/{first_run}/cancel").status in (403, 404)
    guest.goto("/runs/")
    queue_text = guest.locator("main").inner_text()
    assert "scientist" not in queue_text and "colleague" not in queue_text
    save_screenshot(guest, "e2e-6-guest")
    assert run_status(stack, first_run)["phase"] == "Succeeded"


    # A newcomer's first minute: the sample project, Run with the form as it comes, results.
    # (docs/results-page.png, the README's picture, is this screenshot.)
    scientist.goto(f"/projects/{SAMPLE_PROJECT}/")
    scientist.get_by_role("link", name="Run", exact=True).first.click()
    scientist.get_by_role("link", name="Nuclei segmentation").click()  # the holding one is listed too
    scientist.get_by_role("heading", name="Nuclei segmentation").wait_for()
    scientist.get_by_role("button", name="Start run").click()
    scientist.locator("#run-phase", has_text="Succeeded").wait_for(timeout=180_000)
    scientist.goto(f"/projects/{SAMPLE_PROJECT}/results")
    scientist.locator("#gallery img").first.wait_for()
    scientist.wait_for_function("""() => [...document.querySelectorAll('#gallery img')]
        .every(img => { img.loading = 'eager'; return img.complete && img.naturalWidth > 0; })""")
    sample = scientist.locator("section.result-table", has_text="results/summary.csv")
    header = sample.locator("thead th").all_inner_texts()
    found = {}
    for row in sample.locator("tbody tr").all():
        cells = dict(zip(header, row.locator("td").all_inner_texts()))
        found[cells["image"]] = int(cells["object_count"])
    # Each field's name says how many nuclei it holds.
    assert found == {name: int(name.split("-")[2]) for name in found} and len(found) == 4
    save_screenshot(scientist, "e2e-7-sample-results")
