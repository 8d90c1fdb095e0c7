"""The double's pure decisions: selectors, patches, schemas, routing, tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubedouble import builtin_validation, field_errors, patching, validation
from kubedouble.errors import ApiError
from kubedouble.resources import ResourceTable, load_crd_files
from kubedouble.routing import parse_path
from kubedouble.selectors import Selector, parse_field_selector, parse_label_selector
from kubedouble.tables import human_duration, json_path, table_version

REPO = Path(__file__).resolve().parents[2]


def _labelled(**labels: str) -> dict:
    return {"metadata": {"labels": labels}}


@pytest.mark.parametrize("selector, labels, expected", [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "db"}, False),
    ("app!=web", {}, True),
    ("tier in (a, b)", {"tier": "b"}, True),
    ("tier in (a,b),app", {"tier": "a"}, False),
    ("tier notin (a,b)", {"tier": "c"}, True),
    ("tier notin (a,b)", {}, True),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("!app,tier=a", {"tier": "a"}, True),
])
def test_label_selectors_match_like_the_real_server(selector, labels, expected):
    requirements = parse_label_selector(selector)
    assert Selector(labels=requirements).matches(_labelled(**labels)) is expected


def test_field_selectors_reject_unsupported_fields():
    with pytest.raises(ApiError) as problem:
        parse_field_selector("spec.owner=alice", ())
    assert problem.value.code == 400
    fields = parse_field_selector("involvedObject.name=x,metadata.namespace!=b",
                                  ("involvedObject.name",))
    event = {"metadata": {"namespace": "a"}, "involvedObject": {"name": "x"}}
    assert Selector(fields=fields).matches(event)


def test_merge_patch_deletes_with_null_and_merges_objects():
    target = {"a": {"b": 1, "c": 2}, "d": [1, 2]}
    assert patching.merge_patch(target, {"a": {"b": None, "e": 3}, "d": [3]}) == {
        "a": {"c": 2, "e": 3}, "d": [3]}


def test_json_patch_applies_operations_and_fails_a_test_with_422():
    doc = {"metadata": {"resourceVersion": "5"}, "spec": {"items": [1, 2]}}
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": "5"},
           {"op": "add", "path": "/spec/items/-", "value": 3},
           {"op": "remove", "path": "/spec/items/0"},
           {"op": "replace", "path": "/spec/x", "value": 1}]
    with pytest.raises(ApiError):
        patching.json_patch(doc, ops)  # /spec/x does not exist: replace fails
    assert patching.json_patch(doc, ops[:3])["spec"]["items"] == [2, 3]
    with pytest.raises(ApiError) as problem:
        patching.json_patch(doc, [{"op": "test", "path": "/metadata/resourceVersion",
                                   "value": "4"}])
    assert problem.value.code == 422
    assert doc["spec"]["items"] == [1, 2]  # the input is never changed


def test_strategic_merge_merges_keyed_lists():
    target = {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}
    patch = {"containers": [{"name": "b", "image": "2"}, {"name": "a", "$patch": "delete"}]}
    assert patching.strategic_merge_patch(target, patch) == {
        "containers": [{"name": "b", "image": "2"}]}


@pytest.fixture(scope="module")
def run_schema() -> dict:
    crds = {c["metadata"]["name"]: c for c in load_crd_files(REPO / "crds")}
    return crds["pipelineruns.kubeshowcase.io"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def test_schema_walk_prunes_defaults_and_explains(run_schema):
    obj = {"apiVersion": "x", "kind": "PipelineRun", "metadata": {"name": "r", "any": 1},
           "spec": {"pipeline": "p", "owner": "o", "project": "../etc", "extra": 1,
                    "parameters": {"free": {"form": True}}},
           "status": {"phase": "Bogus", "conditions": [{"type": "A"}] * 9}}
    assert validation.prune(obj, run_schema) == ["spec.extra"]
    validation.apply_defaults(obj, run_schema)
    assert obj["spec"]["cancelRequested"] is False
    assert obj["spec"]["parameters"] == {"free": {"form": True}}
    assert obj["metadata"]["any"] == 1
    causes = {c["field"]: c for c in validation.validate(obj, run_schema)}
    assert causes["spec.project"]["message"].startswith(
        'Invalid value: "../etc": spec.project in body should match \'^')
    assert causes["status.phase"]["reason"] == "FieldValueNotSupported"
    assert causes["status.conditions"]["message"] == "Too many: 9: must have at most 8 items"
    assert causes["status.conditions[0].status"]["message"] == "Required value"


def test_int_or_string_accepts_both(run_schema):
    schema = {"type": "object", "additionalProperties": {
        "x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": "^[0-9]+[MG]i$"}}
    assert validation.validate({"cpu": 2, "memory": "4Gi"}, schema) == []
    assert validation.validate({"cpu": True}, schema)[0]["field"] == "cpu"
    assert validation.validate({"memory": "lots"}, schema)[0]["field"] == "memory"


def test_names_must_be_dns_subdomains_or_labels():
    assert field_errors.name_messages("run-1.a", label=False) == []
    assert field_errors.name_messages("run-1.a", label=True) == ["must not contain dots"]
    assert field_errors.name_messages("run-", label=False, prefix=True) == []
    assert field_errors.name_messages("run-", label=False)
    assert field_errors.name_messages("a" * 64, label=True) == [
        "must be no more than 63 characters"]


def test_label_keys_and_values_follow_the_content_rules():
    assert field_errors.label_key("example.com/MyName") == []
    assert field_errors.label_key("/x") == ["prefix part must be non-empty"]
    assert field_errors.label_key("x/")[0] == "name part must be non-empty"
    assert field_errors.label_key("a" * 64)[0] == "name part must be no more than 63 bytes"
    assert field_errors.label_value("") == []
    assert field_errors.label_value("-a")


def test_quantities_compare_as_numbers():
    assert builtin_validation.parse_quantity("500m") < builtin_validation.parse_quantity("1")
    assert builtin_validation.parse_quantity("1Gi") > builtin_validation.parse_quantity("1G")
    assert builtin_validation.parse_quantity("1e3") == builtin_validation.parse_quantity("1k")


def test_paths_route_to_resources():
    table = ResourceTable()
    route = parse_path(table, "/api/v1/namespaces")
    assert route and route.resource.plural == "namespaces" and route.name is None
    route = parse_path(table, "/api/v1/namespaces/kubeshowcase")
    assert route and route.resource.plural == "namespaces" and route.name == "kubeshowcase"
    route = parse_path(table, "/api/v1/namespaces/ns/pods/p/log")
    assert route and (route.namespace, route.name, route.subresource) == ("ns", "p", "log")
    route = parse_path(table, "/apis/batch/v1/watch/namespaces/ns/jobs")
    assert route and route.watch and route.namespace == "ns"
    assert parse_path(table, "/apis/batch/v1/jobs/name-without-namespace") is None
    assert parse_path(table, "/apis/batch/v1") is None


def test_tables_speak_kubectl():
    assert table_version("application/json;as=Table;v=v1;g=meta.k8s.io,application/json") == \
        "meta.k8s.io/v1"
    assert table_version("application/json") is None
    assert [human_duration(s) for s in (5, 150, 3600 * 5 + 60, 3600 * 30, 86400 * 3)] == \
        ["5s", "2m30s", "5h1m", "30h", "3d"]
    obj = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "B", "status": "y"}]}}
    assert json_path(obj, ".status.conditions[1].status") == "y"
    assert json_path(obj, '.status.conditions[?(@.type=="A")].status') == "x"
    assert json_path(obj, ".status.missing.deeper") is None
