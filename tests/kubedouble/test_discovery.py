"""Discovery and OpenAPI, as Kopf, the kubernetes client and kubectl read them."""

from __future__ import annotations

from kubernetes import client

from tests.kubedouble.helpers import http, kubectl


def test_version_and_api_roots(apiserver, kube_client):
    info = client.VersionApi(kube_client).get_code()
    assert (info.major, info.minor) == ("1", "37")
    assert http(apiserver, "GET", "/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g for g in http(apiserver, "GET", "/apis").json()["groups"]}
    assert {"batch", "kubeshowcase.io", "kopf.dev", "coordination.k8s.io", "events.k8s.io",
            "apiextensions.k8s.io"} <= set(groups)
    assert groups["kubeshowcase.io"]["preferredVersion"]["version"] == "v1alpha1"


def test_resource_lists_carry_verbs_scope_names_and_subresources(apiserver):
    core = {r["name"]: r for r in http(apiserver, "GET", "/api/v1").json()["resources"]}
    assert core["namespaces"]["namespaced"] is False
    assert core["pods/log"]["kind"] == "Pod" and core["pods/log"]["verbs"] == ["get"]
    assert "watch" in core["events"]["verbs"]
    batch = {r["name"]: r for r in http(apiserver, "GET", "/apis/batch/v1").json()["resources"]}
    assert set(batch) == {"jobs", "jobs/status", "cronjobs", "cronjobs/status"}
    document = http(apiserver, "GET", "/apis/kubeshowcase.io/v1alpha1").json()
    assert document["groupVersion"] == "kubeshowcase.io/v1alpha1"
    runs = {r["name"]: r for r in document["resources"]}
    assert runs["pipelineruns"]["shortNames"] == ["ksr"]
    assert runs["pipelineruns"]["categories"] == ["kubeshowcase"]
    assert runs["pipelineruns"]["singularName"] == "pipelinerun"
    assert "pipelineruns/status" in runs and "pipelines/status" not in runs
    peering = {r["name"]: r for r in http(apiserver, "GET", "/apis/kopf.dev/v1").json()
               ["resources"]}
    assert peering["kopfpeerings"]["namespaced"] and not \
        peering["clusterkopfpeerings"]["namespaced"]


def test_kubectl_discovers_everything(kube_env):
    listing = kubectl(kube_env, "api-resources", "--no-headers").stdout
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert "ksr" in lines["pipelineruns"] and "kubeshowcase.io/v1alpha1" in lines["pipelineruns"]
    assert "ClusterKopfPeering" in lines["clusterkopfpeerings"]
    namespaces = kubectl(kube_env, "get", "namespaces", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system", "namespace/kubeshowcase"} <= \
        set(namespaces)


def test_openapi_v3_announces_field_validation(apiserver, kube_env):
    root = http(apiserver, "GET", "/openapi/v3").json()["paths"]
    url = root["apis/kubeshowcase.io/v1alpha1"]["serverRelativeURL"]
    document = http(apiserver, "GET", url).json()
    item = document["paths"]["/apis/kubeshowcase.io/v1alpha1/namespaces/{namespace}/"
                             "pipelineruns/{name}"]
    assert "fieldValidation" in [p["name"] for p in item["patch"]["parameters"]]
    explained = kubectl(kube_env, "explain", "pipelineruns.spec").stdout
    assert "project" in explained and "The project folder" in explained
