"""Download RO-Crate: a finished run as a Workflow Run RO-Crate zip, read back with `rocrate`."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from rocrate.rocrate import ROCrate

from runs.models import RunRecord
from tests.web.conftest import Actor
from tests.web.results.conftest import Archive, manifest

RESULTS = {"tables": ["out/*.csv"]}
IMAGE = "registry.example/nuclei@sha256:" + "ab" * 32
LOG = ".kubeshowcase/logs/r1.log"


@pytest.fixture
def finished(alice: Actor, runs_archive: Archive) -> tuple[Path, RunRecord]:
    runs_archive.pipeline("custom", results=RESULTS)
    folder, row = runs_archive.project(alice, "cells", {
        "out/a.csv": b"x\n1\n", "out/b.csv": b"x\n2\n", "raw/in.png": b"png", LOG: b"started\n"})
    files = manifest(folder, ["out/a.csv", "out/b.csv"])
    files[0]["sha256"] = hashlib.sha256(b"x\n1\n").hexdigest()
    run = runs_archive.run(row, "r1", pipeline="custom", outputs=files,
                           parameters={"min_area": 20, "channel": "auto"})
    RunRecord.objects.filter(uid=run.uid).update(
        log_file=LOG, image_id=IMAGE, node_name="node-7", exit_code=0, submitted_generation=1,
        submitted_spec={"image": "example/pipeline:1", "results": RESULTS},
        inputs=[{"path": "raw/in.png", "size": 3, "mtimeNs": 1,
                 "sha256": hashlib.sha256(b"png").hexdigest()},
                {"path": "to-passwd", "kind": "link", "skipped": "a symbolic link"}])
    (folder / "out" / "b.csv").write_bytes(b"x\n3\n")  # r2 writes b.csv again
    runs_archive.run(row, "r2", pipeline="custom", outputs=manifest(folder, ["out/b.csv"]))
    return folder, RunRecord.objects.get(uid=run.uid)


def ref(value: Any) -> str:
    """The @id a read-back property names: an entity of the crate, or a bare reference."""
    if isinstance(value, dict):
        return value["@id"]
    return value if isinstance(value, str) else value.id


def download(actor: Actor, run: str, tmp_path: Path) -> Path:
    response = actor.client.get(reverse("results-run-crate", args=[run]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"{run}-ro-crate.zip" in response["Content-Disposition"]
    path = tmp_path / "crate.zip"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def test_the_crate_reads_back_with_the_runs_entities_and_files(
        alice: Actor, finished: tuple[Path, RunRecord], tmp_path: Path) -> None:
    _, run = finished
    path = download(alice, "r1", tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert archive.read("out/a.csv") == b"x\n1\n" and archive.read(LOG) == b"started\n"
    assert names == {"out/a.csv", LOG, "pipeline.json", "ro-crate-metadata.json"}

    crate = ROCrate(path)  # rocrate reads the zip back
    profiles = {ref(e) for e in crate.root_dataset["conformsTo"]}
    assert profiles == {"https://w3id.org/ro/wfrun/process/0.5",
                        "https://w3id.org/ro/wfrun/workflow/0.5"}
    workflow = crate.mainEntity
    assert workflow.id == "pipeline.json"
    assert set(workflow.type) == {"File", "SoftwareSourceCode", "ComputationalWorkflow"}
    assert {p["name"] for p in workflow["input"]} == {"min_area", "channel"}
    [action] = [e for e in crate.get_entities() if e.type == "CreateAction"]
    assert action in crate.root_dataset["mentions"]
    assert ref(action["instrument"]) == workflow.id
    assert ref(action["actionStatus"]) == "http://schema.org/CompletedActionStatus"
    assert action["startTime"].startswith("2026-12-01T10:01:05")
    assert action["endTime"].startswith("2026-12-01T10:01:30")
    assert action["exitCode"] == 0 and "node-7" in action["description"]
    image = action["containerImage"]
    assert (image["registry"], image["name"], image["sha256"]) == (
        "registry.example", "nuclei", "ab" * 32)

    values = {e["name"]: e for e in action["object"] if e.type == "PropertyValue"}
    assert values["min_area"]["value"] == 20
    assert ref(values["min_area"]["exampleOfWork"]) == "#param-min_area"
    inputs = {e["name"]: e for e in action["object"] if e.type == "File"}
    assert inputs["raw/in.png"]["sha256"] == hashlib.sha256(b"png").hexdigest()
    assert "Not an input" in inputs["to-passwd"]["description"]

    results = {e.id: e for e in action["result"]}
    assert results["out/a.csv"]["sha256"] == hashlib.sha256(b"x\n1\n").hexdigest()
    assert results["out/a.csv"]["contentSize"] == "4"
    assert "replaced by run r2" in results["#output/out/b.csv"]["description"]
    log = crate.get(LOG)
    assert log is not None and ref(log["about"]) == action.id
    spec = json.loads((zipfile.ZipFile(path).read("pipeline.json")))
    assert spec["generation"] == 1 and spec["spec"]["results"] == RESULTS


def test_a_failed_run_says_so_and_a_planted_log_is_never_followed(
        alice: Actor, finished: tuple[Path, RunRecord], tmp_path: Path) -> None:
    folder, run = finished
    (folder / LOG).unlink()
    (folder / LOG).symlink_to("/etc/passwd")
    RunRecord.objects.filter(uid=run.uid).update(phase="Failed", exit_code=3,
                                                 message="Job has reached the backoff limit")
    path = download(alice, "r1", tmp_path)
    assert LOG not in zipfile.ZipFile(path).namelist()
    [action] = [e for e in ROCrate(path).get_entities() if e.type == "CreateAction"]
    assert ref(action["actionStatus"]) == "http://schema.org/FailedActionStatus"
    assert action["error"] == "Job has reached the backoff limit" and action["exitCode"] == 3


def test_a_foreign_user_gets_404(bob: Actor, finished: tuple[Path, RunRecord]) -> None:
    assert bob.client.get(reverse("results-run-crate", args=["r1"])).status_code == 404
    assert bob.client.get(reverse("results-run-crate", args=["nope"])).status_code == 404


def test_a_crate_over_the_bound_is_refused_with_a_message(
        alice: Actor, finished: tuple[Path, RunRecord], settings) -> None:  # noqa: ANN001
    settings.RUN_CRATE_MAX_BYTES = 5
    response = alice.client.get(reverse("results-run-crate", args=["r1"]), follow=True)
    assert response.redirect_chain == [(reverse("runs-detail", args=["r1"]), 302)]
    assert "more than an RO-Crate may hold" in response.content.decode()


def test_an_unfinished_run_has_no_crate_yet(alice: Actor, runs_archive: Archive) -> None:
    _, row = runs_archive.project(alice, "cells")
    runs_archive.run(row, "r9", phase="Running", outputs=[])
    response = alice.client.get(reverse("results-run-crate", args=["r9"]))
    assert response.status_code == 302


def test_the_zip_holds_only_what_did_not_change_while_it_was_made(
        alice: Actor, finished: tuple[Path, RunRecord], tmp_path: Path) -> None:
    folder, _ = finished
    response = alice.client.get(reverse("results-run-crate", args=["r1"]))
    (folder / "out" / "a.csv").write_bytes(b"x\n1\n changed meanwhile\n")  # before streaming
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert "out/a.csv" not in archive.namelist()
    metadata = json.loads(archive.read("ro-crate-metadata.json"))
    described = {e["@id"]: e for e in metadata["@graph"]}
    assert "changed while it was being exported" in described["#output/out/a.csv"]["description"]
    assert "out/a.csv" not in described
