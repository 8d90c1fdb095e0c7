"""scheduling.k8s.io/v1 PriorityClasses and the Priority admission plugin (priorityclasses.py,
priority_admission.py); the kubelet's warning for a missing image pull secret (images.py)."""

from __future__ import annotations

import pytest

from kubedouble import errors
from kubedouble.operations import Cluster
from kubedouble.priorityclasses import ensure
from tests.kubedouble.helpers import http, kubectl, wait_until

PODS = "/api/v1/namespaces/kubeshowcase/pods"
JOBS = "/apis/batch/v1/namespaces/kubeshowcase/jobs"
EVENTS = "/api/v1/namespaces/kubeshowcase/events"
CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses"


@pytest.fixture
def cluster() -> Cluster:
    found = Cluster()
    ensure(found)
    return found


def classes(cluster: Cluster):
    return cluster.resource("scheduling.k8s.io", "v1", "priorityclasses")


def pod(name: str = "p", **spec: object) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "containers": [{"name": "main", "image": "busybox:1.36"}], **spec}}


def refusal(call, *args) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        call(*args)
    return caught.value


def test_the_system_classes_are_there(cluster: Cluster) -> None:
    found = {c["metadata"]["name"]: (c["value"], c["preemptionPolicy"])
             for c in cluster.store.items(classes(cluster).qualified)}
    assert found == {"system-node-critical": (2000001000, "PreemptLowerPriority"),
                     "system-cluster-critical": (2000000000, "PreemptLowerPriority")}


@pytest.mark.parametrize(("body", "code", "message"), [
    ({"metadata": {"name": "system-mine"}, "value": 5}, 422,
     'PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: '
     "priority class names with 'system-' prefix are reserved for system use only. error: "
     "system-mine is not a known system priority class"),
    ({"metadata": {"name": "huge"}, "value": 1000000001}, 422,
     'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed '
     "value of a user defined priority is 1000000000"),
    ({"metadata": {"name": "odd"}, "value": 1, "preemptionPolicy": "Sometimes"}, 422,
     'PriorityClass.scheduling.k8s.io "odd" is invalid: preemptionPolicy: Unsupported value: '
     '"Sometimes": supported values: "Never", "PreemptLowerPriority"'),
])
def test_it_validates_classes_as_the_real_server(cluster: Cluster, body: dict, code: int,
                                                 message: str) -> None:
    problem = refusal(cluster.create, classes(cluster), "", body)
    assert (problem.code, problem.message) == (code, message)


def test_only_one_class_is_the_global_default(cluster: Cluster) -> None:
    cluster.create(classes(cluster), "", {"metadata": {"name": "low"}, "value": 10,
                                          "globalDefault": True})
    problem = refusal(cluster.create, classes(cluster), "",
                      {"metadata": {"name": "other"}, "value": 5, "globalDefault": True})
    assert (problem.code, problem.message) == (
        403, 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is '
             "already marked as default. Only one default can exist")


def test_a_class_keeps_its_value(cluster: Cluster) -> None:
    stored = cluster.create(classes(cluster), "", {"metadata": {"name": "low"}, "value": 10})
    changed = {**stored, "value": 11}
    problem = refusal(cluster.replace, classes(cluster), "", "low", changed)
    assert problem.code == 422 and "value: Forbidden: may not be changed in an update." in \
        problem.message


def test_a_pods_priority_comes_from_its_class(cluster: Cluster) -> None:
    pods = cluster.resource("", "v1", "pods")
    plain = cluster.create(pods, "default", pod("plain"))
    assert (plain["spec"]["priority"], plain["spec"]["preemptionPolicy"]) == (
        0, "PreemptLowerPriority")
    assert "priorityClassName" not in plain["spec"]
    critical = cluster.create(pods, "default", pod("critical",
                                                   priorityClassName="system-cluster-critical"))
    assert critical["spec"]["priority"] == 2000000000
    cluster.create(classes(cluster), "", {"metadata": {"name": "batch"}, "value": 100,
                                          "globalDefault": True, "preemptionPolicy": "Never"})
    defaulted = cluster.create(pods, "default", pod("defaulted"))
    assert (defaulted["spec"]["priorityClassName"], defaulted["spec"]["priority"],
            defaulted["spec"]["preemptionPolicy"]) == ("batch", 100, "Never")


@pytest.mark.parametrize(("spec", "message"), [
    ({"priorityClassName": "nope"},
     'pods "run-1-" is forbidden: no PriorityClass with name nope was found'),
    ({"priority": 7},
     'pods "run-1-" is forbidden: the integer value of priority (7) must not be provided in '
     "pod spec; priority admission controller computed 0 from the given PriorityClass name"),
])
def test_the_admission_plugin_refuses(cluster: Cluster, spec: dict, message: str) -> None:
    body = pod(**spec)
    body["metadata"] = {"generateName": "run-1-"}  # named as the Job controller names pods
    problem = refusal(cluster.create, cluster.resource("", "v1", "pods"), "default", body)
    assert (problem.code, problem.reason, problem.message) == (403, "Forbidden", message)


# Over the API -------------------------------------------------------------------------------
def _events(handle, name: str, reason: str) -> list[str]:
    items = http(handle, "GET", EVENTS, params={
        "fieldSelector": f"involvedObject.name={name},reason={reason}"}).json()["items"]
    return [event["message"] for event in items]


def test_kubectl_lists_the_classes(apiserver, kube_env) -> None:
    names = kubectl(kube_env, "get", "priorityclasses", "-o", "name").stdout.split()
    assert names == ["priorityclass.scheduling.k8s.io/system-cluster-critical",
                     "priorityclass.scheduling.k8s.io/system-node-critical"]
    created = http(apiserver, "POST", CLASSES, json={
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "batch-low"}, "value": 10})
    assert created.status_code == 201, created.text
    assert kubectl(kube_env, "get", "pc", "batch-low", "-o", "jsonpath={.value}").stdout == "10"
    header, *rows = kubectl(kube_env, "get", "pc").stdout.splitlines()
    assert header.split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    [row] = [line.split() for line in rows if line.startswith("batch-low ")]
    assert (row[:3], row[-1]) == (["batch-low", "10", "false"], "PreemptLowerPriority")


def test_a_job_naming_an_unknown_class_cannot_make_its_pod(apiserver) -> None:
    job = {"metadata": {"name": "urgent"}, "spec": {"backoffLimit": 0, "template": {"spec": {
        "restartPolicy": "Never", "priorityClassName": "urgent",
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["true"]}]}}}}
    response = http(apiserver, "POST", JOBS, json=job)
    assert response.status_code == 201, response.text
    messages = wait_until(lambda: _events(apiserver, "urgent", "FailedCreate"), 30,
                          "the Job controller's FailedCreate")
    assert set(messages) == {'Error creating: pods "urgent-" is forbidden: no PriorityClass '
                             "with name urgent was found"}
    assert http(apiserver, "GET", PODS).json()["items"] == []


def test_a_missing_pull_secret_is_a_warning_and_the_pull_goes_on(apiserver) -> None:
    body = pod("private", restartPolicy="Never", imagePullSecrets=[{"name": "regcred"}])
    body["spec"]["containers"][0]["command"] = ["true"]
    response = http(apiserver, "POST", PODS, json=body)
    assert response.status_code == 201, response.text
    wait_until(lambda: http(apiserver, "GET", f"{PODS}/private").json()["status"].get(
        "phase") == "Succeeded", 30, "the pod to run")
    assert _events(apiserver, "private", "FailedToRetrieveImagePullSecret") == [
        "Unable to retrieve some image pull secrets (regcred); attempting to pull the image "
        "may not succeed."]
