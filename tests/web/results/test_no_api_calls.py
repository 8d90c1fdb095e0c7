"""The results and history pages read the archive only: served with the web app pointed at the
double (its own ServiceAccount), they make no Kubernetes API request at all."""

from __future__ import annotations

from django.urls import reverse
from PIL import Image

from tests.web.conftest import Actor
from tests.web.results.conftest import Archive, manifest
from tests.web.runs.conftest import Cluster


def test_results_and_history_pages_make_no_api_request(
    alice: Actor, cluster: Cluster, runs_archive: Archive, apiserver  # noqa: ANN001
) -> None:
    runs_archive.nuclei()
    folder, row = runs_archive.project(alice, "cells", {"results/summary.csv": b"n\n1\n"})
    Image.new("RGB", (8, 8), "red").save(folder / "results" / "a_overlay.png")
    runs_archive.run(row, "old")
    runs_archive.run(row, "new", outputs=manifest(
        folder, ["results/summary.csv", "results/a_overlay.png"]))
    before = apiserver.decisions.counts()
    urls = [
        reverse("results-project", args=["cells"]),
        reverse("results-project", args=["cells"]) + "?run=old",
        reverse("results-run", args=["new"]),
        reverse("runs-project-history", args=["cells"]),
        reverse("results-thumbnail", args=["cells", "results/a_overlay.png"]),
    ]
    answers = [alice.client.get(url).status_code for url in urls]
    assert answers == [200, 200, 302, 200, 200]
    assert apiserver.decisions.counts() == before
