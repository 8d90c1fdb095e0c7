"""The PipelineRun CRD's CEL rules, evaluated by the API-server double as kube-apiserver does:
runs stay in their owner's space, spec is immutable but for cancelRequested, an ended run
stays ended. (The first rule is also checked against the operator's own refusal.)"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from kubeshowcase_operator.boundaries import project_outside_owner
from tests.fixtures.operator import KscCluster

cel = pytest.importorskip("cel")
CRD = Path(__file__).resolve().parents[2] / "crds" / "pipelineruns.kubeshowcase.io.yaml"
GROUP, VERSION, PLURAL = "kubeshowcase.io", "v1alpha1", "pipelineruns"


def spec_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


@pytest.mark.parametrize(("owner", "project"), [
    ("alice", "alice/cells"), ("alice", "alice/my cells"), ("guest-1a", "guest-1a/p"),
    ("alice", "bob/proj"), ("alice", "alice"), ("alice", "alice/cells/raw"),
    ("alice", "alicex/cells"), ("ali", "alice/cells"), ("a.b", "a.b/x"), ("a.b", "aXb/x"),
])
def test_the_crd_rule_agrees_with_the_operator(owner: str, project: str) -> None:
    [rule] = [r for r in spec_schema()["x-kubernetes-validations"] if r["fieldPath"] == ".project"]
    allowed = cel.evaluate(rule["rule"], {"self": {"owner": owner, "project": project}})
    assert allowed is (project_outside_owner(owner, project) is None)
    assert "owner's space" in rule["message"]


def refused(call: Any, *args: Any) -> str:
    with pytest.raises(ApiException) as caught:
        call(*args)
    assert caught.value.status == 422, caught.value.body
    return str(caught.value.body)


def patch_spec(ksc: KscCluster, name: str, spec: dict[str, Any]) -> Any:
    return ksc._custom.patch_namespaced_custom_object(
        GROUP, VERSION, ksc.namespace, PLURAL, name, {"spec": spec})


@pytest.mark.parametrize(("change", "message"), [
    ({"owner": "bob", "project": "bob/cells"}, "spec.owner is immutable"),
    ({"project": "alice/other"}, "spec.project is immutable"),
    ({"pipeline": "other"}, "spec.pipeline is immutable"),
    ({"args": '{"sigma": 3}'}, "spec.args is immutable"),
    ({"args": None}, "spec.args is immutable"),  # removed
    ({"priority": 5}, "spec.priority is immutable"),
])
def test_spec_cannot_change_after_creation(ksc: KscCluster, change: dict[str, Any],
                                           message: str) -> None:
    ksc.create_run("run-1", args={"sigma": 2})
    assert message in refused(patch_spec, ksc, "run-1", change)
    assert ksc.run("run-1")["spec"]["args"] == '{"sigma": 2}'


def test_the_priority_defaults_to_zero_and_is_bounded(ksc: KscCluster) -> None:
    assert ksc.create_run("run-1")["spec"]["priority"] == 0
    assert ksc.create_run("run-2", priority=-100)["spec"]["priority"] == -100
    for wrong in (101, -101):
        body = str(refused(ksc.create_run, "run-3", "test", "alice/cells", None, None, wrong))
        assert "spec.priority" in body


def test_args_cannot_be_added_later(ksc: KscCluster) -> None:
    ksc.create_run("run-1")
    assert "spec.args is immutable" in refused(patch_spec, ksc, "run-1", {"args": "{}"})


def test_cancel_can_be_requested_but_not_withdrawn(ksc: KscCluster) -> None:
    ksc.create_run("run-1")
    ksc.cancel("run-1")
    assert ksc.run("run-1")["spec"]["cancelRequested"] is True
    assert "spec.cancelRequested cannot be withdrawn" in refused(
        patch_spec, ksc, "run-1", {"cancelRequested": False})


@pytest.mark.parametrize("final", ["Succeeded", "Failed", "Cancelled"])
def test_a_final_phase_is_final(ksc: KscCluster, final: str) -> None:
    ksc.create_run("run-1")
    ksc.write_status("run-1", {"phase": "Queued"})
    ksc.write_status("run-1", {"phase": "Running"})
    ksc.write_status("run-1", {"phase": final, "message": "done"})
    ksc.write_status("run-1", {"message": "the same phase may be written again"})
    for late in ("Running", "Queued", *({"Succeeded", "Failed"} - {final})):
        body = refused(ksc.write_status, "run-1", {"phase": late})
        assert "status.phase is final once Succeeded, Failed or Cancelled" in body
    assert ksc.phase("run-1") == final


def test_kubectl_users_see_why(ksc: KscCluster, kube_env: dict[str, str]) -> None:
    ksc.create_run("run-1")
    done = subprocess.run(
        ["kubectl", "patch", "pipelinerun", "run-1", "--type=merge",
         "-p", '{"spec": {"pipeline": "other"}}'],
        env=kube_env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert done.stderr.strip() == ('The PipelineRun "run-1" is invalid: spec.pipeline: '
                                   'Invalid value: "other": spec.pipeline is immutable')


def test_the_largest_manifest_the_operator_writes_fits_the_crd(ksc: KscCluster) -> None:
    from kubeshowcase_operator import outputs

    ksc.create_run("run-1")
    path = "r/" + "x" * 60
    files = [{"path": f"{path}{n:04}", "size": n, "mtimeNs": 1, "sha256": "a" * 64}
             for n in range(outputs.MAX_FILES)]
    body = ksc.write_status("run-1", {"phase": "Running", "imageID": "r@sha256:" + "b" * 64,
                                      "pipelineGeneration": 2,
                                      "outputs": {"dir": "", "complete": True, "files": files}})
    assert len(body["status"]["outputs"]["files"]) == outputs.MAX_FILES
    over = {"dir": "", "complete": True, "files": [*files, files[0]]}
    assert "outputs.files" in refused(ksc.write_status, "run-1", {"outputs": over})
    assert "sha256" in refused(ksc.write_status, "run-1", {"outputs": {"files": [
        {"path": "a", "size": 1, "mtimeNs": 1, "sha256": "../etc/passwd"}]}})
