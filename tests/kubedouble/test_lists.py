"""Listing: label and field selectors, pages, tables and metadata-only lists."""

from __future__ import annotations

from kubernetes import client

from tests.kubedouble.helpers import KSR, http, ksr_path, pipeline_run


def _names(items):
    return sorted(i["metadata"]["name"] for i in items)


def _seed(custom):
    for name, labels in (("a", {"tier": "x", "app": "k"}), ("b", {"tier": "y"}),
                         ("c", {"app": "k"})):
        custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2],
                                               pipeline_run(name, labels=labels))


def test_label_selectors_equality_and_sets(kube_client):
    custom = client.CustomObjectsApi(kube_client)
    _seed(custom)

    def select(selector):
        return _names(custom.list_namespaced_custom_object(
            *KSR[:2], "kubeshowcase", KSR[2], label_selector=selector)["items"])
    assert select("app=k") == ["a", "c"]
    assert select("tier in (x,y)") == ["a", "b"]
    assert select("tier notin (x)") == ["b", "c"]
    assert select("tier,!app") == ["b"]
    assert select("app!=k") == ["b"]


def test_field_selectors(apiserver, kube_client):
    custom = client.CustomObjectsApi(kube_client)
    _seed(custom)
    items = custom.list_cluster_custom_object(*KSR, field_selector="metadata.name=b")["items"]
    assert _names(items) == ["b"]
    items = custom.list_cluster_custom_object(
        *KSR, field_selector="metadata.namespace!=kubeshowcase")["items"]
    assert items == []
    response = http(apiserver, "GET", ksr_path() + "?fieldSelector=spec.owner%3Dalice")
    assert response.status_code == 400
    assert response.json()["message"] == "field label not supported: spec.owner"


def test_event_field_selectors_as_kubectl_describe_uses_them(kube_client):
    core = client.CoreV1Api(kube_client)
    for name, kind in (("run-1", "PipelineRun"), ("run-2", "PipelineRun"), ("run-1", "Job")):
        core.create_namespaced_event("kubeshowcase", {
            "metadata": {"generateName": f"{name}-"}, "reason": "Seen", "message": kind,
            "involvedObject": {"kind": kind, "name": name, "namespace": "kubeshowcase"}})
    found = core.list_namespaced_event(
        "kubeshowcase", field_selector="involvedObject.name=run-1,involvedObject.kind=Job")
    assert [e.message for e in found.items] == ["Job"]


def test_pages_and_cluster_wide_lists(apiserver, kube_client):
    custom = client.CustomObjectsApi(kube_client)
    _seed(custom)
    first = custom.list_cluster_custom_object(*KSR, limit=2)
    assert _names(first["items"]) == ["a", "b"]
    assert first["metadata"]["remainingItemCount"] == 1
    rest = custom.list_cluster_custom_object(*KSR, limit=2,
                                             _continue=first["metadata"]["continue"])
    assert _names(rest["items"]) == ["c"] and "continue" not in rest["metadata"]


def test_tables_render_printer_columns(apiserver, kube_client):
    custom = client.CustomObjectsApi(kube_client)
    custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2],
                                           pipeline_run("run-1"))
    custom.patch_namespaced_custom_object_status(
        *KSR[:2], "kubeshowcase", KSR[2], "run-1",
        {"status": {"phase": "Running", "queuePosition": 2, "jobName": "j"}})
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = http(apiserver, "GET", ksr_path(), headers={"Accept": accept}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns[:3] == [("Name", 0), ("Phase", 0), ("Pipeline", 0)]
    assert ("Job", 1) in columns
    cells = dict(zip([c[0] for c in columns], table["rows"][0]["cells"]))
    assert cells["Position"] == 2 and cells["Duration"] is None
    assert cells["Age"].endswith("s")  # dates render as ages, as the real server does
    row_object = table["rows"][0]["object"]
    assert row_object["kind"] == "PartialObjectMetadata"
    assert row_object["metadata"]["name"] == "run-1"
    full = http(apiserver, "GET", ksr_path() + "?includeObject=Object",
                headers={"Accept": accept}).json()
    assert full["rows"][0]["object"]["spec"]["owner"] == "alice"
    jobs = http(apiserver, "GET", "/apis/batch/v1/namespaces/kubeshowcase/jobs",
                headers={"Accept": accept}).json()
    assert [c["name"] for c in jobs["columnDefinitions"]][:5] == \
        ["Name", "Status", "Completions", "Duration", "Age"]
    metadata_only = http(apiserver, "GET", ksr_path(), headers={
        "Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"}).json()
    assert metadata_only["kind"] == "PartialObjectMetadataList"
    assert "spec" not in metadata_only["items"][0]


def test_bad_input_gets_a_clear_400(apiserver):
    response = http(apiserver, "GET", ksr_path() + "?limit=lots")
    assert response.status_code == 400
    assert response.json()["message"] == "limit: invalid value 'lots': must be an integer"
    response = http(apiserver, "POST", ksr_path(), data=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["reason"] == "BadRequest"
    response = http(apiserver, "POST", ksr_path(), data=b"kind: PipelineRun\nmetadata: {name: y}\n"
                    b"spec: {pipeline: p, owner: o, project: o/q}\n",
                    headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201 and response.json()["metadata"]["name"] == "y"
