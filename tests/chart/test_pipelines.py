"""`.Values.pipelines` becomes one Pipeline object per entry; the default is the reference nuclei pipeline."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.chart.helm import render
from tests.chart.sync import REPO, VALUES_FILE

REFERENCE_PIPELINE = REPO / "pipelines" / "nuclei" / "pipeline.yaml"


def pipelines(manifests):
    return {obj["metadata"]["name"]: obj for obj in manifests.of_kind("Pipeline")}


def test_the_default_is_the_reference_nuclei_pipeline():
    reference = yaml.safe_load(REFERENCE_PIPELINE.read_text())
    defaults = yaml.safe_load(VALUES_FILE.read_text())["pipelines"]
    assert defaults == {"nuclei": reference["spec"]}, (
        f"pipelines.nuclei in {VALUES_FILE.relative_to(REPO)} differs from the spec in "
        f"{REFERENCE_PIPELINE.relative_to(REPO)}: copy that spec over")
    rendered = pipelines(render("default-values.yaml"))
    assert list(rendered) == ["nuclei"]
    assert rendered["nuclei"]["apiVersion"] == reference["apiVersion"]
    # Helm turns every number into a float and back: the spec must survive that unchanged.
    assert rendered["nuclei"]["spec"] == reference["spec"]
    assert rendered["nuclei"]["spec"]["image"] == "ghcr.io/kubeshowcase/nuclei:0.1.0"
    assert rendered["nuclei"]["spec"]["command"] == ["python", "-m", "nuclei_segmentation"]


def test_extra_pipelines_join_the_default():
    rendered = pipelines(render("extra-pipelines-values.yaml"))
    assert sorted(rendered) == ["cellpose", "nuclei", "word-count"]
    assert rendered["word-count"]["spec"] == {"image": "registry.example.org/lab/word-count:1.0.0",
                                              "mountPath": "/work", "files": {"args": "params.json"}}
    assert rendered["cellpose"]["spec"]["resources"]["limits"] == {"cpu": "4", "memory": "8Gi"}
    assert rendered["cellpose"]["metadata"]["labels"]["app.kubernetes.io/component"] == "pipeline"


def test_a_null_entry_leaves_a_pipeline_out(tmp_path: Path):
    values = tmp_path / "no-nuclei.yaml"
    values.write_text("pipelines:\n  nuclei: null\n")
    assert pipelines(render("default-values.yaml", files=(values,))) == {}
    assert sorted(pipelines(render("extra-pipelines-values.yaml", files=(values,)))) == [
        "cellpose", "word-count"]
