"""The runs pages in real Chromium against gunicorn and the API-server double.

The test plays the operator: it writes PipelineRun status through the API while the page is
open, and the page must show it without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.apiserver import audited_apiserver
from tests.web.browser.conftest import (  # noqa: F401 (fixtures)
    create_project,
    page,
    screenshot,
    serve_web,
    sign_in,
)
from tests.web.runs.conftest import GROUP, NUCLEI_PIPELINE, REPO, VERSION, Cluster

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, chart_accounts_file: Path, postgres_database_factory,
         tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[str, Cluster, Path]]:  # noqa: ANN001
    """(base URL, the cluster, DATA_ROOT): gunicorn with the web account's KUBECONFIG for a
    double with nuclei, and the run archive's watcher with its own account."""
    root = tmp_path_factory.mktemp("runs-site")
    (root / "data").mkdir()
    with audited_apiserver(request, chart_accounts_file, root, crd_dir=REPO / "crds",
                           volumes={"kubeshowcase-data": root / "data"},
                           apply_files=[NUCLEI_PIPELINE]) as api:
        extra = {"KUBECONFIG": str(api.kubeconfigs["web"]), "KUBE_NAMESPACE": api.namespace,
                 "USER_MAX_QUEUED_RUNS": "50"}
        with serve_web(postgres_database_factory, root, extra, watch=api) as url:
            api_client = api.api_client()
            try:
                # The served app's watch_runs archives what the test changes.
                yield url, Cluster(api_client, api.namespace, syncs=False), root / "data"
            finally:
                api_client.close()


@pytest.fixture(scope="module")
def web_server(site: tuple[str, Cluster, Path]) -> str:
    """Overrides the plain server: `page` opens this one."""
    return site[0]


@pytest.fixture
def cluster(site: tuple[str, Cluster, Path]) -> Iterator[Cluster]:
    found = site[1]
    yield found
    for run in found.runs():  # each test starts with an empty queue
        found.custom.delete_namespaced_custom_object(
            GROUP, VERSION, found.namespace, "pipelineruns", run["metadata"]["name"])


def phase(page) -> str:  # noqa: ANN001
    return page.locator("#run-phase").inner_text()


def wait_for_text(locator, text: str) -> None:  # noqa: ANN001
    locator.filter(has_text=text).first.wait_for(state="visible")


def test_submitting_the_form_and_watching_the_run(
    page, screenshot: Callable, cluster: Cluster  # noqa: ANN001
) -> None:
    sign_in(page)
    create_project(page, "cells")
    page.get_by_role("link", name="Run", exact=True).click()
    page.get_by_role("heading", name="Nuclei segmentation").wait_for()
    page.get_by_label("Threshold", exact=True).select_option(label="other number…")
    page.get_by_label("Threshold: number").fill("0.3")
    page.get_by_label("Smallest nucleus (pixels)").fill("12")
    # No screenshot here: after one, headless Chromium misplaces the click on this long page.
    page.get_by_role("button", name="Start run").click()
    page.locator("#run-phase").wait_for()
    assert phase(page) == "Queued"
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    assert run["spec"]["parameters"]["threshold"] == 0.3
    assert run["spec"]["parameters"]["min_area"] == 12
    assert page.url.endswith(f"/runs/{name}/")
    screenshot("queued")

    page.evaluate("window.notReloaded = true")
    cluster.set_status(name, phase="Running", jobName=f"{name}-job")
    wait_for_text(page.locator("#run-phase"), "Running")
    cluster.set_status(name, phase="Succeeded", duration="3s", reason="Completed",
                       message="the pipeline finished")
    wait_for_text(page.locator("#run-phase"), "Succeeded")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#run-message").inner_text() == "the pipeline finished"
    screenshot("succeeded")


def test_the_queue_refreshes_itself_and_cancels(
    page, screenshot: Callable, cluster: Cluster, site: tuple  # noqa: ANN001
) -> None:
    (site[2] / "alice" / "queued").mkdir(parents=True, exist_ok=True)
    sign_in(page)
    refreshes: list[int] = []
    page.on("response", lambda response: refreshes.append(response.status)
            if "/runs/queue-table" in response.url else None)
    page.goto("/runs/")
    page.get_by_text("Nothing is queued or running.").wait_for()
    page.evaluate("window.notReloaded = true")
    cluster.create_run("alice", "queued", name="q1")
    row = page.locator("#queue-table tr[data-run='q1']")
    row.wait_for()
    assert row.locator(".phase").inner_text() == "Queued"
    # poll.js sends the last ETag: an unchanged queue answers 304 (not rendered, not swapped).
    page.wait_for_timeout(5000)
    assert 304 in refreshes and row.locator(".phase").inner_text() == "Queued"
    cluster.set_status("q1", phase="Running", jobName="q1-job")
    wait_for_text(row.locator(".phase"), "Running")
    assert page.evaluate("window.notReloaded") is True
    screenshot("running")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Cancel q1").click()
    page.get_by_text("Cancelling run q1.").wait_for()
    assert cluster.run("q1")["spec"]["cancelRequested"] is True
    wait_for_text(page.locator("#queue-table tr[data-run='q1'] .phase"), "(cancelling)")
    screenshot("cancelling")


def test_the_results_gallery(
    page, screenshot: Callable, cluster: Cluster, site: tuple  # noqa: ANN001
) -> None:
    results = site[2] / "alice" / "gallery" / "results"
    results.mkdir(parents=True)
    for index, colour in enumerate(("red", "green", "blue")):
        Image.new("RGB", (640, 480), colour).save(results / f"img{index}_overlay.png")
    (results / "summary.csv").write_text("image,object_count\nimg0,3\nimg1,5\nimg2,8\n")
    cluster.create_run("alice", "gallery", name="g1")
    # As the operator writes it: a run that succeeded had started.
    cluster.set_status("g1", phase="Succeeded", startTime="2026-12-01T10:00:00Z",
                       completionTime="2026-12-01T10:01:00Z")
    sign_in(page)
    page.goto("/projects/gallery/")
    page.get_by_role("link", name="Results", exact=True).click()
    gallery = page.locator("#gallery img")
    gallery.first.wait_for()
    assert gallery.count() == 3
    # A function, not a bare expression: Playwright evals a bare one, which our CSP refuses.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#gallery img')]"
        ".every(img => img.complete && img.naturalWidth > 0)")
    assert gallery.first.evaluate("img => img.naturalWidth") == 320
    assert page.get_by_role("cell", name="img2").is_visible()
    screenshot("gallery")
