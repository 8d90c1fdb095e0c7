"""The scheduler keeps pods off a node whose labels miss their nodeSelector or required node
affinity, or whose taints they do not tolerate, in the scheduler's words; it binds them once
the node is labelled or untainted. Rules: nodeaffinity.py's sources."""

from __future__ import annotations

import platform

import pytest

from kubedouble import nodeaffinity
from kubedouble.nodeaffinity import (filter_failure, node_matches, requirement_matches,
                                     tolerates, untolerated_taint)
from tests.kubedouble.helpers import http, wait_until

PODS = "/api/v1/namespaces/kubeshowcase/pods"
EVENTS = "/api/v1/namespaces/kubeshowcase/events"
NOT_MATCHED = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
               "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
LABELS = {"kubernetes.io/hostname": "kubedouble", "pool": "batch", "cores": "8"}


def required(*terms: dict) -> dict:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}}


def expression(key: str, operator: str, *values: str) -> dict:
    found: dict = {"key": key, "operator": operator}
    if values:
        found["values"] = list(values)
    return found


@pytest.mark.parametrize(("requirement", "matches"), [
    (expression("pool", "In", "batch", "gpu"), True),
    (expression("pool", "In", "gpu"), False),
    (expression("missing", "In", "x"), False),
    (expression("pool", "NotIn", "gpu"), True),
    (expression("missing", "NotIn", "x"), True),  # an absent label is not in any set
    (expression("pool", "NotIn", "batch"), False),
    (expression("pool", "Exists"), True),
    (expression("missing", "Exists"), False),
    (expression("missing", "DoesNotExist"), True),
    (expression("pool", "DoesNotExist"), False),
    (expression("cores", "Gt", "4"), True),
    (expression("cores", "Gt", "8"), False),
    (expression("cores", "Lt", "16"), True),
    (expression("pool", "Gt", "1"), False),  # not an integer
    (expression("missing", "Lt", "1"), False),
])
def test_requirements_match_as_label_selectors_do(requirement: dict, matches: bool) -> None:
    assert requirement_matches(requirement, LABELS) is matches


@pytest.mark.parametrize(("spec", "matches"), [
    ({}, True),
    ({"nodeSelector": {"pool": "batch"}}, True),
    ({"nodeSelector": {"pool": "batch", "gpu": "a100"}}, False),  # every label is needed
    (required({"matchExpressions": [expression("pool", "In", "gpu")]},
              {"matchExpressions": [expression("cores", "Gt", "2")]}), True),  # terms are ORed
    (required({"matchExpressions": [expression("pool", "In", "batch"),
                                    expression("cores", "Lt", "2")]}), False),  # ANDed within
    (required({}), False),  # an empty term matches nothing
    (required({"matchFields": [expression("metadata.name", "In", "kubedouble")]}), True),
    (required({"matchFields": [expression("metadata.name", "NotIn", "kubedouble")]}), False),
    (required({"matchFields": [expression("metadata.uid", "In", "kubedouble")]}), False),
    ({"nodeSelector": {"pool": "gpu"},
      **required({"matchExpressions": [expression("pool", "Exists")]})}, False),
    ({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "preference": {"matchExpressions": [expression("x", "Exists")]}}]}}},
     True),  # preferences never keep a pod off
])
def test_selector_and_required_affinity(spec: dict, matches: bool) -> None:
    assert node_matches(spec, "kubedouble", LABELS) is matches


@pytest.mark.parametrize(("toleration", "matches"), [
    ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),
    ({"key": "nvidia.com/gpu", "value": "true"}, True),  # Equal by default
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "false"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"operator": "Exists"}, True),  # tolerates everything
    ({"operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_tolerations_match_taints_as_the_core_helper_does(toleration: dict,
                                                          matches: bool) -> None:
    assert tolerates(toleration, GPU_TAINT) is matches


def test_only_taints_that_filter_keep_a_pod_off() -> None:
    prefer = {"key": "spot", "value": "", "effect": "PreferNoSchedule"}
    assert untolerated_taint({}, [prefer]) is None
    execute = {"key": "spot", "effect": "NoExecute"}
    assert untolerated_taint({}, [prefer, execute]) == execute
    assert filter_failure({}, "kubedouble", LABELS, [execute]) == (
        "node(s) had untolerated taint {spot: }")
    assert filter_failure({"nodeSelector": {"x": "y"}}, "kubedouble", LABELS, []) == (
        "node(s) didn't match Pod's node affinity/selector")


def test_the_node_has_the_kubelets_labels() -> None:
    labels = nodeaffinity.default_labels("kubedouble")
    assert labels["kubernetes.io/hostname"] == "kubedouble"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"] == {"x86_64": "amd64", "aarch64": "arm64"}.get(
        platform.machine(), platform.machine().lower())


# Over the API -------------------------------------------------------------------------------
def _pod(name: str, **spec: object) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["true"]}], **spec}}


def _create(handle, body: dict) -> None:
    response = http(handle, "POST", PODS, json=body)
    assert response.status_code == 201, response.text


def _scheduled(handle, name: str) -> dict | None:
    conditions = http(handle, "GET", f"{PODS}/{name}").json()["status"].get("conditions") or []
    return next((c for c in conditions if c["type"] == "PodScheduled"), None)


def _phase(handle, name: str) -> str:
    return http(handle, "GET", f"{PODS}/{name}").json()["status"].get("phase")


def _failed_scheduling(handle, name: str) -> list[str]:
    events = http(handle, "GET", EVENTS, params={
        "fieldSelector": f"involvedObject.name={name},reason=FailedScheduling"}).json()["items"]
    return [event["message"] for event in events]


def test_a_pod_no_node_matches_waits_until_the_node_is_labelled(apiserver) -> None:
    _create(apiserver, _pod("gpu", nodeSelector={"gpu": "a100"}))
    condition = wait_until(lambda: _scheduled(apiserver, "gpu"), 30, "the scheduler's answer")
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "False", "Unschedulable", NOT_MATCHED)
    assert _failed_scheduling(apiserver, "gpu") == [NOT_MATCHED]
    assert _phase(apiserver, "gpu") == "Pending"
    apiserver.set_node(labels={"gpu": "a100"})
    wait_until(lambda: _phase(apiserver, "gpu") == "Succeeded", 30, "the pod to run")


def test_a_pod_runs_on_its_own_node_by_hostname_affinity(apiserver) -> None:
    _create(apiserver, _pod("here", **required({"matchExpressions": [
        expression("kubernetes.io/hostname", "In", "kubedouble"),
        expression("kubernetes.io/os", "In", "linux")]})))
    wait_until(lambda: _phase(apiserver, "here") == "Succeeded", 30, "the pod to run")


def test_a_taint_keeps_off_pods_that_do_not_tolerate_it(apiserver) -> None:
    apiserver.set_node(taints=[GPU_TAINT])
    _create(apiserver, _pod("plain"))
    _create(apiserver, _pod("tolerant", tolerations=[
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]))
    wait_until(lambda: _phase(apiserver, "tolerant") == "Succeeded", 30, "the tolerant pod")
    condition = wait_until(lambda: _scheduled(apiserver, "plain"), 30, "the scheduler's answer")
    assert condition["message"] == (
        "0/1 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: true}. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
    apiserver.set_node(taints=[])
    wait_until(lambda: _phase(apiserver, "plain") == "Succeeded", 30, "the pod, untainted")
