"""The reference nuclei pipeline, declared by its own pipeline.yaml, run end to end by the operator."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import yaml

from tests.fixtures.operator import GROUP, VERSION, KscCluster
from tests.pipelines.synthetic import NUCLEI, nuclei_image

REPO = Path(__file__).resolve().parents[2]


def apply_reference_pipeline(ksc: KscCluster) -> dict[str, Any]:
    from kubernetes import client

    body = yaml.safe_load((REPO / "pipelines" / "nuclei" / "pipeline.yaml").read_text())
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
