"""/openapi/v2 and /openapi/v3 as kubectl explain and apply read them.

From kubernetes.io "Extend the Kubernetes API with CustomResourceDefinitions" § Publish
Validation Schema in OpenAPI (v3 → v2: junctors dropped, nullable drops type/items/properties).
"""

from __future__ import annotations

from kubedouble.openapi import to_v2_schema
from tests.kubedouble.helpers import http, kubectl

RUN = "io.kubeshowcase.v1alpha1.PipelineRun"


def test_v2_publishes_crd_schemas_and_paths(apiserver):
    document = http(apiserver, "GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert document.status_code == 200
    body = document.json()
    assert body["swagger"] == "2.0"
    run = body["definitions"][RUN]
    assert run["x-kubernetes-group-version-kind"] == [
        {"group": "kubeshowcase.io", "version": "v1alpha1", "kind": "PipelineRun"}]
    assert "project" in run["properties"]["spec"]["properties"]
    path = body["paths"]["/apis/kubeshowcase.io/v1alpha1/namespaces/{namespace}/pipelineruns"]
    assert path["get"]["x-kubernetes-action"] == "list"
    assert "io.k8s.api.core.v1.ConfigMap" in body["definitions"]


def test_v2_is_json_only(apiserver):
    proto = http(apiserver, "GET", "/openapi/v2",
                 headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert proto.status_code == 406


def test_v3_lists_group_versions_and_serves_each(apiserver):
    root = http(apiserver, "GET", "/openapi/v3").json()
    url = root["paths"]["apis/kubeshowcase.io/v1alpha1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/kubeshowcase.io/v1alpha1?hash=")
    document = http(apiserver, "GET", url).json()
    assert RUN in document["components"]["schemas"]


def test_v2_conversion_drops_junctors_and_nullable_types():
    schema = {"type": "object", "properties": {
        "a": {"type": "string", "nullable": True},
        "b": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"},
                                                             {"type": "string"}]}}}
    assert to_v2_schema(schema) == {"type": "object", "properties": {
        "a": {}, "b": {"x-kubernetes-int-or-string": True}}}


def test_kubectl_explains_custom_resources(kube_env):
    explained = kubectl(kube_env, "explain", "pipelineruns.spec.project").stdout
    assert "KIND:       PipelineRun" in explained and "FIELD: project <string>" in explained
