"""The run pages over a project a malicious pipeline planted: the saved log's name, the run's
project folder, the file picker and the word-count integration's file. Links are never
followed, FIFOs never block, nothing outside alice's space is read or changed, never a 500."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, form_controls
from tests.web.planted import PLANTS, TOKEN_SECRET, Decoys

LOG = ".kubeshowcase/logs/r1.log"


def finished_run(cluster: Cluster, log_file: str = LOG, project: str = "cells") -> str:
    cluster.create_run("alice", project, name="r1")
    cluster.set_status("r1", phase="Succeeded", logFile=log_file)
    return reverse("runs-log", args=["r1"])


@pytest.mark.parametrize("kind", PLANTS)
def test_a_planted_log_name_is_unavailable_never_followed(
    alice: Actor, cluster: Cluster, decoys: Decoys, kind: str
) -> None:
    cells = alice.project("cells")
    decoys.plant(cells / LOG, kind)
    before = decoys.checksums()
    response = alice.client.get(finished_run(cluster))
    assert response.status_code == 200
    decoys.check(response, before)
    assert b"The saved log is unavailable: it is not a regular file" in response.content


@pytest.mark.parametrize("kind", ["link-bob-folder", "fifo"])
def test_a_planted_logs_folder_is_never_entered(
    alice: Actor, cluster: Cluster, decoys: Decoys, kind: str
) -> None:
    cells = alice.project("cells")
    decoys.plant(cells / ".kubeshowcase" / "logs", kind)
    before = decoys.checksums()
    response = alice.client.get(finished_run(cluster, log_file=".kubeshowcase/logs/results.csv"))
    assert response.status_code == 200
    decoys.check(response, before)


def test_a_project_swapped_for_a_link_is_not_read(
    alice: Actor, cluster: Cluster, decoys: Decoys
) -> None:
    """spec.project alice/cells, where cells is now a link to bob's project."""
    decoys.plant(alice.home / "cells", "link-bob-folder")
    before = decoys.checksums()
    response = alice.client.get(finished_run(cluster, log_file="results.csv"))
    assert response.status_code == 200
    decoys.check(response, before)
    assert b"the project folder is gone" in response.content


@pytest.mark.parametrize("log_file", ["../other/secret.log", "/etc/passwd", "a/../../x", "."])
def test_a_log_name_outside_the_project_is_refused(
    alice: Actor, cluster: Cluster, decoys: Decoys, log_file: str
) -> None:
    alice.project("cells")
    alice.project("other", {"secret.log": TOKEN_SECRET + b"\n"})
    before = decoys.checksums()
    response = alice.client.get(finished_run(cluster, log_file=log_file))
    assert response.status_code == 200
    decoys.check(response, before)
    assert b"unavailable" in response.content


def test_a_huge_saved_log_is_read_within_its_budget(
    alice: Actor, cluster: Cluster, web_settings  # noqa: ANN001
) -> None:
    """A 40 MiB log whose last 200 lines are each 100 KiB: the page gets at most the budget."""
    web_settings.RUN_LOG_TAIL_BYTES = 256 * 1024
    cells = alice.project("cells", {".kubeshowcase/logs": None})
    with (cells / LOG).open("wb") as out:
        out.write(b"early line\n" * 1000)
        for n in range(400):
            out.write(b"%05d " % n + b"z" * 100 * 1024 + b"\n")
    response = alice.client.get(finished_run(cluster))
    assert response.status_code == 200
    assert 0 < len(response.content) <= 256 * 1024
    assert response.content.splitlines()[-1].startswith(b"00399 ")
    assert b"early line" not in response.content


def test_the_picker_lists_regular_files_only(
    alice: Actor, cluster: Cluster, decoys: Decoys
) -> None:
    cells = alice.project("cells", {"raw/a.png": b"x", "b.tif": b"y"})
    decoys.plant(cells / "bob-link.png", "link-bob-file")
    decoys.plant(cells / "bob-folder", "link-bob-folder")
    decoys.plant(cells / "raw" / "pipe.png", "fifo")
    decoys.plant(cells / "passwd", "link-passwd")
    before = decoys.checksums()
    response = alice.client.get(reverse("runs-new", args=["cells"]))
    assert response.status_code == 200
    decoys.check(response, before)
    _, options = form_controls(response.content.decode())
    assert [value for value, _, _ in options["images__pick"]] == ["", "b.tif", "raw/a.png"]


def test_the_picker_is_cut_in_a_folder_of_many_files(
    alice: Actor, cluster: Cluster
) -> None:
    cells = alice.project("cells", {"many": None})
    for n in range(2100):
        (cells / "many" / f"{n:05d}.png").write_bytes(b"")
    response = alice.client.get(reverse("runs-new", args=["cells"]))
    assert response.context["files_cut"] is True
    assert len(response.context["project_files"]) == 2000


@pytest.mark.parametrize("kind", PLANTS)
def test_the_word_count_integration_reads_by_handle(
    alice: Actor, cluster: Cluster, decoys: Decoys, kind: str
) -> None:
    cluster.create_pipeline("words", integration="word-count")
    cells = alice.project("cells")
    decoys.plant(cells / "results" / "word-count.txt", kind)
    cluster.create_run("alice", "cells", pipeline="words", name="r1")
    cluster.set_status("r1", phase="Succeeded")
    before = decoys.checksums()
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.status_code == 200
    decoys.check(response, before)
    assert "No count yet." in response.content.decode()


def test_the_word_count_is_read_with_a_bound(alice: Actor, cluster: Cluster) -> None:
    cluster.create_pipeline("words", integration="word-count")
    alice.project("cells", {"results/word-count.txt": b"7" * 10_000_000})
    cluster.create_run("alice", "cells", pipeline="words", name="r1")
    cluster.set_status("r1", phase="Succeeded")
    html = alice.client.get(reverse("results-project", args=["cells"])).content.decode()
    assert "<strong>" + "7" * 64 + "</strong>" in html
    assert os.path.getsize(Path(alice.home / "cells/results/word-count.txt")) == 10_000_000
