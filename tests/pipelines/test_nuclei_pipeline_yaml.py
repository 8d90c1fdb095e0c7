"""pipeline.yaml is a valid Pipeline whose form, results and command fit the pipeline's code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from nuclei_segmentation.params import Params, parse_params

REPO = Path(__file__).resolve().parents[2]
PIPELINE_DIR = REPO / "pipelines" / "nuclei"


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    return yaml.safe_load((PIPELINE_DIR / "pipeline.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def form(pipeline: dict[str, Any]) -> dict[str, Any]:
    return pipeline["spec"]["form"]


def crd_schema(name: str) -> dict[str, Any]:
    crd = yaml.safe_load((REPO / "crds" / f"{name}.yaml").read_text(encoding="utf-8"))
    (version,) = [v for v in crd["spec"]["versions"] if v["storage"]]
    return version["schema"]["openAPIV3Schema"]


def test_it_is_valid_against_the_pipeline_crd(pipeline: dict[str, Any]) -> None:
    jsonschema.validate(pipeline, crd_schema("pipelines.kubeshowcase.io"))
    assert pipeline["apiVersion"] == "kubeshowcase.io/v1alpha1"
    assert pipeline["kind"] == "Pipeline"
    assert pipeline["metadata"] == pipeline["metadata"] | {
        "name": "nuclei",
        "namespace": "kubeshowcase",
    }


def test_the_crd_check_catches_a_bad_pipeline(pipeline: dict[str, Any]) -> None:
    broken = {**pipeline, "spec": {**pipeline["spec"], "clearPaths": ["../results/"]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, crd_schema("pipelines.kubeshowcase.io"))


def test_it_runs_the_package_with_the_default_handshake_files(pipeline: dict[str, Any]) -> None:
    spec = pipeline["spec"]
    assert spec["image"] == "ghcr.io/kubeshowcase/nuclei:0.1.0"
    assert spec["command"] == ["python", "-m", "nuclei_segmentation"]
    assert (PIPELINE_DIR / "nuclei_segmentation" / "__main__.py").is_file()
    assert "args" not in spec and "files" not in spec  # the CLI's defaults are the CRD's
    assert spec["activeDeadlineSeconds"] == 3600


def test_the_form_is_a_valid_json_schema(form: dict[str, Any]) -> None:
    assert form["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(form)
    assert form["type"] == "object"
    for name, field in form["properties"].items():
        assert {"title", "description", "default"} <= field.keys(), name


def test_the_form_asks_only_for_arguments_the_pipeline_knows(form: dict[str, Any]) -> None:
    assert set(form["properties"]) <= set(Params.__dataclass_fields__)
    assert form["additionalProperties"] is False


def test_the_form_defaults_are_the_pipelines_defaults(form: dict[str, Any]) -> None:
    defaults = {name: field["default"] for name, field in form["properties"].items()}
    jsonschema.Draft202012Validator(form).validate(defaults)
    assert parse_params(defaults) == Params()


@pytest.mark.parametrize(
    "values",
    [
        {"threshold": "li"},
        {"threshold": "yen"},
        {"threshold": 0},
        {"threshold": 1},
        {"threshold": 0.35},
        {"channel": 0},
        {"channel": 2},
        {"min_area": 0},
        {"smoothing_sigma": 50},
        {"split_touching": False},
        {"images": "raw/**/*.tif"},
    ],
)
def test_every_value_the_form_allows_the_pipeline_accepts(
    form: dict[str, Any], values: dict[str, Any]
) -> None:
    jsonschema.Draft202012Validator(form).validate(values)
    parse_params(values)


@pytest.mark.parametrize(
    "values",
    [{"threshold": "median"}, {"threshold": 1.5}, {"channel": 3}, {"min_area": -1}, {"colour": 1}],
)
def test_the_form_refuses_what_the_pipeline_refuses(
    form: dict[str, Any], values: dict[str, Any]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(form).validate(values)


def test_the_images_field_is_marked_for_the_file_picker(form: dict[str, Any]) -> None:
    assert form["properties"]["images"]["type"] == "string"
    assert form["properties"]["images"]["format"] == "project-glob"


def test_results_and_clear_paths_point_at_the_default_output_folder(
    pipeline: dict[str, Any],
) -> None:
    spec = pipeline["spec"]
    output_dir = Params().output_dir
    assert spec["clearPaths"] == [f"{output_dir}/"]
    assert spec["results"]["images"] == [f"{output_dir}/*_overlay.png"]
    assert spec["results"]["tables"] == [f"{output_dir}/summary.csv", f"{output_dir}/*_objects.csv"]
