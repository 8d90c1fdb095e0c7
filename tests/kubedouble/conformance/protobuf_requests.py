"""Request bodies in application/vnd.kubernetes.protobuf: built-in kinds read as their JSON,
custom resources and PATCH refused with 415, bytes that do not decode a 400."""

from __future__ import annotations

import base64

from tests.kubedouble.conformance import Row, Step
from tests.kubedouble.conformance.apiserver_strictness import config_map
from tests.kubedouble.protobuf_bodies import delimited, encode, enveloped, tag, varint

PROTOBUF = {"Content-Type": "application/vnd.kubernetes.protobuf"}
SERIALIZER = "k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go Serializer.Decode"
NEGOTIATION = ("k8s.io/apiserver/pkg/endpoints/handlers/negotiation/negotiate.go "
               "NegotiateInputSerializerForMediaType")
PATCH_TYPES = "k8s.io/apiserver/pkg/endpoints/installer.go (PATCH supportedTypes)"
CRD_SERIALIZERS = ("https://kubernetes.io/docs/reference/using-api/api-concepts/"
                   "#alternate-representations-of-resources (protobuf: built-in kinds only)")
DECODE_ERROR = "k8s.io/apiserver/pkg/endpoints/handlers/rest.go transformDecodeError"
SKIP_UNKNOWN = "k8s.io/api/core/v1/generated.pb.go (Unmarshal: default: skipGenerated)"
DELETE_BODY = "k8s.io/apiserver/pkg/endpoints/handlers/delete.go (DeleteOptions body)"
TOKEN_REQUEST = "pkg/registry/core/serviceaccount/storage/token.go"
ACCESS_REVIEW = "pkg/registry/authorization/selfsubjectaccessreview/rest.go"

NS = "/api/v1/namespaces/{ns}"
CM, SECRETS, PODS = f"{NS}/configmaps", f"{NS}/secrets", f"{NS}/pods"
JOBS = "/apis/batch/v1/namespaces/{ns}/jobs"
RUNS = "/apis/kubeshowcase.io/v1alpha1/namespaces/{ns}/pipelineruns"
BUILTIN_TYPES = ("the body of the request was in an unknown format - accepted media types "
                 "include: application/json, application/yaml, "
                 "application/vnd.kubernetes.protobuf")


def _pod() -> bytes:
    return encode({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "30"],
                        "resources": {"limits": {"cpu": "250m", "memory": "64Mi"}},
                        "readinessProbe": {"tcpSocket": {"port": 8080}},
                        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "ports": [{"name": "http", "containerPort": 8080}]}]}})


ROWS = [
    Row("a protobuf ConfigMap is created", "POST", CM, SERIALIZER, 201, headers=PROTOBUF,
        body=encode(config_map(data={"mode": "fast"})),
        fields={"kind": "ConfigMap", "metadata.name": "cfg", "data": {"mode": "fast"}},
        absent=('"generateName"', '"generation"'),  # Go's zero values, left out as in JSON
        then=(Step("GET", f"{CM}/cfg", contains=('"mode":"fast"',)),)),
    Row("a protobuf Secret keeps its bytes", "POST", SECRETS, SERIALIZER, 201, headers=PROTOBUF,
        body=encode({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                     "data": {"key": base64.b64encode(b"\x00\xff").decode()}}),
        fields={"data.key": "AP8=", "type": "Opaque"}),
    Row("a protobuf Pod keeps Quantities and IntOrStrings", "POST", PODS, SERIALIZER, 201,
        headers=PROTOBUF, body=_pod(),
        fields={"spec.containers.0.resources.limits.cpu": "250m",
                "spec.containers.0.readinessProbe.tcpSocket.port": 8080,
                "spec.containers.0.livenessProbe.httpGet.port": "http",
                "spec.containers.0.imagePullPolicy": "IfNotPresent"}),
    Row("a protobuf Job keeps a pointer's zero (backoffLimit 0, not the default 6)", "POST",
        JOBS, SERIALIZER, 201, headers=PROTOBUF,
        body=encode({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                     "spec": {"backoffLimit": 0, "suspend": True, "template": {"spec": {
                         "restartPolicy": "Never",
                         "containers": [{"name": "c", "image": "busybox:1.36",
                                         "command": ["true"]}]}}}}),
        fields={"spec.backoffLimit": 0, "spec.suspend": True, "spec.completions": 1}),
    Row("a protobuf object is validated as a JSON one", "POST", CM, SERIALIZER, 422,
        headers=PROTOBUF, body=encode(config_map("Bad_Name")),
        fields={"reason": "Invalid", "details.causes.0.field": "metadata.name"}),
    Row("a protobuf PUT replaces", "PUT", f"{CM}/cfg", SERIALIZER, 200, headers=PROTOBUF,
        setup=(Step("POST", CM, config_map(data={"a": "1"})),),
        body=encode(config_map(data={"a": "2"})), fields={"data": {"a": "2"}}),
    Row("an envelope without typeMeta takes the URL's kind", "POST", CM, SERIALIZER, 201,
        headers=PROTOBUF,
        body=b"k8s\x00" + delimited(2, delimited(1, delimited(1, b"bare"))),
        fields={"kind": "ConfigMap", "metadata.name": "bare"}),
    Row("fields protobuf does not know are skipped", "POST", CM, SKIP_UNKNOWN, 201,
        headers=PROTOBUF,
        body=enveloped("v1", "ConfigMap", delimited(1, delimited(1, b"later"))
                       + delimited(99, b"a field of a later version")),
        fields={"metadata.name": "later"}),
    Row("a protobuf custom resource is refused", "POST", RUNS, CRD_SERIALIZERS, 415,
        headers=PROTOBUF, body=enveloped("kubeshowcase.io/v1alpha1", "PipelineRun", b""),
        fields={"reason": "UnsupportedMediaType",
                "message": "the body of the request was in an unknown format - accepted media "
                           "types include: application/json, application/yaml"}),
    Row("protobuf is no patch type", "PATCH", f"{CM}/cfg", PATCH_TYPES, 415, headers=PROTOBUF,
        setup=(Step("POST", CM, config_map()),), body=encode(config_map()),
        fields={"reason": "UnsupportedMediaType",
                "message": "the body of the request was in an unknown format - accepted media "
                           "types include: application/json-patch+json, "
                           "application/merge-patch+json, "
                           "application/strategic-merge-patch+json, "
                           "application/apply-patch+yaml"}),
    Row("a built-in kind lists protobuf among its media types", "POST", CM, NEGOTIATION, 415,
        headers={"Content-Type": "application/cbor"}, body=b"\xa0",
        fields={"message": BUILTIN_TYPES}),
    Row("bytes without the protobuf prefix are a bad request", "POST", CM, DECODE_ERROR, 400,
        headers=PROTOBUF, body=b'{"kind": "ConfigMap"}',
        fields={"reason": "BadRequest"},
        contains=("the object provided is unrecognized (must be of type ConfigMap): provided "
                  "data does not appear to be a protobuf message, expected prefix "
                  "[107 56 115 0]",)),
    Row("a message that does not decode is a bad request", "POST", CM, DECODE_ERROR, 400,
        headers=PROTOBUF, body=enveloped("v1", "ConfigMap", tag(1, 0) + varint(1)),
        fields={"reason": "BadRequest"},
        contains=('ConfigMap in version \\"v1\\" cannot be handled as a ConfigMap: ',)),
    Row("protobuf DeleteOptions are honoured", "DELETE", f"{CM}/cfg", DELETE_BODY, 409,
        headers=PROTOBUF, setup=(Step("POST", CM, config_map()),),
        body=encode({"apiVersion": "v1", "kind": "DeleteOptions",
                     "preconditions": {"uid": "0000"}}),
        fields={"reason": "Conflict"}, contains=("Precondition failed: UID in precondition: "
                                                 "0000",),
        then=(Step("GET", f"{CM}/cfg"),)),
    Row("a protobuf TokenRequest is read", "POST", f"{NS}/serviceaccounts/robot/token",
        TOKEN_REQUEST, 201, headers=PROTOBUF,
        setup=(Step("POST", f"{NS}/serviceaccounts", {"metadata": {"name": "robot"}}),),
        body=encode({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                     "spec": {"audiences": ["https://a.example"], "expirationSeconds": 900}}),
        fields={"spec.audiences": ["https://a.example"], "spec.expirationSeconds": 900}),
    Row("a protobuf SelfSubjectAccessReview is read", "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ACCESS_REVIEW, 201,
        headers=PROTOBUF,
        body=encode({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                     "spec": {"resourceAttributes": {"verb": "delete", "resource": "nodes"}}}),
        fields={"status.allowed": True, "spec.resourceAttributes.resource": "nodes"}),
]
