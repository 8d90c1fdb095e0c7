"""Provenance: what the web app records of a run when it submits it, and the run page's section."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from django.urls import reverse

from projects.safefs import open_root
from runs.inputs import Bounds, collect
from runs.models import PipelineRecord, RunRecord
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, nuclei_form

HUGE = 2**30  # sparse: costs no disk; hashing it would cost seconds


def planted(folder: Path) -> None:
    """A project with inputs, the handshake folder, a link, a FIFO and a huge sparse file."""
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    (folder / "raw" / "a.png").write_bytes(b"png bytes")
    (folder / "notes.txt").write_bytes(b"hello\n")
    (folder / ".kubeshowcase").mkdir(exist_ok=True)
    (folder / ".kubeshowcase" / "args").write_text("{}")
    (folder / "to-passwd").symlink_to("/etc/passwd")
    (folder / "raw" / "to-raw").symlink_to("..")
    os.mkfifo(folder / "pipe")
    with open(folder / "huge.bin", "wb") as handle:
        handle.truncate(HUGE)


def test_inputs_are_regular_files_hashed_under_the_bound_links_and_fifos_named_only(
        tmp_path: Path) -> None:
    planted(tmp_path)
    with open_root(tmp_path) as folder:
        manifest = collect(folder, {}, Bounds())
    by_path = {item["path"]: item for item in manifest.files}
    assert sorted(by_path) == ["huge.bin", "notes.txt", "pipe", "raw/a.png", "raw/to-raw",
                               "to-passwd"]
    assert manifest.complete
    assert by_path["notes.txt"]["sha256"] == hashlib.sha256(b"hello\n").hexdigest()
    assert by_path["notes.txt"]["size"] == 6
    assert by_path["huge.bin"]["size"] == HUGE and "sha256" not in by_path["huge.bin"]
    assert by_path["to-passwd"] == {"path": "to-passwd", "kind": "link",
                                    "skipped": "a symbolic link: never followed"}
    assert by_path["raw/to-raw"]["kind"] == "link"
    assert by_path["pipe"]["kind"] == "other" and "size" not in by_path["pipe"]


def test_the_handshake_files_and_earlier_runs_outputs_are_no_inputs(tmp_path: Path) -> None:
    (tmp_path / "runs" / "r1").mkdir(parents=True)
    (tmp_path / "runs" / "r1" / "out.csv").write_text("x")
    (tmp_path / "in.csv").write_text("y")
    (tmp_path / "handshake").mkdir()
    (tmp_path / "handshake" / "args.json").write_text("{}")
    spec = {"results": {"perRun": True}, "files": {"args": "handshake/args.json"}}
    with open_root(tmp_path) as folder:
        assert [i["path"] for i in collect(folder, spec, Bounds()).files] == ["in.csv"]
        assert [i["path"] for i in collect(folder, {}, Bounds()).files] == [
            "handshake/args.json", "in.csv", "runs/r1/out.csv"]


def test_the_list_is_cut_at_its_bounds_and_says_so(tmp_path: Path) -> None:
    for index in range(5):
        (tmp_path / f"f{index}.txt").write_bytes(b"x" * 10)
    with open_root(tmp_path) as folder:
        cut = collect(folder, {}, Bounds(max_files=3))
        budgeted = collect(folder, {}, Bounds(hash_budget=25))
        scanned = collect(folder, {}, Bounds(max_scanned=2))
    assert (len(cut.files), cut.complete) == (3, False)
    assert [("sha256" in item) for item in budgeted.files] == [True, True, False, False, False]
    assert budgeted.complete  # a checksum left out is no entry left out
    assert not scanned.complete


def submit(alice: Actor, cluster: Cluster) -> RunRecord:
    posted = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    assert posted.status_code == 302, posted.content.decode()[:2000]
    [run] = cluster.runs()
    return RunRecord.objects.get(uid=run["metadata"]["uid"])


def test_submitting_records_the_pipeline_and_the_inputs(
        alice: Actor, cluster: Cluster) -> None:
    planted(alice.project("cells"))
    row = submit(alice, cluster)
    pipeline = PipelineRecord.objects.get(name="nuclei")

    assert row.submitted_spec == pipeline.spec
    assert row.submitted_generation == pipeline.generation == 1
    assert row.inputs_complete
    by_path = {item["path"]: item for item in row.inputs}
    assert by_path["raw/a.png"]["sha256"] == hashlib.sha256(b"png bytes").hexdigest()
    assert "sha256" not in by_path["huge.bin"]
    assert by_path["pipe"]["kind"] == "other" and by_path["to-passwd"]["kind"] == "link"
    assert not any(path.startswith(".kubeshowcase") for path in by_path)

    # The watcher's later views of the object never touch what was submitted.
    cluster.set_status(row.name, phase="Running")
    row.refresh_from_db()
    assert row.submitted_spec == pipeline.spec and len(row.inputs) == len(by_path)


def test_a_finished_runs_page_shows_its_provenance(
        alice: Actor, bob: Actor, cluster: Cluster) -> None:
    alice.project("cells", {"raw/a.png": b"png bytes"})
    row = submit(alice, cluster)
    page = alice.client.get(reverse("runs-detail", args=[row.name])).content.decode()
    assert 'id="provenance"' not in page  # a queued run has none yet

    cluster.set_status(row.name, phase="Failed", reason="BackoffLimitExceeded",
                       message="Job has reached the specified backoff limit",
                       imageID="registry.example/nuclei@sha256:" + "ab" * 32,
                       nodeName="node-7", podName="run-x7k2p", exitCode=3, pipelineGeneration=1,
                       logFile=".kubeshowcase/logs/run.log",
                       outputs={"dir": "", "complete": True, "files": [
                           {"path": "out/counts.csv", "size": 12, "mtimeNs": 1,
                            "sha256": "cd" * 32}]})
    response = alice.client.get(reverse("runs-detail", args=[row.name]))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="provenance"' in html
    assert "registry.example/nuclei@sha256:" + "ab" * 32 in html
    assert '<dd id="prov-node">node-7</dd>' in html
    assert '<dd id="prov-pod"><code>run-x7k2p</code> (its last attempt\'s)</dd>' in html
    assert '<dd id="prov-exit-code">3</dd>' in html
    assert '<span id="prov-generation">1</span>' in html
    assert "&quot;image&quot;: &quot;" in html  # the spec at submission, as JSON
    assert hashlib.sha256(b"png bytes").hexdigest() in html and "out/counts.csv" in html
    assert reverse("results-run-crate", args=[row.name]) in html
    assert bob.client.get(reverse("runs-detail", args=[row.name])).status_code == 404


@pytest.mark.parametrize("exit_code", [None, 0])
def test_the_archive_maps_node_and_exit_code(cluster: Cluster, alice: Actor,
                                             exit_code: int | None) -> None:
    alice.project("cells")
    made = cluster.create_run("alice", "cells")
    status = {"phase": "Succeeded", "nodeName": "node-1"}
    if exit_code is not None:
        status["exitCode"] = exit_code
    cluster.set_status(made["metadata"]["name"], **status)
    row = RunRecord.objects.get(uid=made["metadata"]["uid"])
    assert (row.node_name, row.exit_code) == ("node-1", exit_code)
