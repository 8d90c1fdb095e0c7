"""CEL `x-kubernetes-validations`: the docs' examples, transition rules, messages, and over HTTP.

Rules and expected wording from kubernetes.io "Extend the Kubernetes API with
CustomResourceDefinitions" § Validation rules, and apiextensions-apiserver
pkg/apiserver/schema/cel/validation.go (values omitted for objects/arrays since 1.35).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubedouble import cel, patching
from kubedouble.celtypes import escape, parse_duration
from kubedouble.errors import ApiError
from kubedouble.operations import Cluster

INT, STR = {"type": "integer"}, {"type": "string"}


def obj_schema(rules: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "x-kubernetes-validations": rules, "properties": properties}


def messages(schema: dict[str, Any], value: Any, old: Any = None) -> list[str]:
    return [f"{c['field']}: {c['message']}" for c in cel.validate(schema, value, old)]


# The docs' "Validation Rules Examples" table: (rule, properties, passing value, failing value)
DOCS_EXAMPLES = [
    ("self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas",
     {"minReplicas": INT, "replicas": INT, "maxReplicas": INT},
     {"minReplicas": 1, "replicas": 2, "maxReplicas": 3},
     {"minReplicas": 0, "replicas": 20, "maxReplicas": 10}),
    ("'Available' in self.stateCounts",
     {"stateCounts": {"type": "object", "additionalProperties": INT}},
     {"stateCounts": {"Available": 1}}, {"stateCounts": {"Pending": 1}}),
    ("(size(self.list1) == 0) != (size(self.list2) == 0)",
     {"list1": {"type": "array", "items": STR}, "list2": {"type": "array", "items": STR}},
     {"list1": [], "list2": ["a"]}, {"list1": ["a"], "list2": ["b"]}),
    ("!('MY_KEY' in self.map1) || self.map1['MY_KEY'].matches('^[a-zA-Z]*$')",
     {"map1": {"type": "object", "additionalProperties": STR}},
     {"map1": {"MY_KEY": "abc"}}, {"map1": {"MY_KEY": "abc1"}}),
    ("self.envars.filter(e, e.name == 'MY_ENV').all(e, e.value.matches('^[a-zA-Z]*$'))",
     {"envars": {"type": "array", "items": {"type": "object",
                                            "properties": {"name": STR, "value": STR}}}},
     {"envars": [{"name": "MY_ENV", "value": "ok"}]},
     {"envars": [{"name": "MY_ENV", "value": "not ok"}]}),
    ("has(self.expired) && self.created + self.ttl < self.expired",
     {"created": {"type": "string", "format": "date-time"},
      "ttl": {"type": "string", "format": "duration"},
      "expired": {"type": "string", "format": "date-time"}},
     {"created": "2024-01-01T00:00:00Z", "ttl": "1h", "expired": "2024-01-01T02:00:00Z"},
     {"created": "2024-01-01T00:00:00Z", "ttl": "3h", "expired": "2024-01-01T02:00:00Z"}),
    ("self.health.startsWith('ok')", {"health": STR}, {"health": "okay"}, {"health": "bad"}),
    ("self.widgets.exists(w, w.key == 'x' && w.foo < 10)",
     {"widgets": {"type": "array", "items": {"type": "object",
                                             "properties": {"key": STR, "foo": INT}}}},
     {"widgets": [{"key": "x", "foo": 5}]}, {"widgets": [{"key": "x", "foo": 50}]}),
    ("type(self.v) == string ? self.v == '100%' : self.v == 1000",
     {"v": {"x-kubernetes-int-or-string": True}}, {"v": 1000}, {"v": "50%"}),
    ("self.set1.all(e, !(e in self.set2))",
     {"set1": {"type": "array", "items": STR}, "set2": {"type": "array", "items": STR}},
     {"set1": ["a"], "set2": ["b"]}, {"set1": ["a"], "set2": ["a"]}),
    ("size(self.names) == size(self.details) && self.names.all(n, n in self.details)",
     {"names": {"type": "array", "items": STR},
      "details": {"type": "object", "additionalProperties": STR}},
     {"names": ["a"], "details": {"a": "x"}}, {"names": ["a"], "details": {"b": "x"}}),
    ("self.values.all(value, value >= 0 && value < 100)",
     {"values": {"type": "array", "items": INT}}, {"values": [0, 99]}, {"values": [100]}),
    ("self.components['Widget'].priority < 10",
     {"components": {"type": "object", "additionalProperties": {
         "type": "object", "properties": {"priority": INT}}}},
     {"components": {"Widget": {"priority": 1}}}, {"components": {"Widget": {"priority": 10}}}),
]


@pytest.mark.parametrize(("rule", "properties", "good", "bad"), DOCS_EXAMPLES,
                         ids=[e[0][:40] for e in DOCS_EXAMPLES])
def test_docs_examples_pass_and_fail(rule, properties, good, bad):
    schema = obj_schema([{"rule": rule}], **properties)
    assert messages(schema, good) == []
    assert messages(schema, bad) == [f"<nil>: Invalid value: failed rule: {rule}"]


def test_a_rule_at_a_nested_level_names_its_path_and_message():
    spec = obj_schema([{"rule": "self.minReplicas <= self.replicas",
                        "message": "replicas should be greater than or equal to minReplicas."}],
                      minReplicas=INT, replicas=INT)
    root = {"type": "object", "properties": {"spec": spec}}
    assert messages(root, {"spec": {"minReplicas": 3, "replicas": 1}}) == [
        "spec: Invalid value: replicas should be greater than or equal to minReplicas."]


def test_scalar_rules_show_the_value():
    root = {"type": "object", "properties": {
        "name": {"type": "string",
                 "x-kubernetes-validations": [{"rule": "self.startsWith('kube')"}]},
        "count": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0"}]}}}
    assert messages(root, {"name": "other", "count": 0}) == [
        "name: Invalid value: \"other\": failed rule: self.startsWith('kube')",
        "count: Invalid value: 0: failed rule: self > 0"]


def test_rules_in_array_items_are_evaluated_per_item():
    items = obj_schema([{"rule": "self.port > 1024", "message": "port must be unprivileged"}],
                       port=INT)
    root = {"type": "object", "properties": {"ports": {"type": "array", "items": items}}}
    assert messages(root, {"ports": [{"port": 8080}, {"port": 80}]}) == [
        "ports[1]: Invalid value: port must be unprivileged"]


def test_has_checks_presence():
    schema = obj_schema([{"rule": "has(self.foo)"}], foo=INT)
    assert messages(schema, {"foo": 1}) == []
    assert messages(schema, {}) == ["<nil>: Invalid value: failed rule: has(self.foo)"]


def test_a_missing_field_is_no_such_key_evaluating_rule():
    schema = obj_schema([{"rule": "self.foo > 0"}], foo=INT)
    assert messages(schema, {}) == [
        "<nil>: Invalid value: no such key: foo evaluating rule: self.foo > 0"]


def test_message_expression_reason_and_field_path():
    schema = obj_schema([{
        "rule": "self.x <= self.maxLimit", "reason": "FieldValueForbidden",
        "fieldPath": ".x",
        "messageExpression": "'x exceeded max limit of ' + string(self.maxLimit)",
    }], x=INT, maxLimit=INT)
    root = {"type": "object", "properties": {"spec": schema}}
    found = cel.validate(root, {"spec": {"x": 9, "maxLimit": 5}})
    assert found == [{"reason": "FieldValueForbidden", "field": "spec.x",
                      "message": "Forbidden: x exceeded max limit of 5"}]


def test_a_failing_message_expression_falls_back_to_message():
    schema = obj_schema([{"rule": "false", "message": "static", "messageExpression": "self.nope"}],
                        a=INT)
    assert messages(schema, {"a": 1}) == ["<nil>: Invalid value: static"]


def test_required_and_duplicate_reasons():
    schema = obj_schema([{"rule": "false", "reason": "FieldValueRequired", "message": "need it"},
                         {"rule": "false", "reason": "FieldValueDuplicate"}], a=INT)
    assert messages(schema, {"a": 1}) == ["<nil>: Required value: need it",
                                          "<nil>: Duplicate value"]


IMMUTABLE = {"type": "string", "x-kubernetes-validations": [
    {"rule": "self == oldSelf", "message": "Value is immutable"}]}


def test_transition_rules_skip_on_create_and_hold_on_update():
    root = {"type": "object", "properties": {"spec": {"type": "object",
                                                      "properties": {"project": IMMUTABLE}}}}
    assert messages(root, {"spec": {"project": "a"}}) == []
    assert messages(root, {"spec": {"project": "a"}}, {"spec": {"project": "a"}}) == []
    assert messages(root, {"spec": {"project": "b"}}, {"spec": {"project": "a"}}) == [
        'spec.project: Invalid value: "b": Value is immutable']


def test_transition_rules_skip_when_the_old_value_is_absent_at_that_path():
    root = {"type": "object", "properties": {"spec": {"type": "object",
                                                      "properties": {"project": IMMUTABLE}}}}
    assert messages(root, {"spec": {"project": "b"}}, {"spec": {}}) == []


def test_optional_old_self_evaluates_on_create_too():
    rule = {"rule": "!oldSelf.hasValue() || self >= oldSelf.value()", "optionalOldSelf": True,
            "message": "may only grow"}
    root = {"type": "object", "properties": {"n": {"type": "integer",
                                                   "x-kubernetes-validations": [rule]}}}
    assert messages(root, {"n": 1}) == []
    assert messages(root, {"n": 1}, {"n": 2}) == ["n: Invalid value: 1: may only grow"]
    creation_only = {"rule": "oldSelf.hasValue() || self < 10", "optionalOldSelf": True}
    root["properties"]["n"]["x-kubernetes-validations"] = [creation_only]
    assert messages(root, {"n": 11}) == [
        "n: Invalid value: 11: failed rule: oldSelf.hasValue() || self < 10"]


def test_old_self_correlates_list_map_items_by_key_only():
    item = {"type": "object", "properties": {"name": STR, "size": INT},
            "x-kubernetes-validations": [{"rule": "self.size >= oldSelf.size",
                                          "message": "cannot shrink"}]}
    as_map = {"type": "array", "items": item, "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["name"]}
    root = {"type": "object", "properties": {"disks": as_map}}
    old = {"disks": [{"name": "a", "size": 5}, {"name": "b", "size": 5}]}
    assert messages(root, {"disks": [{"name": "b", "size": 4}, {"name": "a", "size": 5}]}, old) \
        == ["disks[0]: Invalid value: cannot shrink"]
    atomic = {**root, "properties": {"disks": {"type": "array", "items": item}}}
    assert messages(atomic, {"disks": [{"name": "a", "size": 1}]}, old) == []


def test_unchanged_values_ratchet():
    schema = obj_schema([{"rule": "self.a < 5"}], a=INT)
    assert messages(schema, {"a": 9}, {"a": 9}) == []
    assert messages(schema, {"a": 10}, {"a": 9}) == [
        "<nil>: Invalid value: failed rule: self.a < 5"]


def test_root_rules_see_metadata_name_and_kubernetes_libraries():
    root = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "prefix": STR, "tags": {"type": "array", "items": STR}}}},
        "x-kubernetes-validations": [
            {"rule": "self.metadata.name.startsWith(self.spec.prefix)"},
            {"rule": "self.spec.tags.isSorted() && self.spec.prefix.lowerAscii() == 'ab'"},
            {"rule": "self.metadata.name.split('-').size() == 2"}]}
    body = {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "ab-1", "uid": "u"},
            "spec": {"prefix": "ab", "tags": ["a", "b"]}}
    assert messages(root, body) == []
    body["metadata"]["name"] = "zz-1-2"
    assert len(messages(root, body)) == 2


def test_escaped_property_names():
    assert [escape(n) for n in ("namespace", "x-prop", "redact__d", "a.b/c", "9x")] == [
        "__namespace__", "x__dash__prop", "redact__underscores__d", "a__dot__b__slash__c", None]
    schema = obj_schema([{"rule": "self.x__dash__prop > 0 && self.__namespace__ > 0"}],
                        **{"x-prop": INT, "namespace": INT})
    assert messages(schema, {"x-prop": 1, "namespace": 1}) == []


def test_go_durations():
    assert parse_duration("1h30m").total_seconds() == 5400
    assert parse_duration("300ms").total_seconds() == 0.3
    assert parse_duration("1x") is None


def crd_with(rule: dict[str, Any]) -> dict[str, Any]:
    spec = {"type": "object", "x-kubernetes-validations": [rule],
            "properties": {"replicas": INT, "minReplicas": INT, "project": IMMUTABLE}}
    status = {"type": "object", "properties": {"phase": {
        "type": "string", "x-kubernetes-validations": [
            {"rule": "oldSelf != 'Done' || self == 'Done'",
             "message": "a finished widget stays finished"}]}}}
    schema = {"type": "object", "properties": {"spec": spec, "status": status}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": schema}}]}}


REPLICAS_RULE = {"rule": "self.minReplicas <= self.replicas",
                 "message": "replicas should be greater than or equal to minReplicas."}


@pytest.fixture
def widgets():
    cluster = Cluster()
    crds = cluster.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    cluster.create(crds, "", crd_with(REPLICAS_RULE))
    return cluster, cluster.resource("example.com", "v1", "widgets")


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"replicas": 2, "minReplicas": 1, **spec}}


def test_the_server_refuses_a_create_with_the_real_wording(widgets):
    cluster, resource = widgets
    with pytest.raises(ApiError) as raised:
        cluster.create(resource, "default", widget(replicas=0))
    assert raised.value.code == 422
    assert raised.value.message == ('Widget.example.com "w" is invalid: spec: Invalid value: '
                                    'replicas should be greater than or equal to minReplicas.')
    assert raised.value.details["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec",
        "message": "Invalid value: replicas should be greater than or equal to minReplicas."}]


def test_update_patch_and_status_run_the_rules(widgets):
    cluster, resource = widgets
    created = cluster.create(resource, "default", widget(project="a"))
    with pytest.raises(ApiError, match='spec.project: Invalid value: "b": Value is immutable'):
        cluster.patch(resource, "default", "w", {"spec": {"project": "b"}}, patching.MERGE)
    replaced = {**created, "spec": {**created["spec"], "replicas": 0}}
    with pytest.raises(ApiError, match="replicas should be greater"):
        cluster.replace(resource, "default", "w", replaced)
    cluster.patch(resource, "default", "w", {"status": {"phase": "Done"}}, patching.MERGE,
                  subresource="status")
    with pytest.raises(ApiError, match='status.phase: Invalid value: "Running": a finished'):
        cluster.patch(resource, "default", "w", {"status": {"phase": "Running"}},
                      patching.MERGE, subresource="status")
    assert cluster.get(resource, "default", "w")["status"] == {"phase": "Done"}


def test_a_crd_whose_rule_does_not_compile_is_refused():
    cluster = Cluster()
    crds = cluster.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    with pytest.raises(ApiError) as raised:
        cluster.create(crds, "", crd_with({"rule": "self.replicas >"}))
    cause = raised.value.details["causes"][0]
    assert cause["field"] == ("spec.versions[0].schema.openAPIV3Schema.properties[spec]"
                              ".x-kubernetes-validations[0].rule")
    assert cause["message"].startswith(
        'Invalid value: apiextensions.ValidationRule{Rule:"self.replicas >", Message:""}: '
        "compilation failed: ERROR: <input>:1:16: Syntax error")
