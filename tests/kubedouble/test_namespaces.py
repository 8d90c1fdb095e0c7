"""Namespace lifecycle: default content, Terminating, finalizers, refused new content.

From kubernetes.io "Namespaces" and "Configure Service Accounts for Pods" (every namespace
has a `default` ServiceAccount), "Managing Service Accounts" (`kube-root-ca.crt` in every
namespace), and the namespace controller (pkg/controller/namespace/deletion).
"""

from __future__ import annotations

from tests.kubedouble.helpers import http, wait_until

NS = "/api/v1/namespaces"


def _create_namespace(apiserver, name):
    response = http(apiserver, "POST", NS, json={"metadata": {"name": name}})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_new_namespace_has_its_default_service_account_and_root_ca(apiserver):
    created = _create_namespace(apiserver, "team")
    assert created["spec"] == {"finalizers": ["kubernetes"]}
    assert created["status"] == {"phase": "Active"}
    account = http(apiserver, "GET", f"{NS}/team/serviceaccounts/default")
    assert account.status_code == 200
    root_ca = http(apiserver, "GET", f"{NS}/team/configmaps/kube-root-ca.crt").json()
    assert root_ca["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----\n")
    for seeded in ("default", "kube-system", "kubeshowcase"):
        assert http(apiserver, "GET", f"{NS}/{seeded}/serviceaccounts/default").status_code == 200


def test_the_default_service_account_comes_back_when_deleted(apiserver):
    assert http(apiserver, "DELETE", f"{NS}/kubeshowcase/serviceaccounts/default").ok
    again = http(apiserver, "GET", f"{NS}/kubeshowcase/serviceaccounts/default")
    assert again.status_code == 200


def test_namespace_deletion_waits_for_content_finalizers(apiserver):
    _create_namespace(apiserver, "team")
    held = http(apiserver, "POST", f"{NS}/team/configmaps", json={
        "metadata": {"name": "held", "finalizers": ["example.com/keep"]}})
    assert held.status_code == 201
    deleted = http(apiserver, "DELETE", f"{NS}/team")
    assert deleted.status_code == 200
    namespace = http(apiserver, "GET", f"{NS}/team").json()
    assert namespace["status"]["phase"] == "Terminating"
    assert namespace["metadata"]["deletionTimestamp"]
    conditions = {c["type"]: c for c in namespace["status"]["conditions"]}
    assert conditions["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: configmaps has 1 resource instances")
    assert conditions["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/keep in 1 "
        "resource instances")
    assert http(apiserver, "GET", f"{NS}/team/serviceaccounts/default").status_code == 404
    refused = http(apiserver, "POST", f"{NS}/team/configmaps", json={"metadata": {"name": "new"}})
    assert refused.status_code == 403
    assert refused.json()["message"] == ('configmaps "new" is forbidden: unable to create new '
                                         "content in namespace team because it is being "
                                         "terminated")
    assert refused.json()["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    released = http(apiserver, "PATCH", f"{NS}/team/configmaps/held",
                    json={"metadata": {"finalizers": None}},
                    headers={"Content-Type": "application/merge-patch+json"})
    assert released.status_code == 200
    wait_until(lambda: http(apiserver, "GET", f"{NS}/team").status_code == 404, 10,
               "namespace gone")
