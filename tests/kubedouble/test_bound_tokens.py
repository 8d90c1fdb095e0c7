"""Bound ServiceAccount tokens: a pod's projected token names the pod and its account in its
`kubernetes.io` claim and dies with either; a TokenRequest's boundObjectRef must name an object
that exists (authn_binding.py)."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubedouble.authn_binding import bind, extras, still_bound
from kubedouble.errors import ApiError
from tests.kubedouble.helpers import http, kubectl
from tests.waiting import wait_until

NS = "kubeshowcase"
PODS = f"/api/v1/namespaces/{NS}/pods"
ACCOUNTS = f"/api/v1/namespaces/{NS}/serviceaccounts"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
READ_TOKEN = "print(open('/var/run/secrets/kubernetes.io/serviceaccount/token').read())"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def pod(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"restartPolicy": "Never", "containers": [
        {"name": "main", "image": "python:3.11", "command": command}], **spec}}


def request_token(apiserver: Any, account: str, **spec: Any) -> Any:
    return http(apiserver, "POST", f"{ACCOUNTS}/{account}/token", json={"spec": spec})


def whoami(apiserver: Any, token: str) -> Any:
    return http(apiserver, "POST", WHOAMI, headers={"Authorization": f"Bearer {token}"},
                json={"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"})


def holder_pod(apiserver: Any, name: str = "holder", **spec: Any) -> dict[str, Any]:
    # On a node the double does not run: the pod exists, and no process of it starts.
    created = http(apiserver, "POST", PODS, json=pod(
        name, ["python", "-c", "pass"], nodeName="elsewhere",
        automountServiceAccountToken=False, **spec))
    assert created.status_code == 201, created.text
    return created.json()


def gone(apiserver: Any, path: str) -> bool:
    return http(apiserver, "GET", path).status_code == 404


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces need root")
def test_a_pods_projected_token_names_the_pod_and_dies_with_it(apiserver):
    http(apiserver, "POST", PODS, json=pod("reader", ["python", "-c", READ_TOKEN]))
    def finished() -> dict[str, Any] | None:
        found = http(apiserver, "GET", f"{PODS}/reader").json()
        return found if found["status"].get("phase") in ("Succeeded", "Failed") else None

    found = wait_until(finished, 60, "the reader pod to finish")
    assert found["status"]["phase"] == "Succeeded"
    token = http(apiserver, "GET", f"{PODS}/reader/log").text.strip()
    account = http(apiserver, "GET", f"{ACCOUNTS}/default").json()
    bound = claims(token)["kubernetes.io"]
    assert bound["pod"] == {"name": "reader", "uid": found["metadata"]["uid"]}
    assert bound["serviceaccount"] == {"name": "default", "uid": account["metadata"]["uid"]}
    extra = whoami(apiserver, token).json()["status"]["userInfo"]["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["reader"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [found["metadata"]["uid"]]
    http(apiserver, "DELETE", f"{PODS}/reader", params={"gracePeriodSeconds": "0"})
    wait_until(lambda: gone(apiserver, f"{PODS}/reader"), 30, "the pod to go")
    refused = whoami(apiserver, token)
    assert (refused.status_code, refused.json()["message"]) == (401, "Unauthorized")


def test_a_token_bound_to_a_pod_dies_when_the_pod_is_made_again(apiserver):
    http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": "robot"}})
    first = holder_pod(apiserver, serviceAccountName="robot")
    issued = request_token(apiserver, "robot", boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "holder", "uid": first["metadata"]["uid"]})
    assert issued.status_code == 201, issued.text
    token = issued.json()["status"]["token"]
    assert whoami(apiserver, token).status_code == 201
    http(apiserver, "DELETE", f"{PODS}/holder", params={"gracePeriodSeconds": "0"})
    wait_until(lambda: gone(apiserver, f"{PODS}/holder"), 30, "the pod to go")
    holder_pod(apiserver, serviceAccountName="robot")  # same name, another uid
    assert whoami(apiserver, token).status_code == 401


def test_a_pod_bound_token_dies_when_its_account_is_made_again(apiserver):
    http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": "robot"}})
    holder_pod(apiserver, serviceAccountName="robot")
    token = request_token(apiserver, "robot", boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "holder"}).json()["status"]["token"]
    assert whoami(apiserver, token).status_code == 201
    http(apiserver, "DELETE", f"{ACCOUNTS}/robot")
    http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": "robot"}})  # another uid
    assert http(apiserver, "GET", f"{PODS}/holder").status_code == 200  # the pod is still there
    assert whoami(apiserver, token).status_code == 401


def test_a_token_bound_to_a_secret_dies_with_it(apiserver, kube_env):
    http(apiserver, "POST", f"/api/v1/namespaces/{NS}/secrets",
         json={"metadata": {"name": "session"}})
    token = kubectl(kube_env, "create", "token", "default", "--bound-object-kind=Secret",
                    "--bound-object-name=session").stdout.strip()
    assert claims(token)["kubernetes.io"]["secret"]["name"] == "session"
    assert whoami(apiserver, token).status_code == 201
    http(apiserver, "DELETE", f"/api/v1/namespaces/{NS}/secrets/session")
    assert whoami(apiserver, token).status_code == 401


def test_a_bound_object_must_exist_run_as_the_account_and_keep_its_uid(apiserver):
    missing = request_token(apiserver, "default", boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "ghost"})
    assert (missing.status_code, missing.json()["reason"], missing.json()["message"]) == (
        404, "NotFound", 'pods "ghost" not found')
    http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": "robot"}})
    holder_pod(apiserver, serviceAccountName="robot")
    other = request_token(apiserver, "default", boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "holder"})
    assert (other.status_code, other.json()["message"]) == (
        400, 'cannot bind token for serviceaccount "default" to pod running with different '
             "serviceaccount name.")
    stale = request_token(apiserver, "robot", boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "holder", "uid": "an-older-uid"})
    assert (stale.status_code, stale.json()["message"]) == (
        409, 'Operation cannot be fulfilled on Pod "holder": the UID in the bound object '
             "reference (an-older-uid) does not match the UID in record. The object might have "
             "been deleted and then recreated")
    kind = request_token(apiserver, "default", boundObjectRef={
        "apiVersion": "v1", "kind": "ConfigMap", "name": "settings"})
    assert (kind.status_code, kind.json()["message"]) == (
        400, "cannot bind token to object of type /v1, Kind=ConfigMap")


# The rules, pure ---------------------------------------------------------------------------
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def stored(**objects: dict[str, Any]) -> Any:
    """A lookup over objects keyed resource/name."""
    return lambda resource, namespace, name: objects.get(f"{resource}/{name}")


def meta(name: str, uid: str, **more: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "uid": uid, "namespace": NS, **more}}


ACCOUNT = meta("robot", "sa-1")
BOUND = {"namespace": NS, "serviceaccount": {"name": "robot", "uid": "sa-1"},
         "pod": {"name": "p", "uid": "pod-1"}}


def test_a_deleted_pods_token_lives_out_the_leeway() -> None:
    def at(deleted: datetime) -> dict[str, Any]:
        return meta("p", "pod-1", deletionTimestamp=deleted.strftime("%Y-%m-%dT%H:%M:%SZ"))

    lookup = stored(**{"serviceaccounts/robot": ACCOUNT, "pods/p": meta("p", "pod-1")})
    assert still_bound(lookup, BOUND, NOW)
    soon = stored(**{"serviceaccounts/robot": ACCOUNT, "pods/p": at(NOW - timedelta(seconds=59))})
    assert still_bound(soon, BOUND, NOW)
    late = stored(**{"serviceaccounts/robot": ACCOUNT, "pods/p": at(NOW - timedelta(seconds=61))})
    assert not still_bound(late, BOUND, NOW)
    assert not still_bound(stored(**{"pods/p": meta("p", "pod-1")}), BOUND, NOW)  # no account
    assert not still_bound(stored(**{"serviceaccounts/robot": meta("robot", "sa-2"),
                                     "pods/p": meta("p", "pod-1")}), BOUND, NOW)


def test_a_pod_binding_records_its_node_and_gives_the_extras() -> None:
    running = {**meta("p", "pod-1"), "spec": {"serviceAccountName": "robot",
                                              "nodeName": "n1"}}
    lookup = stored(**{"pods/p": running, "nodes/n1": meta("n1", "node-1")})
    bound = bind(lookup, ACCOUNT, {"apiVersion": "v1", "kind": "Pod", "name": "p"})
    assert bound == {"pod": {"name": "p", "uid": "pod-1"},
                     "node": {"name": "n1", "uid": "node-1"}}
    assert extras(bound) == {
        "authentication.kubernetes.io/pod-name": ("p",),
        "authentication.kubernetes.io/pod-uid": ("pod-1",),
        "authentication.kubernetes.io/node-name": ("n1",),
        "authentication.kubernetes.io/node-uid": ("node-1",)}
    assert bind(lookup, ACCOUNT, None) == {}
    with pytest.raises(ApiError) as problem:
        bind(lookup, ACCOUNT, {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"})
    assert problem.value.message == "cannot bind token to object of type apps/v1, Kind=Deployment"


def test_only_a_node_bound_tokens_node_is_checked() -> None:
    node_bound = {"namespace": NS, "serviceaccount": {"name": "robot", "uid": "sa-1"},
                  "node": {"name": "n1", "uid": "node-1"}}
    assert not still_bound(stored(**{"serviceaccounts/robot": ACCOUNT}), node_bound, NOW)
    with_pod = {**node_bound, "pod": {"name": "p", "uid": "pod-1"}}
    assert still_bound(stored(**{"serviceaccounts/robot": ACCOUNT,
                                 "pods/p": meta("p", "pod-1")}), with_pod, NOW)
