"""The .proto parser and the protobuf body decoder, on bodies built with the vendored schema."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kubedouble import errors, protobuf, protodecode, protoschema
from kubedouble.resources import BUILTINS
from tests.kubedouble.protobuf_bodies import delimited, encode, enveloped, tag, varint

SCHEMA = protoschema.vendored()


def _decode(obj: dict) -> dict:
    return protodecode.decode_object(SCHEMA, encode(obj))


# The parser --------------------------------------------------------------------------------
PROTO = """
// Comments go.
syntax = "proto2";
package demo.v1;
import "other.proto";
option go_package = "demo/v1";

/* A block
   comment. */
message Outer {
  message Inner { optional string name = 1; }
  optional Inner inner = 1;
  repeated .demo.v1.Outer.Inner many = 2;
  map<string, Inner> byName = 3;
  optional int64 count = 4 [default = 0];
}
"""


def test_the_parser_reads_the_proto2_subset_go_to_protobuf_writes(tmp_path: Path):
    path = tmp_path / "demo.proto"
    path.write_text(PROTO)
    outer = protoschema.parse_files([path]).messages["demo.v1.Outer"]
    assert [(f.name, f.number, f.type, f.repeated, f.map_key) for f in outer.fields.values()] == [
        ("inner", 1, "demo.v1.Outer.Inner", False, None),
        ("many", 2, "demo.v1.Outer.Inner", True, None),
        ("byName", 3, "demo.v1.Outer.Inner", False, "string"),
        ("count", 4, "int64", False, None)]


@pytest.mark.parametrize("text, problem", [
    ("package a; message M { optional Missing m = 1; }", "unknown type 'Missing'"),
    ("package a; enum E { A = 0; }", "unsupported statement 'enum'"),
    ("package a; message M { optional string s = 1 }", "expected ';', found '}'"),
    ("package a; message M { optional string s = 1;", "unexpected end of file"),
])
def test_the_parser_refuses_what_it_does_not_know(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "bad.proto"
    path.write_text(text)
    with pytest.raises(protoschema.ProtoSyntaxError, match=problem):
        protoschema.parse_files([path])


def test_every_builtin_kind_of_the_double_has_a_vendored_message():
    """But CustomResourceDefinitions: their schema (JSONSchemaProps) has JSON forms of its own
    and lives in k8s.io/apiextensions-apiserver; kubectl and helm send them as JSON."""
    missing = [r.kind_group for r in BUILTINS if not r.custom
               and protodecode.message_for(SCHEMA, r.api_version, r.kind) is None]
    assert missing == ["CustomResourceDefinition.apiextensions.k8s.io"], (
        "vendor their groups: tools/vendor_protos.py API_GROUPS")


# Round trips -------------------------------------------------------------------------------
SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/basic-auth",
          "metadata": {"name": "db", "namespace": "ns", "labels": {"app": "web"},
                       "annotations": {"note": "ünïcode"}},
          "data": {"password": base64.b64encode(bytes(range(256))).decode(), "empty": ""},
          "stringData": {"username": "admin"}, "immutable": False}

POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "creationTimestamp": "2026-01-02T03:04:05Z",
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                      "name": "web-1", "uid": "u-1", "controller": True,
                                      "blockOwnerDeletion": True}],
                 "managedFields": [{"manager": "kubectl", "operation": "Update",
                                    "apiVersion": "v1", "time": "2026-01-02T03:04:05Z",
                                    "fieldsType": "FieldsV1",
                                    "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]},
    "spec": {
        "containers": [{
            "name": "app", "image": "python:3.11", "command": ["python", "-m", "http.server"],
            "ports": [{"containerPort": 8000, "protocol": "TCP"}],
            "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": "db", "key": "password", "optional": False}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                          "requests": {"cpu": "0.1", "nvidia.com/gpu": "1"}},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"},
                               "periodSeconds": 5},
            "livenessProbe": {"tcpSocket": {"port": 8000}, "failureThreshold": 3},
            "securityContext": {"runAsUser": 0, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
        }],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        "terminationGracePeriodSeconds": 0, "automountServiceAccountToken": False,
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule",
                         "tolerationSeconds": -1}],
    },
    "status": {"phase": "Running", "startTime": "2026-01-02T03:04:06Z",
               "conditions": [{"type": "Ready", "status": "True",
                               "lastTransitionTime": "2026-01-02T03:04:07Z"}]},
}

JOB = {
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "run-1", "generateName": "run-"},
    "spec": {"backoffLimit": 0, "parallelism": 1, "suspend": False, "activeDeadlineSeconds": 60,
             "ttlSecondsAfterFinished": 0,
             "podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {
                 "operator": "In", "values": [3, 4]}}]},
             "template": {"metadata": {"labels": {"app": "run"}},
                          "spec": {"restartPolicy": "Never",
                                   "containers": [{"name": "main", "image": "busybox:1.36",
                                                   "args": ["true"]}]}}},
}

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                       "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                           "maxUnavailable": 0, "maxSurge": "25%"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "x"}]}}}}


# Subresources' kinds: pods/eviction and deployments/scale
EVICTION = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web"},
            "deleteOptions": {"gracePeriodSeconds": 5, "dryRun": ["All"]}}
SCALE = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"},
         "spec": {"replicas": 3}, "status": {"replicas": 1, "selector": "app=web"}}


@pytest.mark.parametrize("obj", [SECRET, POD, JOB, DEPLOYMENT, EVICTION, SCALE],
                         ids=["secret", "pod", "job", "deployment", "eviction", "scale"])
def test_an_object_sent_as_protobuf_reads_as_its_json(obj: dict):
    assert _decode(obj) == obj


def test_the_special_types_take_their_json_forms():
    pod = _decode(POD)
    container = pod["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}  # Quantity
    assert container["readinessProbe"]["httpGet"]["port"] == "http"  # IntOrString, string
    assert container["livenessProbe"]["tcpSocket"]["port"] == 8000  # IntOrString, int
    assert pod["status"]["startTime"] == "2026-01-02T03:04:06Z"  # Time
    assert pod["metadata"]["managedFields"][0]["fieldsV1"] == {  # FieldsV1: its raw JSON
        "f:metadata": {"f:labels": {".": {}}}}
    assert pod["spec"]["tolerations"][0]["tolerationSeconds"] == -1  # negative int64
    assert base64.b64decode(_decode(SECRET)["data"]["password"]) == bytes(range(256))


def test_time_drops_its_nanoseconds_and_micro_time_keeps_microseconds():
    time = tag(1, 0) + varint(1767323045) + tag(2, 0) + varint(123456789)
    event = (delimited(1, delimited(1, b"e")) + delimited(2, time)  # eventTime: MicroTime
             + delimited(13, time))  # deprecatedFirstTimestamp: Time
    decoded = protodecode.decode_object(SCHEMA, enveloped("events.k8s.io/v1", "Event", event))
    assert decoded["eventTime"] == "2026-01-02T03:04:05.123456Z"
    assert decoded["deprecatedFirstTimestamp"] == "2026-01-02T03:04:05Z"


@pytest.mark.parametrize("nanos, text", [
    (0, "0s"), (1, "1ns"), (1500, "1.5µs"), (2_000_000, "2ms"), (1_500_000_000, "1.5s"),
    (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (-(5 * 10**9), "-5s"),
    (3723_456_000_000, "1h2m3.456s"),
])
def test_durations_read_as_go_writes_them(nanos: int, text: str):
    assert protodecode.go_duration(nanos) == text


def test_a_raw_extension_holds_json_and_user_extra_values_are_lists():
    extra = delimited(1, b"scope") + delimited(2, delimited(1, b"a") + delimited(1, b"b"))
    user = delimited(1, b"alice") + delimited(4, extra)  # UserInfo: username, extra
    status = tag(1, 0) + varint(1) + delimited(2, user)  # authenticated, user
    review = delimited(2, delimited(1, b"token")) + delimited(3, status)
    decoded = protodecode.decode_object(SCHEMA, enveloped("authentication.k8s.io/v1",
                                                          "TokenReview", review))
    assert decoded["status"] == {"authenticated": True,
                                 "user": {"username": "alice", "extra": {"scope": ["a", "b"]}}}
    sts = json.dumps({"apiVersion": "v1", "kind": "Pod"}).encode()
    revision = delimited(1, delimited(1, b"r1")) + delimited(2, delimited(1, sts)) \
        + tag(3, 0) + varint(2)
    decoded = protodecode.decode_object(SCHEMA, enveloped("apps/v1", "ControllerRevision",
                                                          revision))
    assert decoded["data"] == {"apiVersion": "v1", "kind": "Pod"} and decoded["revision"] == 2


def test_json_names_differ_from_proto_names_where_go_tags_say_so():
    bound = delimited(1, b"Pod") + delimited(3, b"web") + delimited(4, b"u-1")  # uID = 4
    request = delimited(2, delimited(1, b"api") + delimited(3, bound))
    decoded = protodecode.decode_object(SCHEMA, enveloped("authentication.k8s.io/v1",
                                                          "TokenRequest", request))
    assert decoded["spec"]["boundObjectRef"] == {"kind": "Pod", "name": "web", "uid": "u-1"}


def test_zero_values_show_as_go_writes_them():
    """Go sends every value field, zeros included; its JSON leaves out `omitempty` zeros and
    keeps pointers' (replicas: 0) and non-omitempty ones (containerPort)."""
    meta = (delimited(1, b"web") + delimited(2, b"") + delimited(3, b"") + delimited(5, b"")
            + tag(7, 0) + varint(0) + delimited(8, b""))  # generateName .. creationTimestamp
    spec = tag(1, 0) + varint(0)  # replicas (*int32)
    decoded = protodecode.decode_object(SCHEMA, enveloped("apps/v1", "Deployment",
                                                          delimited(1, meta) + delimited(2, spec)))
    assert decoded == {"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "web"}, "spec": {"replicas": 0}}
    port = delimited(1, b"") + tag(3, 0) + varint(0)  # name "", containerPort 0
    container = delimited(1, b"c") + delimited(6, port)
    pod = delimited(2, delimited(2, container))
    decoded = protodecode.decode_object(SCHEMA, enveloped("v1", "Pod", pod))
    assert decoded["spec"]["containers"] == [{"name": "c", "ports": [{"containerPort": 0}]}]


def test_fields_the_schema_does_not_know_are_skipped_as_skipgenerated_does():
    config = delimited(1, delimited(1, b"cm")) + delimited(99, b"future") + tag(98, 0) + varint(7)
    decoded = protodecode.decode_object(SCHEMA, enveloped("v1", "ConfigMap", config))
    assert decoded == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}


# Refusals ----------------------------------------------------------------------------------
CM = ("v1", "ConfigMap")


@pytest.mark.parametrize("body, message", [
    (b'{"kind": "ConfigMap"}', "the object provided is unrecognized (must be of type ConfigMap): "
                               "provided data does not appear to be a protobuf message, "
                               "expected prefix [107 56 115 0] (7b226b696e64223a2022436f6e666"),
    (b"k8s\x00", "the object provided is unrecognized (must be of type ConfigMap): empty body"),
    (b"k8s\x00\x0a\x05ab", "the object provided is unrecognized (must be of type ConfigMap): "
                           "unexpected EOF"),
    (enveloped("v1", "ConfigMap", tag(1, 0) + varint(3)),
     'ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: wrong wireType = 0 '
     "for field metadata"),
    (enveloped("v1", "ConfigMap", delimited(2, delimited(1, b"k") + delimited(2, b"\xff"))),
     'ConfigMap in version "v1" cannot be handled as a ConfigMap: invalid UTF-8'),
    (enveloped("v1", "ConfigMap", tag(1, 3)), "illegal wireType 3"),
])
def test_bytes_that_do_not_decode_are_a_bad_request(body: bytes, message: str):
    with pytest.raises(errors.ApiError) as raised:
        protobuf.decode(body, *CM)
    assert raised.value.code == 400 and message in raised.value.status()["message"]


def test_a_message_nested_too_deeply_is_a_bad_request():
    revision = b""  # a ControllerRevision's data (a RawExtension) holding one, 3000 times
    for _ in range(3000):
        revision = delimited(2, delimited(1, enveloped("apps/v1", "ControllerRevision",
                                                       revision)))
    with pytest.raises(errors.ApiError) as raised:
        protobuf.decode(enveloped("apps/v1", "ControllerRevision", revision), "apps/v1",
                        "ControllerRevision")
    assert raised.value.code == 400 and "nested too deeply" in raised.value.status()["message"]


def test_a_kind_without_a_message_is_an_unsupported_media_type():
    with pytest.raises(errors.ApiError) as raised:
        protobuf.decode(enveloped("kubeshowcase.io/v1alpha1", "PipelineRun", b""), *CM)
    assert raised.value.code == 415


def test_an_envelope_without_type_meta_takes_the_urls_kind():
    body = protodecode.MAGIC + delimited(2, delimited(1, delimited(1, b"cm")))
    assert protobuf.decode(body, *CM) == {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": "cm"}}


def test_a_protobuf_access_review_reads_as_its_json():
    attributes = {"namespace": "ns", "verb": "get", "resource": "pods", "subresource": "log"}
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": attributes}}
    assert protobuf.decode(encode(review), "authorization.k8s.io/v1",
                           "SelfSubjectAccessReview") == review
    rules = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
             "spec": {"namespace": "ns"}}
    assert protobuf.decode(encode(rules), "authorization.k8s.io/v1",
                           "SelfSubjectRulesReview") == rules


def test_delete_options_of_any_group_version_are_meta_v1s():
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Orphan",
               "gracePeriodSeconds": 0, "preconditions": {"uid": "u-1"}}
    assert protobuf.decode(encode(options), "meta.k8s.io/v1", "DeleteOptions") == options
