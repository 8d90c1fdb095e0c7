"""Impersonation with real clients: kubectl --as / --as-group / --as-uid and the official
client's headers, allowed by the `impersonate` verb, refused (403) without it.

https://kubernetes.io/docs/reference/access-authn-authz/user-impersonation/
"""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from kubedouble.impersonation import Reference, WithoutUser, impersonated, references
from tests.kubedouble.helpers import http, kubectl
from tests.kubedouble.test_rbac import NS, ROBOT, admin, grant, refused, robot, rule

AS_ROBOT = f"--as={ROBOT}"
__all__ = ["admin", "robot"]  # the fixtures of test_rbac, shared


def test_kubectl_auth_can_i_as_a_service_account_answers_for_it(robot, admin, kube_env):
    grant(admin, [rule(["pods"], ["list"])])

    def can_i(*args: str) -> tuple[int, str]:
        result = kubectl(kube_env, "auth", "can-i", *args, check=False)
        return result.returncode, result.stdout.strip()

    assert can_i("list", "pods", "-n", NS, AS_ROBOT) == (0, "yes")
    assert can_i("delete", "pods", "-n", NS, AS_ROBOT) == (1, "no")
    assert can_i("delete", "pods", "-n", NS) == (0, "yes")  # the admin, without --as
    whoami = json.loads(kubectl(kube_env, "auth", "whoami", AS_ROBOT, "-o", "json").stdout)
    assert whoami["status"]["userInfo"] == {
        "username": ROBOT, "groups": ["system:serviceaccounts",
                                      f"system:serviceaccounts:{NS}", "system:authenticated"]}


def test_the_request_runs_as_the_impersonated_user(robot, admin, kube_env):
    denied = kubectl(kube_env, "get", "pods", "-n", NS, AS_ROBOT, check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        f'Error from server (Forbidden): pods is forbidden: User "{ROBOT}" cannot list '
        f'resource "pods" in API group "" in the namespace "{NS}"')
    as_group = kubectl(kube_env, "auth", "whoami", "--as=jane", "--as-group=developers",
                       "--as-uid=06f6ce97", "-o", "json")
    assert json.loads(as_group.stdout)["status"]["userInfo"] == {
        "username": "jane", "uid": "06f6ce97", "groups": ["developers", "system:authenticated"]}


@pytest.mark.rbac_denial_expected
def test_impersonating_needs_the_impersonate_verb(robot, admin, apiserver):
    core = client.CoreV1Api(robot)
    body = refused(lambda: core.list_namespaced_pod(
        NS, _headers={"Impersonate-User": "jane"}))
    assert body["message"] == (f'users "jane" is forbidden: User "{ROBOT}" cannot impersonate '
                               'resource "users" in API group "" at the cluster scope')
    assert body["details"] == {"name": "jane", "kind": "users"}
    # In a RoleBinding a ClusterRole grants nothing at the cluster scope, where users are.
    grant(admin, [rule(["users"], ["impersonate"], names=("jane",))], cluster_role=True,
          name="impersonate-jane-here")
    assert refused(lambda: core.list_namespaced_pod(
        NS, _headers={"Impersonate-User": "jane"}))["details"]["kind"] == "users"
    grant(admin, [rule(["users"], ["impersonate"], names=("jane",))], cluster_binding=True,
          name="impersonate-jane")
    body = refused(lambda: core.list_namespaced_pod(
        NS, _headers={"Impersonate-User": "jane", "Impersonate-Uid": "u-1"}))
    assert body["message"] == ('uids.authentication.k8s.io "u-1" is forbidden: User '
                               f'"{ROBOT}" cannot impersonate resource "uids" in API group '
                               '"authentication.k8s.io" at the cluster scope')
    body = refused(lambda: core.list_namespaced_pod(NS, _headers={"Impersonate-User": "jane"}))
    assert body["message"] == ('pods is forbidden: User "jane" cannot list resource "pods" in '
                               f'API group "" in the namespace "{NS}"')  # now asked as jane


@pytest.mark.rbac_denial_expected
def test_impersonating_a_service_account_is_checked_in_its_namespace(robot, admin):
    grant(admin, [rule(["serviceaccounts"], ["impersonate"])], name="impersonator")
    client.CoreV1Api(admin.api_client).create_namespaced_service_account(
        NS, {"metadata": {"name": "helper"}})
    grant(admin, [rule(["pods"], ["list"])], name="helper",
          subject={"kind": "ServiceAccount", "name": "helper", "namespace": NS})
    core = client.CoreV1Api(robot)
    refused(lambda: core.list_namespaced_pod(NS))  # the robot may not list pods itself
    helper = f"system:serviceaccount:{NS}:helper"
    assert core.list_namespaced_pod(NS, _headers={"Impersonate-User": helper}).items == []
    body = refused(lambda: core.list_namespaced_pod(
        NS, _headers={"Impersonate-User": "system:serviceaccount:default:builder"}))
    assert body["message"] == (
        f'serviceaccounts "builder" is forbidden: User "{ROBOT}" cannot impersonate resource '
        '"serviceaccounts" in API group "" in the namespace "default"')


def test_groups_without_a_user_are_an_internal_error(apiserver):
    response = http(apiserver, "GET", f"/api/v1/namespaces/{NS}/pods",
                    headers={"Impersonate-Group": "admins"})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == (f'Internal Server Error: "/api/v1/namespaces/{NS}/pods": '
                             "requested [{Group  admins    }] without impersonating a user\n")


# The header rules, pure ----------------------------------------------------------------------
def test_a_service_account_name_becomes_a_serviceaccounts_reference() -> None:
    [ref] = references([("Impersonate-User", "system:serviceaccount:ns:web")])
    assert ref == Reference("ServiceAccount", "web", "ns")
    attributes = ref.attributes()
    assert (attributes.verb, attributes.resource, attributes.namespace, attributes.name) == (
        "impersonate", "serviceaccounts", "ns", "web")
    # Not a valid namespace and name: an ordinary user name.
    assert references([("Impersonate-User", "system:serviceaccount:a:b:c")]) == [
        Reference("User", "system:serviceaccount:a:b:c")]


def test_extra_keys_are_lower_cased_and_unescaped() -> None:
    refs = references([("Impersonate-User", "jane"),
                       ("Impersonate-Extra-Acme.com%2FProject", "some-project"),
                       ("impersonate-extra-scopes", "view"),
                       ("Impersonate-Extra-Scopes", "development")])
    user = impersonated(refs)
    assert user.extra == {"acme.com/project": ("some-project",),
                          "scopes": ("view", "development")}
    attributes = refs[1].attributes()
    assert (attributes.api_group, attributes.combined_resource, attributes.name) == (
        "authentication.k8s.io", "userextras/acme.com/project", "some-project")


def test_the_groups_an_impersonated_user_gets() -> None:
    def groups(*headers: tuple[str, str]) -> tuple[str, ...]:
        return impersonated(references(headers)).groups

    account = ("Impersonate-User", "system:serviceaccount:ns:web")
    assert groups(account) == ("system:serviceaccounts", "system:serviceaccounts:ns",
                               "system:authenticated")
    assert groups(account, ("Impersonate-Group", "ops")) == ("ops", "system:authenticated")
    assert groups(("Impersonate-User", "system:anonymous")) == ("system:unauthenticated",)
    assert groups(("Impersonate-User", "jane"),
                  ("Impersonate-Group", "system:unauthenticated")) == (
        "system:unauthenticated",)
    assert references([("Accept", "application/json")]) == []
    with pytest.raises(WithoutUser):
        references([("Impersonate-Uid", "u-1")])
