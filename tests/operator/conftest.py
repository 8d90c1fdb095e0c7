"""The operator's unit tests share one Settings object; `older_crds` tests get CRDs without rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeshowcase_operator.settings import Settings
from tests.fixtures.apiserver import REPO

from .bodies import settings_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


def _without_rules(node: object) -> object:
    if isinstance(node, dict):
        return {key: _without_rules(value) for key, value in node.items()
                if key != "x-kubernetes-validations"}
    if isinstance(node, list):
        return [_without_rules(item) for item in node]
    return node


@pytest.fixture
def crd_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """<repo>/crds, or for a test marked `older_crds` the same CRDs without their CEL rules:
    a cluster installed before the rules existed (`helm upgrade` never updates CRDs), where
    only the operator stands between a kubectl-made run and the volume."""
    if request.node.get_closest_marker("older_crds") is None:
        return REPO / "crds"
    folder = tmp_path / "older-crds"
    folder.mkdir()
    for source in sorted((REPO / "crds").glob("*.yaml")):
        crd = _without_rules(yaml.safe_load(source.read_text()))
        (folder / source.name).write_text(yaml.safe_dump(crd))
    return folder
