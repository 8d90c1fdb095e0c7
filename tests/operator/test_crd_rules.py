"""The PipelineRun CRD's CEL rule refuses what the operator refuses (ProjectOutsideOwner).

kubedouble does not evaluate CEL yet, so the rule is evaluated here with a CEL interpreter;
a real API server enforces it at create time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeshowcase_operator.boundaries import project_outside_owner

cel = pytest.importorskip("cel")
CRD = Path(__file__).resolve().parents[2] / "crds" / "pipelineruns.kubeshowcase.io.yaml"


def spec_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


@pytest.mark.parametrize(("owner", "project"), [
    ("alice", "alice/cells"), ("alice", "alice/my cells"), ("guest-1a", "guest-1a/p"),
    ("alice", "bob/proj"), ("alice", "alice"), ("alice", "alice/cells/raw"),
    ("alice", "alicex/cells"), ("ali", "alice/cells"), ("a.b", "a.b/x"), ("a.b", "aXb/x"),
])
def test_the_crd_rule_agrees_with_the_operator(owner: str, project: str) -> None:
    [rule] = spec_schema()["x-kubernetes-validations"]
    allowed = cel.evaluate(rule["rule"], {"self": {"owner": owner, "project": project}})
    assert allowed is (project_outside_owner(owner, project) is None)
    assert rule["fieldPath"] == ".project" and "owner's space" in rule["message"]


@pytest.mark.parametrize("field", ["owner", "project"])
def test_owner_and_project_cannot_change_after_creation(field: str) -> None:
    [rule] = spec_schema()["properties"][field]["x-kubernetes-validations"]
    assert rule["rule"] == "self == oldSelf"
    assert cel.evaluate(rule["rule"], {"self": "alice/cells", "oldSelf": "alice/cells"}) is True
    assert cel.evaluate(rule["rule"], {"self": "bob/proj", "oldSelf": "alice/cells"}) is False
