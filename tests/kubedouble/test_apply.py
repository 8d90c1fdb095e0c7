"""Server-side apply with real kubectl and over HTTP: managedFields, conflicts, --force-conflicts.

Behaviour and wording from kubernetes.io "Server-Side Apply" (Conflicts, Managers, Field
management) and k8s.io/apiserver pkg/endpoints/handlers/fieldmanager/internal/conflict.go.
"""

from __future__ import annotations

import yaml

from tests.fixtures.apiserver import REPO
from tests.kubedouble.helpers import http, kubectl

APPLY = {"Content-Type": "application/apply-patch+yaml"}
CM_PATH = "/api/v1/namespaces/kubeshowcase/configmaps"
CRD = "pipelines.kubeshowcase.io"


def _config_map(**data: str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "settings"}, "data": data})


def _managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])]


def test_kubectl_applies_the_crds_server_side_and_conflicts_without_force(kube_env, tmp_path):
    first = kubectl(kube_env, "apply", "--server-side", "-f", str(REPO / "crds"))
    assert f"customresourcedefinition.apiextensions.k8s.io/{CRD} serverside-applied" \
        in first.stdout
    again = kubectl(kube_env, "apply", "--server-side", "-f", str(REPO / "crds"))
    assert again.returncode == 0
    changed = (REPO / "crds" / f"{CRD}.yaml").read_text().replace("shortNames: [ksp]",
                                                                    "shortNames: [kspx]")
    assert "kspx" in changed
    manifest = tmp_path / "crd.yaml"
    manifest.write_text(changed)
    refused = kubectl(kube_env, "apply", "--server-side", "--field-manager=other", "-f",
                      str(manifest), check=False)
    assert refused.returncode != 0
    # The double loaded crds/ at start (an Update by its controllers), then kubectl applied.
    assert "Apply failed with 2 conflicts: conflicts with \"kube-controller-manager\" using " \
           "apiextensions.k8s.io/v1 at " in refused.stderr
    assert '- .spec.names.shortNames\nconflicts with "kubectl":\n- .spec.names.shortNames' \
        in refused.stderr
    forced = kubectl(kube_env, "apply", "--server-side", "--field-manager=other",
                     "--force-conflicts", "-f", str(manifest))
    assert "serverside-applied" in forced.stdout
    shown = yaml.safe_load(kubectl(kube_env, "get", "crd", CRD, "-o", "yaml",
                                   "--show-managed-fields").stdout)
    assert shown["spec"]["names"]["shortNames"] == ["kspx"]
    by_manager = {e["manager"]: e for e in shown["metadata"]["managedFields"]}
    assert "f:shortNames" in by_manager["other"]["fieldsV1"]["f:spec"]["f:names"]
    assert "f:shortNames" not in by_manager["kubectl"]["fieldsV1"]["f:spec"]["f:names"]
    hidden = yaml.safe_load(kubectl(kube_env, "get", "crd", CRD, "-o", "yaml").stdout)
    assert "managedFields" not in hidden["metadata"]


def test_apply_over_http_creates_shares_and_conflicts(apiserver):
    created = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=alice",
                   data=_config_map(a="1", b="2"), headers=APPLY)
    assert created.status_code == 201
    body = created.json()
    assert _managers(body) == [("alice", "Apply")]
    assert body["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    shared = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=bob",
                  data=_config_map(a="1"), headers=APPLY)
    assert shared.status_code == 200 and _managers(shared.json()) == [
        ("alice", "Apply"), ("bob", "Apply")]
    refused = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=bob",
                   data=_config_map(a="9"), headers=APPLY)
    assert refused.status_code == 409
    status = refused.json()
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.a'
    assert status["details"]["causes"] == [{"type": "FieldManagerConflict",
                                            "message": 'conflict with "alice"',
                                            "field": ".data.a"}]
    forced = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=bob&force=true",
                  data=_config_map(a="9"), headers=APPLY)
    assert forced.status_code == 200 and forced.json()["data"] == {"a": "9", "b": "2"}
    entries = {e["manager"]: e["fieldsV1"] for e in forced.json()["metadata"]["managedFields"]}
    assert entries == {"alice": {"f:data": {"f:b": {}}}, "bob": {"f:data": {"f:a": {}}}}


def test_an_applier_that_drops_a_field_removes_it(apiserver):
    http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=alice",
         data=_config_map(a="1", b="2"), headers=APPLY)
    dropped = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=alice",
                   data=_config_map(a="1"), headers=APPLY)
    assert dropped.json()["data"] == {"a": "1"}


def test_updates_record_their_manager_and_take_over_changed_fields(apiserver):
    http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=alice",
         data=_config_map(a="1", b="2"), headers=APPLY)
    merged = http(apiserver, "PATCH", f"{CM_PATH}/settings",
                  json={"data": {"b": "3"}},
                  headers={"Content-Type": "application/merge-patch+json",
                           "User-Agent": "carol-tool/1.0 (linux)"})
    entries = merged.json()["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries] == [("alice", "Apply"),
                                                                  ("carol-tool", "Update")]
    assert entries[1]["fieldsV1"] == {"f:data": {"f:b": {}}}
    assert entries[0]["fieldsV1"] == {"f:data": {"f:a": {}}}
    refused = http(apiserver, "PATCH", f"{CM_PATH}/settings?fieldManager=alice",
                   data=_config_map(a="1", b="2"), headers=APPLY)
    assert refused.status_code == 409
    assert refused.json()["message"].startswith(
        'Apply failed with 1 conflict: conflict with "carol-tool" using v1 at ')
    assert refused.json()["message"].endswith(": .data.b")


def test_apply_needs_a_field_manager_and_force_needs_apply(apiserver):
    missing = http(apiserver, "PATCH", f"{CM_PATH}/settings", data=_config_map(a="1"),
                   headers=APPLY)
    assert missing.status_code == 422
    assert missing.json()["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                                         "Required value: is required for apply patch")
    forced = http(apiserver, "PATCH", f"{CM_PATH}/settings?force=true", json={"data": {}},
                  headers={"Content-Type": "application/merge-patch+json"})
    assert forced.status_code == 422
    assert "force: Forbidden: may not be specified for non-apply patch" in forced.json()["message"]


def test_create_records_the_field_manager_param(apiserver):
    created = http(apiserver, "POST", f"{CM_PATH}?fieldManager=kubectl-create",
                   json={"metadata": {"name": "made"}, "data": {"x": "y"}})
    entry = created.json()["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["apiVersion"], entry["fieldsType"]) == (
        "kubectl-create", "Update", "v1", "FieldsV1")
    assert entry["fieldsV1"] == {"f:data": {"f:x": {}}}


def test_list_semantics_follow_the_types():
    from kubedouble.fieldpaths import Walker, describe

    walker = Walker(None)  # a built-in kind: containers are a map keyed by name
    pod = {"metadata": {"finalizers": ["a/b"]},
           "spec": {"containers": [{"name": "main", "image": "x:1", "args": ["-v"]}]}}
    leaves = set(walker.leaves(pod))
    item = ("f:spec", "f:containers", 'k:{"name":"main"}')
    assert {item + (".",), item + ("f:image",), item + ("f:args",),
            ("f:metadata", "f:finalizers", 'v:"a/b"')} <= leaves
    assert describe(item + ("f:image",)) == '.spec.containers[name="main"].image'
    assert describe(("f:metadata", "f:finalizers", 'v:"a/b"')) == '.metadata.finalizers[="a/b"]'
    merged = walker.merge(pod, {"spec": {"containers": [{"name": "side", "image": "y"},
                                                        {"name": "main", "image": "x:2"}]}})
    assert [(c["name"], c["image"]) for c in merged["spec"]["containers"]] == [
        ("main", "x:2"), ("side", "y")]
    crd_schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}}}}}}
    atomic = Walker(crd_schema).leaves({"spec": {"tags": ["a", "b"]}})
    assert atomic == {("f:spec", "f:tags"): ["a", "b"]}
