"""The results page: a real nuclei run's outputs as gallery and tables, thumbnails made once;
runs and pipelines come from the archive (the rows the watcher writes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from django.conf import settings
from django.urls import reverse
from PIL import Image

from tests.web.conftest import Actor
from tests.web.results.conftest import Archive
from tests.web.runs.conftest import REPO


def cache_of(owner: str, project: str) -> Path:
    """Where the web app keeps a project's thumbnails: outside every project."""
    return Path(settings.DATA_ROOT) / ".cache" / "thumbnails" / owner / project


def run_nuclei(project: Path, run_id: str) -> None:
    """The reference pipeline, run for real in the project folder (as its Job would)."""
    image = np.zeros((96, 96), np.uint8)
    yy, xx = np.mgrid[:96, :96]
    for cy, cx in [(20, 20), (60, 30), (40, 70)]:
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < 64] = 200
    (project / "raw").mkdir(exist_ok=True)
    Image.fromarray(image).save(project / "raw" / "cells.png")
    (project / ".kubeshowcase").mkdir(exist_ok=True)
    (project / ".kubeshowcase" / "args").write_text("{}")
    (project / ".kubeshowcase" / "run_id").write_text(run_id)
    env = {**os.environ, "PYTHONPATH": str(REPO / "pipelines" / "nuclei")}
    subprocess.run([sys.executable, "-m", "nuclei_segmentation"], cwd=project, env=env,
                   check=True, capture_output=True, timeout=120)


def test_a_nuclei_runs_results(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.nuclei()
    cells, row = runs_archive.project(alice, "cells")
    run_nuclei(cells, "r1")
    runs_archive.run(row, "r1")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.status_code == 200
    html = response.content.decode()
    thumbnail_url = reverse("results-thumbnail", args=["cells", "results/cells_overlay.png"])
    assert f'src="{thumbnail_url}"' in html
    # The image opens in the deep-zoom viewer (over its input when it is big; else as it is).
    assert reverse("deepzoom-viewer", args=["cells", "results/cells_overlay.png"]) in html
    results = response.context["results"]
    [summary, objects] = results.tables
    assert summary.relative == "results/summary.csv"
    assert summary.table.header[:4] == ["image", "channel", "threshold", "object_count"]
    assert summary.table.rows[0][0] == "raw/cells.png" and summary.table.rows[0][3] == "3"
    assert objects.relative == "results/cells_objects.csv" and len(objects.table.rows) == 3
    assert "<td>raw/cells.png</td>" in html

    # The thumbnail is made on first request, then served from the cache untouched.
    first = alice.client.get(thumbnail_url)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    [cached] = cache_of("alice", "cells").glob("*.png")
    made = cached.stat().st_mtime_ns
    with Image.open(cached) as thumb:
        assert thumb.size == (96, 96)
    second = alice.client.get(thumbnail_url)
    assert b"".join(second.streaming_content) == cached.read_bytes()
    assert [cached] == list(cache_of("alice", "cells").glob("*.png"))
    assert cached.stat().st_mtime_ns == made
    assert not (cells / ".kubeshowcase" / "thumbnails").exists()


def test_a_changed_image_gets_a_new_thumbnail(alice: Actor) -> None:
    cells = alice.project("cells", {"results/x": None})
    image = cells / "results" / "a_overlay.png"
    Image.new("RGB", (800, 400), "red").save(image)
    url = reverse("results-thumbnail", args=["cells", "results/a_overlay.png"])
    alice.client.get(url)
    Image.new("RGB", (400, 800), "blue").save(image)
    os.utime(image, ns=(1, 1))
    alice.client.get(url)
    sizes = sorted(Image.open(p).size for p in cache_of("alice", "cells").glob("*.png"))
    assert sizes == [(160, 320), (320, 160)]


def test_not_an_image_is_404(alice: Actor) -> None:
    alice.project("cells", {"results/a_overlay.png": b"not a png"})
    url = reverse("results-thumbnail", args=["cells", "results/a_overlay.png"])
    assert alice.client.get(url).status_code == 404


def test_reports_files_caps_and_containment(
    alice: Actor, bob: Actor, runs_archive: Archive, web_settings  # noqa: ANN001
) -> None:
    web_settings.RESULTS_MAX_TABLE_ROWS = 2
    bob.project("private", {"secret.txt": b"bob's secret"})
    cells, row = runs_archive.project(alice, "cells", {
        "out/report.txt": b"All <good>\n",
        "out/big.csv": b"a,b\n1,2\n3,4\n5,6\n",
        "out/data.bin": b"\x00" * 10,
    })
    os.symlink(bob.home / "private" / "secret.txt", cells / "out" / "leak.txt")
    runs_archive.pipeline("custom", results={
        "reports": ["out/*.txt", "../*/secret.txt", "/etc/host*"],
        "tables": ["out/*.csv"],
        "files": ["out/*.bin"],
    })
    runs_archive.run(row, "r1", pipeline="custom")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    html = response.content.decode()
    assert "<pre class=\"log\">All &lt;good&gt;\n</pre>" in html
    assert "secret" not in html and "root:" not in html
    [table] = response.context["results"].tables
    assert table.table.rows == [["1", "2"], ["3", "4"]] and table.table.cut
    assert "Table cut: only the first 2 rows are shown" in html
    assert reverse("projects-file", args=["cells", "out/data.bin"]) in html


def test_viewer_url_redirect(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.pipeline("viewer", results={
        "viewerUrl": "https://viewer.example/{owner}/{project}?run={run}"})
    _, row = runs_archive.project(alice, "my cells")
    runs_archive.run(row, "r1", pipeline="viewer")
    response = alice.client.get(reverse("results-project", args=["my cells"]))
    assert response.status_code == 302
    assert response["Location"] == "https://viewer.example/alice/my%20cells?run=r1"
    by_run = alice.client.get(reverse("results-run", args=["r1"]))
    assert by_run["Location"] == reverse("results-project", args=["my cells"]) + "?run=r1"


def test_no_runs_yet(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.project(alice, "cells")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert "No runs of this project yet." in response.content.decode()


def test_another_projects_run_cannot_be_chosen(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.nuclei()
    runs_archive.project(alice, "cells")
    _, other = runs_archive.project(alice, "other")
    runs_archive.run(other, "r-other")
    url = reverse("results-project", args=["cells"]) + "?run=r-other"
    assert alice.client.get(url).status_code == 404
    assert alice.client.get(reverse("results-project", args=["other"]) + "?run=r-other"
                            ).status_code == 200


def test_anothers_run_by_name_is_404(alice: Actor, bob: Actor, runs_archive: Archive) -> None:
    runs_archive.nuclei()
    runs_archive.project(alice, "cells")
    _, bobs = runs_archive.project(bob, "cells")
    runs_archive.run(bobs, "r-bob")
    assert alice.client.get(reverse("results-run", args=["r-bob"])).status_code == 404
    assert bob.client.get(reverse("results-run", args=["r-bob"]))["Location"] == (
        reverse("results-project", args=["cells"]) + "?run=r-bob")


def test_the_newest_finished_run_is_shown_by_default(alice: Actor, runs_archive: Archive
                                                      ) -> None:
    runs_archive.nuclei()
    cells, row = runs_archive.project(alice, "cells", {"results/summary.csv": b"n\n1\n"})
    runs_archive.run(row, "a-done")
    runs_archive.run(row, "b-queued", phase="Queued", started=False)
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.context["run"].name == "a-done"
    assert json.dumps(sorted(r.name for r in response.context["runs"])) == '["a-done", "b-queued"]'
    # An old run (no manifest) with only a queued run after it: the folder as it is.
    assert [t.relative for t in response.context["results"].tables] == ["results/summary.csv"]
    queued = alice.client.get(reverse("results-project", args=["cells"]) + "?run=b-queued")
    assert "has not started yet" in queued.content.decode() and "results" not in queued.context
