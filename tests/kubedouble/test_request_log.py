"""The double's request log: every request of a user outside system:masters, with the label
and field selectors it asked by, so tests can tell who LISTed what."""

from __future__ import annotations

from typing import Any

from kubernetes import client, config

from kubedouble.request_log import Request

NS = "kubeshowcase"
OPERATOR = "system:serviceaccount:kubeshowcase:kubeshowcase-operator"


def test_it_records_a_list_with_its_selectors_for_a_component_not_the_admin(
        apiserver: Any, kube_client: Any) -> None:
    operator = client.CoreV1Api(
        config.new_client_from_config(config_file=str(apiserver.kubeconfigs["operator"])))
    client.CoreV1Api(kube_client).list_namespaced_pod(NS, label_selector="job-name=admins")
    operator.list_namespaced_pod(NS, label_selector="job-name=run-1")
    operator.list_namespaced_pod(NS, label_selector="job-name=run-1")
    operator.list_namespaced_pod(NS, field_selector="metadata.name=run-1-abcde")
    found = {request: count for request, count in apiserver.request_log.counts().items()
             if request.resource == "pods"}
    assert found == {
        Request(OPERATOR, "list", "", "pods", "", NS, "", label_selector="job-name=run-1"): 2,
        # A field selector on metadata.name names the object, as the authorizer sees it.
        Request(OPERATOR, "list", "", "pods", "", NS, "run-1-abcde",
                field_selector="metadata.name=run-1-abcde"): 1}
