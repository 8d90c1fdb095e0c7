"""Authentication with real clients: kubectl, the official Python client, TokenRequest."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.kubedouble.helpers import http, kubectl


def test_kubectl_mints_and_uses_service_account_tokens(kube_env, tmp_path):
    kubectl(kube_env, "create", "serviceaccount", "robot")  # a protobuf body
    token = kubectl(kube_env, "create", "token", "robot", "--duration=15m").stdout.strip()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "system:serviceaccount:kubeshowcase:robot"
    assert claims["exp"] - claims["iat"] == 900
    who = kubectl(kube_env, "auth", "whoami", "-o", "json", f"--token={token}").stdout
    assert json.loads(who)["status"]["userInfo"]["username"] == \
        "system:serviceaccount:kubeshowcase:robot"
    admin = json.loads(kubectl(kube_env, "auth", "whoami", "-o", "json").stdout)
    assert admin["status"]["userInfo"]["username"] == "kubernetes-admin"


def test_kubectl_with_an_unknown_token_must_log_in(kube_env, apiserver, tmp_path):
    stranger = apiserver.kubeconfig_for("not-a-token", tmp_path / "stranger")
    result = kubectl({**kube_env, "KUBECONFIG": str(stranger)}, "get", "pods", check=False)
    assert result.returncode != 0
    assert "You must be logged in to the server" in result.stderr


def test_the_python_client_authenticates_as_a_service_account(apiserver, tmp_path):
    core = client.CoreV1Api(apiserver.api_client())
    core.create_namespaced_service_account("kubeshowcase", {"metadata": {"name": "robot"}})
    rbac = client.RbacAuthorizationV1Api(apiserver.api_client())
    rbac.create_namespaced_role("kubeshowcase", {"metadata": {"name": "reader"}, "rules": [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]})
    rbac.create_namespaced_role_binding("kubeshowcase", {
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot"}]})
    config = apiserver.kubeconfig_for(apiserver.service_account_token("kubeshowcase", "robot"),
                                      tmp_path / "robot")
    from kubernetes import config as loader

    robot = client.CoreV1Api(loader.new_client_from_config(config_file=str(config)))
    assert robot.list_namespaced_config_map("kubeshowcase").items is not None
    core.delete_namespaced_service_account("robot", "kubeshowcase")
    with pytest.raises(ApiException) as refused:
        robot.list_namespaced_config_map("kubeshowcase")
    assert refused.value.status == 401


def test_an_expired_token_is_refused(apiserver):
    http(apiserver, "POST", "/api/v1/namespaces/kubeshowcase/serviceaccounts",
         json={"metadata": {"name": "robot"}})
    token = apiserver.service_account_token("kubeshowcase", "robot")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["exp"] = claims["iat"] - 1  # forged: the signature no longer matches either
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = http(apiserver, "GET", "/api/v1/namespaces",
                    headers={"Authorization": f"Bearer {header}.{forged}.{signature}"})
    assert response.status_code == 401
