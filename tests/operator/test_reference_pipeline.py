"""The reference nuclei pipeline, declared by its own pipeline.yaml, run end to end by the operator."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import yaml

from kubedouble.images import image_ref
from tests.fixtures.apiserver import node_images, reference_image
from tests.fixtures.operator import GROUP, VERSION, KscCluster
from tools.sample_data import NUCLEI, nuclei_image

REPO = Path(__file__).resolve().parents[2]


def apply_reference_pipeline(ksc: KscCluster, **results: Any) -> dict[str, Any]:
    from kubernetes import client

    body = yaml.safe_load((REPO / "pipelines" / "nuclei" / "pipeline.yaml").read_text())
    body["spec"]["results"].update(results)
    return client.CustomObjectsApi(ksc.client).create_namespaced_custom_object(
        GROUP, VERSION, ksc.namespace, "pipelines", body)


def test_the_nuclei_pipeline_runs_through_the_operator(ksc: KscCluster, operator_factory: Any) -> None:
    pipeline = apply_reference_pipeline(ksc)
    project = ksc.project("alice/cells")
    iio.imwrite(project / "field-1.png", nuclei_image())
    iio.imwrite(project / "field-2.png", nuclei_image(centres=NUCLEI[:3], seed=5))
    (project / "results").mkdir()
    (project / "results" / "stale.csv").write_text("from an earlier run\n")
    operator_factory()

    ksc.create_run("alice-cells-1", pipeline="nuclei", project="alice/cells",
                   args={"images": "*.png", "threshold": "otsu", "min_area": 20})
    status = ksc.wait_phase("alice-cells-1", "Succeeded", "Failed", timeout=120)

    assert status["phase"] == "Succeeded", status
    assert pipeline["metadata"]["name"] == "nuclei"
    with open(project / "results" / "summary.csv", newline="") as handle:
        counts = {row["image"]: int(row["object_count"]) for row in csv.DictReader(handle)}
    assert counts == {"field-1.png": len(NUCLEI), "field-2.png": 3}
    for stem in ("field-1", "field-2"):
        assert iio.imread(project / "results" / f"{stem}_overlay.png").shape == (96, 96, 3)
        assert (project / "results" / f"{stem}_objects.csv").exists()
    assert not (project / "results" / "stale.csv").exists(), "clearPaths was not honoured"
    assert (project / ".kubeshowcase" / "LAST_RUN_ID").read_text().strip() == "alice-cells-1"
    assert json.loads((project / ".kubeshowcase" / "args").read_text())["threshold"] == "otsu"
    log = (project / status["logFile"]).read_text()
    assert "field-1.png: 6 nuclei" in log


def manifest_matches_disk(project: Path, outputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each entry as the disk has it: size, mtime and (all are small) sha256."""
    files = {entry["path"]: entry for entry in outputs["files"]}
    for path, entry in files.items():
        data = (project / path).read_bytes()
        assert entry == {"path": path, "size": len(data),
                         "mtimeNs": (project / path).stat().st_mtime_ns,
                         "sha256": hashlib.sha256(data).hexdigest()}
    return files


def test_the_run_records_what_the_archive_needs(ksc: KscCluster, operator_factory: Any) -> None:
    pipeline = apply_reference_pipeline(ksc)
    project = ksc.project("alice/cells")
    iio.imwrite(project / "field-1.png", nuclei_image())
    (project / "notes.txt").write_text("there before the run: not an output\n")
    operator_factory()

    ksc.create_run("alice-cells-1", pipeline="nuclei", project="alice/cells",
                   args={"images": "*.png"})
    status = ksc.wait_phase("alice-cells-1", "Succeeded", "Failed", timeout=120)

    assert status["phase"] == "Succeeded", status
    assert status["pipelineGeneration"] == pipeline["metadata"]["generation"]
    # The digest the double's node has the image under, as its kubelet reports it.
    assert status["imageID"] == image_ref(reference_image(), node_images()[reference_image()])
    assert status["imageID"].startswith("ghcr.io/kubeshowcase/nuclei@sha256:")
    outputs = status["outputs"]
    assert outputs["dir"] == "" and outputs["complete"] is True
    files = manifest_matches_disk(project, outputs)
    assert sorted(files) == ["results/field-1_objects.csv", "results/field-1_overlay.png",
                             "results/summary.csv"]


def test_per_run_folders_keep_every_runs_results(ksc: KscCluster,
                                                 operator_factory: Any) -> None:
    apply_reference_pipeline(ksc, perRun=True)
    project = ksc.project("alice/cells")
    iio.imwrite(project / "field-1.png", nuclei_image())
    operator_factory()

    ksc.create_run("cells-a", pipeline="nuclei", project="alice/cells", args={"images": "**/*"})
    first = ksc.wait_phase("cells-a", "Succeeded", "Failed", timeout=120)
    iio.imwrite(project / "field-2.png", nuclei_image(centres=NUCLEI[:3], seed=5))
    ksc.create_run("cells-b", pipeline="nuclei", project="alice/cells", args={"images": "**/*"})
    second = ksc.wait_phase("cells-b", "Succeeded", "Failed", timeout=120)

    assert (first["phase"], second["phase"]) == ("Succeeded", "Succeeded"), (first, second)
    for status, name, images in ((first, "cells-a", ["field-1.png"]),
                                 (second, "cells-b", ["field-1.png", "field-2.png"])):
        assert status["outputs"]["dir"] == f"runs/{name}"
        files = manifest_matches_disk(project, status["outputs"])
        assert all(path.startswith(f"runs/{name}/") for path in files), files
        with open(project / "runs" / name / "summary.csv", newline="") as handle:
            # The second run read the project's images, not the first run's overlays.
            assert [row["image"] for row in csv.DictReader(handle)] == images
    assert not (project / "results").exists()
