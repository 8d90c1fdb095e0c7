"""Create, read, update, patch over HTTP with the official client, and the real server's errors."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.kubedouble.helpers import KSR, http, job, ksr_path, pipeline_run


@pytest.fixture
def custom(kube_client):
    return client.CustomObjectsApi(kube_client)


def _create(custom, body, namespace="kubeshowcase"):
    return custom.create_namespaced_custom_object(*KSR[:2], namespace, KSR[2], body)


def test_it_creates_and_reads_with_server_fields(custom):
    created = _create(custom, pipeline_run("run-1"))
    meta = created["metadata"]
    assert created["kind"] == "PipelineRun"
    assert created["apiVersion"] == "kubeshowcase.io/v1alpha1"
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1 and int(meta["resourceVersion"]) > 0
    fetched = custom.get_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], "run-1")
    assert fetched == created
    listed = custom.list_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2])
    assert listed["kind"] == "PipelineRunList" and listed["apiVersion"] == created["apiVersion"]
    assert int(listed["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"])
    assert [i["metadata"]["name"] for i in listed["items"]] == ["run-1"]


def test_it_generates_names(custom):
    names = {_create(custom, pipeline_run(generate="run-"))["metadata"]["name"]
             for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert name.startswith("run-") and len(name) == len("run-") + 5


def test_it_answers_status_objects_for_missing_and_duplicate(apiserver, custom):
    response = http(apiserver, "GET", ksr_path(name="nope"))
    assert response.status_code == 404
    assert response.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pipelineruns.kubeshowcase.io "nope" not found', "reason": "NotFound",
        "details": {"name": "nope", "group": "kubeshowcase.io", "kind": "pipelineruns"},
        "code": 404}
    _create(custom, pipeline_run("run-1"))
    with pytest.raises(ApiException) as duplicate:
        _create(custom, pipeline_run("run-1"))
    assert duplicate.value.status == 409
    assert '"reason":"AlreadyExists"' in duplicate.value.body.replace(" ", "")
    with pytest.raises(ApiException) as no_namespace:
        _create(custom, pipeline_run("run-1"), namespace="missing")
    assert no_namespace.value.status == 404
    assert 'namespaces \\"missing\\" not found' in no_namespace.value.body


def test_it_rejects_stale_resource_versions(custom):
    created = _create(custom, pipeline_run("run-1"))
    stale = dict(created, spec={**created["spec"], "cancelRequested": True})
    custom.replace_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], "run-1", stale)
    with pytest.raises(ApiException) as put:
        custom.replace_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], "run-1", stale)
    assert put.value.status == 409 and "the object has been modified" in put.value.body
    with pytest.raises(ApiException) as patch:
        custom.patch_namespaced_custom_object(
            *KSR[:2], "kubeshowcase", KSR[2], "run-1",
            {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
             "spec": {"cancelRequested": False}})
    assert patch.value.status == 409
    without_rv = dict(stale)
    without_rv["metadata"] = {k: v for k, v in stale["metadata"].items()
                              if k != "resourceVersion"}
    with pytest.raises(ApiException) as unconditional:
        custom.replace_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], "run-1",
                                                without_rv)
    assert unconditional.value.status == 422


def test_merge_and_json_patches(apiserver, custom):
    _create(custom, pipeline_run("run-1", labels={"a": "1"}))
    merged = custom.patch_namespaced_custom_object(
        *KSR[:2], "kubeshowcase", KSR[2], "run-1",
        {"metadata": {"labels": {"a": None, "b": "2"}}})
    assert merged["metadata"]["labels"] == {"b": "2"}
    assert merged["metadata"]["generation"] == 1  # metadata changes keep the generation
    rv = merged["metadata"]["resourceVersion"]
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
           {"op": "add", "path": "/metadata/finalizers", "value": ["kubeshowcase.io/x"]}]
    headers = {"Content-Type": "application/json-patch+json"}
    response = http(apiserver, "PATCH", ksr_path(name="run-1"), json=ops, headers=headers)
    assert response.status_code == 200
    assert response.json()["metadata"]["finalizers"] == ["kubeshowcase.io/x"]
    response = http(apiserver, "PATCH", ksr_path(name="run-1"), json=ops, headers=headers)
    assert response.status_code == 422  # rv moved on: the test op fails, as Kopf expects
    assert response.json()["kind"] == "Status"
    response = http(apiserver, "PATCH", ksr_path(name="run-1"), json={"spec": {}},
                    headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert response.status_code == 415  # no strategic merge for custom resources


def test_status_is_a_subresource_and_generation_tracks_spec(custom):
    _create(custom, {**pipeline_run("run-1"), "status": {"phase": "Running"}})
    args = (*KSR[:2], "kubeshowcase", KSR[2], "run-1")
    fetched = custom.get_namespaced_custom_object(*args)
    assert "status" not in fetched  # create drops status
    main = custom.patch_namespaced_custom_object(*args, {"status": {"phase": "Queued"}})
    assert "status" not in main and main["metadata"]["resourceVersion"] == \
        fetched["metadata"]["resourceVersion"]  # a no-op write changes nothing
    status = custom.patch_namespaced_custom_object_status(*args, {"status": {"phase": "Queued"},
                                                                  "spec": {"owner": "bob"}})
    assert status["status"] == {"phase": "Queued"} and status["spec"]["owner"] == "alice"
    assert status["metadata"]["generation"] == 1
    spec = custom.patch_namespaced_custom_object(*args, {"spec": {"cancelRequested": True}})
    assert spec["metadata"]["generation"] == 2 and spec["status"] == {"phase": "Queued"}
    replaced = custom.replace_namespaced_custom_object_status(
        *args, {**spec, "status": {"phase": "Cancelled"}})
    assert replaced["status"] == {"phase": "Cancelled"}
    assert replaced["metadata"]["generation"] == 2


def test_schema_validation_names_the_field(apiserver, custom):
    with pytest.raises(ApiException) as problem:
        _create(custom, pipeline_run("run-1", project="../etc"))
    assert problem.value.status == 422
    status = __import__("json").loads(problem.value.body)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "spec.project"
    assert status["message"].startswith(
        'PipelineRun.kubeshowcase.io "run-1" is invalid: spec.project: Invalid value: "../etc": '
        "spec.project in body should match '^")
    response = http(apiserver, "POST", ksr_path(), json=pipeline_run("Bad_Name"))
    assert response.status_code == 422
    assert response.json()["details"]["causes"][0]["field"] == "metadata.name"
    missing = pipeline_run("run-2")
    del missing["spec"]["owner"]
    response = http(apiserver, "POST", ksr_path(), json=missing)
    assert response.json()["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.owner"}]


def test_defaults_and_pruning(apiserver, custom):
    created = _create(custom, pipeline_run("run-1", unknown="x",
                                           parameters={"anything": [1, {"x": 2}]}))
    assert "unknown" not in created["spec"]
    assert created["spec"]["cancelRequested"] is False
    assert created["spec"]["parameters"] == {"anything": [1, {"x": 2}]}
    pipeline = custom.create_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", "kubeshowcase", "pipelines",
        {"metadata": {"name": "nuclei"}, "spec": {"image": "nuclei:1"}})
    assert pipeline["spec"]["files"] == {"args": ".kubeshowcase/args",
                                         "runId": ".kubeshowcase/run_id",
                                         "lastRunId": ".kubeshowcase/LAST_RUN_ID"}
    response = http(apiserver, "POST", ksr_path() + "?fieldValidation=Strict",
                    json=pipeline_run("run-2", unknown="x"))
    assert response.status_code == 400
    assert response.json()["message"] == (
        'PipelineRun in version "v1alpha1" cannot be handled as a PipelineRun: '
        'strict decoding error: unknown field "spec.unknown"')


def test_builtin_jobs_get_defaults_and_strategic_merge(apiserver, kube_client):
    batch = client.BatchV1Api(kube_client)
    body = job("j1", ["true"], suspend=True)
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "x",
                                                            "command": ["true"]})
    created = batch.create_namespaced_job("kubeshowcase", body)
    assert created.metadata.labels["job-name"] == "j1"
    assert created.spec.selector.match_labels == {
        "batch.kubernetes.io/controller-uid": created.metadata.uid}
    # A Job's pod template is immutable, even while suspended (only scheduling directives of a
    # Job that never started may change); a pod's container images may change, merged by name.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "y"}]}}}}
    strategic = {"Content-Type": "application/strategic-merge-patch+json"}
    response = http(apiserver, "PATCH", "/apis/batch/v1/namespaces/kubeshowcase/jobs/j1",
                    json=patch, headers=strategic)
    assert response.status_code == 422
    assert response.json()["details"]["causes"][0]["field"] == "spec.template"
    pod = {"metadata": {"name": "p1"}, "spec": {"containers": [
        {"name": "main", "image": "python:3.11"}, {"name": "side", "image": "x"}]}}
    assert http(apiserver, "POST", "/api/v1/namespaces/kubeshowcase/pods",
                json=pod).status_code == 201
    response = http(apiserver, "PATCH", "/api/v1/namespaces/kubeshowcase/pods/p1",
                    json={"spec": patch["spec"]["template"]["spec"]}, headers=strategic)
    containers = response.json()["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("main", "python:3.11"),
                                                             ("side", "y")]
    no_policy = job("j2", ["true"])
    del no_policy["spec"]["template"]["spec"]["restartPolicy"]
    response = http(apiserver, "POST", "/apis/batch/v1/namespaces/kubeshowcase/jobs",
                    json=no_policy)
    assert response.status_code == 422
    assert response.json()["details"]["causes"][0]["field"] == "spec.template.spec.restartPolicy"


def test_crds_created_at_runtime_are_served(apiserver, kube_client):
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {
                            "spec": {"type": "object", "properties": {
                                "size": {"type": "integer", "maximum": 3}}}}}}}]}}
    assert http(apiserver, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                json=crd).status_code == 201
    widgets = "/apis/example.com/v1/namespaces/kubeshowcase/widgets"
    assert http(apiserver, "POST", widgets, json={"metadata": {"name": "w"},
                                                  "spec": {"size": 9}}).status_code == 422
    assert http(apiserver, "POST", widgets, json={"metadata": {"name": "w"},
                                                  "spec": {"size": 2}}).status_code == 201
    resources = http(apiserver, "GET", "/apis/example.com/v1").json()["resources"]
    assert [r["name"] for r in resources] == ["widgets"]
    assert http(apiserver, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                "widgets.example.com").status_code == 200
    assert http(apiserver, "GET", widgets).status_code == 404
