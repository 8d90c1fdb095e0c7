"""Deletion: finalizers, cascades through ownerReferences, orphaning, foreground, collections.

The garbage collector works after the DELETE has answered, as the real one does: tests wait.
"""

from __future__ import annotations

from kubernetes import client

from tests.kubedouble.helpers import KSR, http, ksr_path, pipeline_run, wait_until

CM = "/api/v1/namespaces/kubeshowcase/configmaps"


def _owned_by(owner: dict, name: str, **ref: object) -> dict:
    meta = owner["metadata"]
    return {"metadata": {"name": name, "ownerReferences": [
        {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"],
         "uid": meta["uid"], **ref}]}, "data": {}}


def _exists(handle, path) -> bool:
    return http(handle, "GET", path).status_code == 200


def _wait_gone(handle, path) -> None:
    wait_until(lambda: not _exists(handle, path), 10, f"{path} gone")


def test_finalizers_hold_the_object_until_removed(apiserver, kube_client):
    custom = client.CustomObjectsApi(kube_client)
    body = pipeline_run("run-1")
    body["metadata"]["finalizers"] = ["kubeshowcase.io/cleanup"]
    custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], body)
    args = (*KSR[:2], "kubeshowcase", KSR[2], "run-1")
    custom.delete_namespaced_custom_object(*args)
    held = custom.get_namespaced_custom_object(*args)
    assert held["metadata"]["deletionTimestamp"]
    again = http(apiserver, "DELETE", ksr_path(name="run-1"))
    assert again.status_code == 200
    assert again.json()["metadata"]["deletionTimestamp"] == held["metadata"]["deletionTimestamp"]
    refused = http(apiserver, "PATCH", ksr_path(name="run-1"),
                   json={"metadata": {"finalizers": ["kubeshowcase.io/cleanup", "other/x"]}},
                   headers={"Content-Type": "application/merge-patch+json"})
    assert refused.status_code == 422
    custom.patch_namespaced_custom_object(*args, {"metadata": {"finalizers": None}})
    assert not _exists(apiserver, ksr_path(name="run-1"))


def test_background_cascade_is_recursive(apiserver):
    owner = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).json()
    child = http(apiserver, "POST", CM, json=_owned_by(owner, "child")).json()
    http(apiserver, "POST", CM, json=_owned_by(child, "grandchild"))
    http(apiserver, "POST", CM, json={"metadata": {"name": "unrelated"}})
    assert http(apiserver, "DELETE", ksr_path(name="run-1")).status_code == 200
    _wait_gone(apiserver, f"{CM}/child")
    _wait_gone(apiserver, f"{CM}/grandchild")
    assert _exists(apiserver, f"{CM}/unrelated")


def test_orphan_keeps_dependents_without_the_reference(apiserver):
    owner = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).json()
    http(apiserver, "POST", CM, json=_owned_by(owner, "child"))
    http(apiserver, "DELETE", ksr_path(name="run-1"), json={"propagationPolicy": "Orphan"})
    # The owner waits with the orphan finalizer until the collector has freed its dependents.
    _wait_gone(apiserver, ksr_path(name="run-1"))
    kept = http(apiserver, "GET", f"{CM}/child").json()
    assert "ownerReferences" not in kept["metadata"]


def test_orphan_marks_the_owner_with_the_orphan_finalizer(apiserver):
    owner = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).json()
    held = _owned_by(owner, "child")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    http(apiserver, "POST", CM, json=held)
    answer = http(apiserver, "DELETE", ksr_path(name="run-1") + "?propagationPolicy=Orphan")
    assert answer.status_code == 200
    assert "orphan" in answer.json()["metadata"]["finalizers"]
    _wait_gone(apiserver, ksr_path(name="run-1"))
    child = http(apiserver, "GET", f"{CM}/child").json()
    assert "ownerReferences" not in child["metadata"]
    assert "deletionTimestamp" not in child["metadata"]


def test_foreground_waits_for_blocking_dependents(apiserver):
    owner = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).json()
    child = _owned_by(owner, "child", blockOwnerDeletion=True)
    child["metadata"]["finalizers"] = ["example.com/hold"]
    http(apiserver, "POST", CM, json=child)
    answer = http(apiserver, "DELETE", ksr_path(name="run-1") + "?propagationPolicy=Foreground")
    assert answer.json()["metadata"]["finalizers"] == ["foregroundDeletion"]
    wait_until(lambda: http(apiserver, "GET", f"{CM}/child").json()["metadata"].get(
        "deletionTimestamp"), 10, "the collector to delete the dependent")
    waiting = http(apiserver, "GET", ksr_path(name="run-1")).json()
    assert "foregroundDeletion" in waiting["metadata"]["finalizers"]
    http(apiserver, "PATCH", f"{CM}/child", json={"metadata": {"finalizers": None}},
         headers={"Content-Type": "application/merge-patch+json"})
    assert not _exists(apiserver, f"{CM}/child")
    _wait_gone(apiserver, ksr_path(name="run-1"))


def test_foreground_does_not_wait_for_non_blocking_dependents(apiserver):
    owner = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).json()
    child = _owned_by(owner, "child")  # no blockOwnerDeletion
    child["metadata"]["finalizers"] = ["example.com/hold"]
    http(apiserver, "POST", CM, json=child)
    http(apiserver, "DELETE", ksr_path(name="run-1") + "?propagationPolicy=Foreground")
    _wait_gone(apiserver, ksr_path(name="run-1"))
    held = http(apiserver, "GET", f"{CM}/child").json()
    assert held["metadata"]["deletionTimestamp"]  # deleted, held by its own finalizer


def test_jobs_orphan_their_pods_by_default_and_warn(apiserver):
    jobs = "/apis/batch/v1/namespaces/kubeshowcase/jobs"
    body = {"metadata": {"name": "j"}, "spec": {"suspend": True, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}}
    job = http(apiserver, "POST", jobs, json=body).json()
    pod = {"metadata": {"name": "p", "ownerReferences": [
        {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": job["metadata"]["uid"]}]},
        "spec": {"containers": [{"name": "c", "image": "x"}]}}
    http(apiserver, "POST", "/api/v1/namespaces/kubeshowcase/pods", json=pod)
    response = http(apiserver, "DELETE", f"{jobs}/j")
    assert "child pods are preserved by default" in response.headers["Warning"]
    assert response.json()["metadata"]["finalizers"] == ["orphan"]
    _wait_gone(apiserver, f"{jobs}/j")
    kept = http(apiserver, "GET", "/api/v1/namespaces/kubeshowcase/pods/p").json()
    assert "ownerReferences" not in kept["metadata"] and "deletionTimestamp" not in kept["metadata"]


def test_deletecollection_honours_selectors(apiserver):
    for name, labels in (("a", {"x": "1"}), ("b", {"x": "1"}), ("c", {"x": "2"})):
        http(apiserver, "POST", ksr_path(), json=pipeline_run(name, labels=labels))
    response = http(apiserver, "DELETE", ksr_path() + "?labelSelector=x%3D1")
    assert response.status_code == 200
    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == ["a", "b"]
    left = http(apiserver, "GET", ksr_path()).json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["c"]


def test_deleting_a_namespace_deletes_its_content(apiserver, kube_client):
    core = client.CoreV1Api(kube_client)
    core.create_namespace({"metadata": {"name": "scratch"}})
    core.create_namespaced_config_map("scratch", {"metadata": {"name": "cm"}})
    core.delete_namespace("scratch")
    # The namespace controller empties it, then it goes (asynchronously on a real cluster).
    wait_until(lambda: not _exists(apiserver, "/api/v1/namespaces/scratch"), 10, "namespace gone")
    assert http(apiserver, "GET", "/api/v1/namespaces/scratch/configmaps").json()["items"] == []
