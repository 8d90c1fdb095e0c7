"""RBAC with real clients: a ServiceAccount's token through the official client and kubectl,
Roles and bindings made by the admin through the API, as on a cluster.

https://kubernetes.io/docs/reference/access-authn-authz/rbac/
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from kubedouble.authz_log import Decision
from tests.chart.helm import CHART, CI_DIR, run_helm
from tests.kubedouble.helpers import KSR, kubectl, pipeline_run
from tests.waiting import pod_log_so_far, wait_until

NS = "kubeshowcase"
ROBOT = f"system:serviceaccount:{NS}:robot"
RBAC_GROUP = "rbac.authorization.k8s.io"


def rule(resources: list[str], verbs: list[str], groups: tuple[str, ...] = ("",),
         names: tuple[str, ...] = ()) -> dict[str, Any]:
    found = {"apiGroups": list(groups), "resources": resources, "verbs": verbs}
    return found | ({"resourceNames": list(names)} if names else {})


@pytest.fixture
def admin(kube_client) -> client.RbacAuthorizationV1Api:
    return client.RbacAuthorizationV1Api(kube_client)


@pytest.fixture
def robot(apiserver, kube_client, tmp_path) -> client.ApiClient:
    """The client of ServiceAccount kubeshowcase/robot, which no role grants anything yet."""
    client.CoreV1Api(kube_client).create_namespaced_service_account(
        NS, {"metadata": {"name": "robot"}})
    token = apiserver.service_account_token(NS, "robot")
    path = apiserver.kubeconfig_for(token, tmp_path / "robot-kubeconfig")
    robot_client = config.new_client_from_config(config_file=str(path))
    robot_client.token = token  # for kubectl --token
    return robot_client


def grant(admin: client.RbacAuthorizationV1Api, rules: list[dict[str, Any]], *,
          cluster_role: bool = False, cluster_binding: bool = False, namespace: str = NS,
          subject: dict[str, Any] | None = None, name: str = "robot-role") -> None:
    """A role with the rules, bound to the robot (or `subject`)."""
    if cluster_role or cluster_binding:
        admin.create_cluster_role({"metadata": {"name": name}, "rules": rules})
    else:
        admin.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
    ref = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole" if cluster_role or cluster_binding
           else "Role", "name": name}
    subjects = [subject or {"kind": "ServiceAccount", "name": "robot", "namespace": NS}]
    body = {"metadata": {"name": name}, "roleRef": ref, "subjects": subjects}
    if cluster_binding:
        admin.create_cluster_role_binding(body)
    else:
        admin.create_namespaced_role_binding(namespace, body)


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ApiException) as problem:
        call()
    assert problem.value.status == 403, problem.value.body
    return json.loads(problem.value.body)


def test_a_token_without_roles_may_only_discover(robot):
    core = client.CoreV1Api(robot)
    body = refused(lambda: core.list_namespaced_pod(NS))
    assert body["message"] == (f'pods is forbidden: User "{ROBOT}" cannot list resource "pods" '
                               f'in API group "" in the namespace "{NS}"')
    assert (body["reason"], body["details"]) == ("Forbidden", {"kind": "pods"})
    assert client.VersionApi(robot).get_code().git_version.startswith("v1.37")
    assert client.CoreApi(robot).get_api_versions().versions == ["v1"]
    review = client.AuthenticationV1Api(robot).create_self_subject_review({})
    assert review.status.user_info.username == ROBOT


def test_a_role_binding_grants_its_role_in_its_namespace_only(robot, admin):
    grant(admin, [rule(["pods"], ["get", "list"])])
    core = client.CoreV1Api(robot)
    assert core.list_namespaced_pod(NS).items == []
    body = refused(lambda: core.list_namespaced_pod("default"))
    assert body["message"].endswith('in the namespace "default"')
    body = refused(lambda: core.create_namespaced_pod(NS, {"metadata": {"name": "p"}}))
    assert 'cannot create resource "pods"' in body["message"]
    body = refused(lambda: core.list_pod_for_all_namespaces())
    assert body["message"] == (f'pods is forbidden: User "{ROBOT}" cannot list resource "pods" '
                               'in API group "" at the cluster scope')


def test_a_role_binding_to_a_cluster_role_grants_it_in_the_binding_namespace(robot, admin):
    grant(admin, [rule(["configmaps"], ["list"])], cluster_role=True, namespace="default")
    core = client.CoreV1Api(robot)
    assert core.list_namespaced_config_map("default").items is not None
    refused(lambda: core.list_namespaced_config_map(NS))


def test_a_cluster_role_binding_grants_everywhere_and_at_the_cluster_scope(robot, admin):
    grant(admin, [rule(["configmaps", "namespaces"], ["list"])], cluster_binding=True)
    core = client.CoreV1Api(robot)
    assert core.list_namespaced_config_map("default").items is not None
    assert core.list_config_map_for_all_namespaces().items is not None
    assert {n.metadata.name for n in core.list_namespace().items} >= {NS, "default"}
    body = refused(lambda: client.RbacAuthorizationV1Api(robot).list_cluster_role())
    assert body["message"] == (
        f'clusterroles.{RBAC_GROUP} is forbidden: User "{ROBOT}" cannot list resource '
        f'"clusterroles" in API group "{RBAC_GROUP}" at the cluster scope')
    assert body["details"] == {"group": RBAC_GROUP, "kind": "clusterroles"}


def test_wildcards_match_every_group_resource_and_verb(robot, admin):
    grant(admin, [rule(["*"], ["get", "list"], groups=("*",))])
    assert client.BatchV1Api(robot).list_namespaced_job(NS).items == []
    assert client.CoreV1Api(robot).list_namespaced_secret(NS).items is not None
    refused(lambda: client.CoreV1Api(robot).create_namespaced_config_map(
        NS, {"metadata": {"name": "c"}}))
    grant(admin, [rule(["configmaps"], ["*"])], name="all-verbs")
    client.CoreV1Api(robot).create_namespaced_config_map(NS, {"metadata": {"name": "c"}})
    client.CoreV1Api(robot).delete_namespaced_config_map("c", NS)


def test_resource_names_limit_a_rule_to_those_objects(robot, admin, kube_client):
    admin_core = client.CoreV1Api(kube_client)
    for name in ("mine", "theirs"):
        admin_core.create_namespaced_config_map(NS, {"metadata": {"name": name}})
    grant(admin, [rule(["configmaps"], ["get", "list", "watch"], names=("mine",))])
    core = client.CoreV1Api(robot)
    assert core.read_namespaced_config_map("mine", NS).metadata.name == "mine"
    body = refused(lambda: core.read_namespaced_config_map("theirs", NS))
    assert body["message"].startswith(f'configmaps "theirs" is forbidden: User "{ROBOT}" '
                                      'cannot get resource "configmaps"')
    assert body["details"] == {"name": "theirs", "kind": "configmaps"}
    refused(lambda: core.list_namespaced_config_map(NS))
    # a list or watch that names its object by field selector is about that object
    listed = core.list_namespaced_config_map(NS, field_selector="metadata.name=mine")
    assert [c.metadata.name for c in listed.items] == ["mine"]


def test_a_subresource_is_granted_apart_from_its_resource(robot, admin, kube_client):
    admin_core = client.CoreV1Api(kube_client)
    admin_core.create_namespaced_pod(NS, {"metadata": {"name": "talker"}, "spec": {
        "restartPolicy": "Never", "containers": [
            {"name": "main", "image": "busybox:1.36", "command": ["echo", "hello"]}]}})
    wait_until(lambda: "hello" in pod_log_so_far(admin_core, "talker", NS), 30)
    core = client.CoreV1Api(robot)
    body = refused(lambda: core.read_namespaced_pod_log("talker", NS))
    assert body["message"] == (f'pods "talker" is forbidden: User "{ROBOT}" cannot get '
                               f'resource "pods/log" in API group "" in the namespace "{NS}"')
    grant(admin, [rule(["pods/log"], ["get"])])
    assert core.read_namespaced_pod_log("talker", NS) == "hello\n"
    refused(lambda: core.read_namespaced_pod("talker", NS))


def test_watch_is_a_verb_of_its_own(robot, admin, kube_client):
    grant(admin, [rule(["configmaps"], ["list"])])
    core = client.CoreV1Api(robot)
    body = refused(lambda: list(watch.Watch().stream(core.list_namespaced_config_map, NS,
                                                     timeout_seconds=1)))
    assert 'cannot watch resource "configmaps"' in body["message"]
    grant(admin, [rule(["configmaps"], ["watch"])], name="watcher")
    client.CoreV1Api(kube_client).create_namespaced_config_map(NS, {"metadata": {"name": "w"}})
    events = list(watch.Watch().stream(core.list_namespaced_config_map, NS, timeout_seconds=1))
    assert ("ADDED", "w") in [(e["type"], e["object"].metadata.name) for e in events]


def test_delete_and_deletecollection_are_different_verbs(robot, admin, kube_client):
    client.CoreV1Api(kube_client).create_namespaced_config_map(NS, {"metadata": {"name": "d"}})
    grant(admin, [rule(["configmaps"], ["delete"])])
    core = client.CoreV1Api(robot)
    body = refused(lambda: core.delete_collection_namespaced_config_map(NS))
    assert 'cannot deletecollection resource "configmaps"' in body["message"]
    core.delete_namespaced_config_map("d", NS)


def test_groups_and_users_are_subjects_too(robot, admin):
    grant(admin, [rule(["configmaps"], ["list"])],
          subject={"kind": "Group", "name": f"system:serviceaccounts:{NS}"})
    assert client.CoreV1Api(robot).list_namespaced_config_map(NS).items is not None
    grant(admin, [rule(["secrets"], ["list"])], name="by-name",
          subject={"kind": "User", "name": ROBOT})
    assert client.CoreV1Api(robot).list_namespaced_secret(NS).items is not None
    refused(lambda: client.CoreV1Api(robot).list_namespaced_pod(NS))


def test_a_binding_to_a_missing_role_says_so(robot, admin):
    admin.create_namespaced_role_binding(NS, {
        "metadata": {"name": "dangling"},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "ghost"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot"}]})
    body = refused(lambda: client.CoreV1Api(robot).list_namespaced_pod(NS))
    assert body["message"].endswith(f': RBAC: role.{RBAC_GROUP} "ghost" not found')


def test_the_bootstrap_roles_are_stored(admin):
    names = {r.metadata.name for r in admin.list_cluster_role().items}
    assert names >= {"cluster-admin", "system:basic-user", "system:discovery",
                     "system:public-info-viewer"}
    binding = admin.read_cluster_role_binding("system:discovery")
    assert [s.name for s in binding.subjects] == ["system:authenticated"]


def test_kubectl_auth_can_i_asks_the_server(robot, admin, kube_env):
    grant(admin, [rule(["pods", "pods/log"], ["get", "list"]),
                  rule(["jobs"], ["create"], groups=("batch",))])

    def can_i(*args: str) -> tuple[int, str]:
        result = kubectl(kube_env, "auth", "can-i", *args, f"--token={robot.token}",
                         check=False)
        return result.returncode, result.stdout.strip()

    assert can_i("list", "pods") == (0, "yes")
    assert can_i("get", "pods", "--subresource=log") == (0, "yes")
    assert can_i("create", "jobs.batch") == (0, "yes")
    assert can_i("delete", "pods") == (1, "no")
    assert can_i("list", "pods", "-n", "default") == (1, "no")
    assert can_i("get", "/healthz") == (0, "yes")
    assert can_i("get", "/metrics") == (1, "no")
    rules = kubectl(kube_env, "auth", "can-i", "--list", f"--token={robot.token}").stdout
    assert any(line.split()[0] == "pods" and "[get list]" in line
               for line in rules.splitlines())
    admin_says = kubectl(kube_env, "auth", "can-i", "delete", "nodes").stdout.strip()
    assert admin_says == "yes"


def test_kubectl_apply_stores_roles_and_keeps_a_binding_role_ref(kube_env, admin):
    manifest = f"""\
apiVersion: {RBAC_GROUP}/v1
kind: ClusterRole
metadata: {{name: "kubeshowcase:reader"}}
rules:
- {{apiGroups: [""], resources: [pods], verbs: [get]}}
---
apiVersion: {RBAC_GROUP}/v1
kind: RoleBinding
metadata: {{name: reader}}
roleRef: {{apiGroup: {RBAC_GROUP}, kind: ClusterRole, name: "kubeshowcase:reader"}}
subjects:
- {{kind: ServiceAccount, name: robot}}
"""
    created = kubectl(kube_env, "apply", "-f", "-", stdin=manifest).stdout
    assert f"rolebinding.{RBAC_GROUP}/reader created" in created
    assert admin.read_cluster_role("kubeshowcase:reader").rules[0].verbs == ["get"]
    wide = kubectl(kube_env, "get", "rolebindings", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    [reader] = [row.split() for row in wide[1:] if row.startswith("reader ")]  # and the chart's
    assert reader[:2] == ["reader", "ClusterRole/kubeshowcase:reader"]
    assert reader[-1] == "robot"
    roles = kubectl(kube_env, "get", "clusterroles").stdout.splitlines()
    assert roles[0].split() == ["NAME", "CREATED", "AT"]
    moved = kubectl(kube_env, "apply", "-f", "-", check=False, stdin=manifest.replace(
        'kind: ClusterRole, name: "kubeshowcase:reader"', 'kind: ClusterRole, name: view'))
    assert moved.returncode != 0 and "cannot change roleRef" in moved.stderr
    bad = kubectl(kube_env, "apply", "-f", "-", check=False, stdin=manifest.replace(
        "verbs: [get]", "verbs: []"))
    assert bad.returncode != 0 and "rules[0].verbs: Required value" in bad.stderr


def _job_owned_by(run: dict[str, Any], block: bool) -> dict[str, Any]:
    return {"metadata": {"name": "owned", "ownerReferences": [{
        "apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun",
        "name": run["metadata"]["name"], "uid": run["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": block}]},
        "spec": {"suspend": True, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "main", "image": "busybox:1.36", "command": ["true"]}]}}}}


def test_blocking_an_owner_deletion_needs_its_finalizers(robot, admin, kube_client):
    run = client.CustomObjectsApi(kube_client).create_namespaced_custom_object(
        *KSR[:2], NS, KSR[2], pipeline_run("run-1"))
    grant(admin, [rule(["jobs"], ["create", "delete"], groups=("batch",))])
    batch = client.BatchV1Api(robot)
    body = refused(lambda: batch.create_namespaced_job(NS, _job_owned_by(run, block=True)))
    assert body["message"] == (
        'jobs.batch "owned" is forbidden: cannot set blockOwnerDeletion if an ownerReference '
        "refers to a resource you can't set finalizers on: , <nil>")
    batch.create_namespaced_job(NS, _job_owned_by(run, block=False))
    batch.delete_namespaced_job("owned", NS, propagation_policy="Background")
    grant(admin, [rule(["pipelineruns/finalizers"], ["update"], groups=("kubeshowcase.io",))],
          name="finalizers")
    created = batch.create_namespaced_job(NS, _job_owned_by(run, block=True))
    assert created.metadata.owner_references[0].block_owner_deletion is True


def _render_chart_rbac(tmp_path) -> list[dict[str, Any]]:
    """The chart's Roles, RoleBindings and ServiceAccounts (`helm template -s ...`)."""
    templates = [str(p.relative_to(CHART)) for p in sorted(CHART.glob("templates/*/*.yaml"))
                 if p.name.endswith(("rbac.yaml", "serviceaccount.yaml"))]
    shown = [arg for t in templates for arg in ("--show-only", t)]
    result = run_helm("template", "demo", str(CHART), "--namespace", NS,
                      "--values", str(CI_DIR / "default-values.yaml"), *shown)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    (tmp_path / "rbac.yaml").write_text(rendered)
    return [d for d in yaml.safe_load_all(rendered) if d]


def test_the_chart_roles_apply_and_grant_their_accounts_what_they_list(kube_env, tmp_path,
                                                                      apiserver):
    docs = _render_chart_rbac(tmp_path)
    kubectl(kube_env, "apply", "-f", str(tmp_path / "rbac.yaml"))
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Role"}
    bindings = [d for d in docs if d["kind"] == "RoleBinding"]
    assert roles and bindings
    for bound in bindings:
        account = bound["subjects"][0]["name"]
        token = apiserver.service_account_token(NS, account)
        path = apiserver.kubeconfig_for(token, tmp_path / f"{account}-kubeconfig")
        reviews = client.AuthorizationV1Api(config.new_client_from_config(config_file=str(path)))

        def allowed(namespace: str, verb: str, group: str, resource: str,
                    name: str = "") -> bool:
            plural, _, sub = resource.partition("/")
            spec = {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": group,
                                           "resource": plural, "subresource": sub,
                                           "name": name}}
            return bool(reviews.create_self_subject_access_review({"spec": spec}).status.allowed)

        for granted_rule in roles[bound["roleRef"]["name"]]["rules"]:
            names = granted_rule.get("resourceNames") or [""]
            for group, resource, verb, name in itertools.product(
                    granted_rule["apiGroups"], granted_rule["resources"], granted_rule["verbs"],
                    names):
                assert allowed(NS, verb, group, resource, name), (account, verb, resource)
                assert not allowed("default", verb, group, resource, name)
                if name:  # a rule for one object grants nothing of its other objects
                    assert not allowed(NS, verb, group, resource, name + "-other")
        assert not allowed(NS, "create", "", "secrets"), account


def test_the_chart_operator_account_may_create_the_job_the_operator_builds(
        tmp_path, apiserver, kube_client):
    """blockOwnerDeletion on the run's Job needs update on pipelineruns/finalizers
    (OwnerReferencesPermissionEnforcement): the chart's operator Role (in every test's double,
    tests/fixtures/chart_accounts.py) grants it."""
    from kubeshowcase_operator.jobs import job_for_run
    from kubeshowcase_operator.views import PipelineView, RunView
    from tests.operator.bodies import settings_for

    operator = config.new_client_from_config(config_file=str(apiserver.kubeconfigs["operator"]))
    run = client.CustomObjectsApi(kube_client).create_namespaced_custom_object(
        *KSR[:2], NS, KSR[2], pipeline_run("run-1"))
    settings = settings_for(tmp_path)  # namespace kubeshowcase (NS)
    pipeline = PipelineView(name="nuclei", resource_version="1", spec={"image": "busybox:1.36"})
    body = job_for_run(RunView.from_body(run), pipeline, settings)
    assert body["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] is True
    created = client.BatchV1Api(operator).create_namespaced_job(NS, body)
    assert created.metadata.owner_references[0].uid == run["metadata"]["uid"]
    user = "system:serviceaccount:kubeshowcase:kubeshowcase-operator"
    assert Decision(user, "update", "kubeshowcase.io", "pipelineruns", "finalizers", NS,
                    True) in apiserver.decisions.all()  # asked by the admission plugin


def test_the_double_records_each_decision_for_users_outside_system_masters(
        robot, admin, apiserver, kube_client):
    before = set(apiserver.decisions.all())
    client.CoreV1Api(kube_client).list_namespaced_pod(NS)  # the admin's: not recorded
    refused(lambda: client.CoreV1Api(robot).list_namespaced_pod(NS))
    review = {"spec": {"resourceAttributes": {"namespace": NS, "verb": "delete",
                                              "resource": "secrets"}}}
    client.AuthorizationV1Api(robot).create_self_subject_access_review(review)
    added = set(apiserver.decisions.all()) - before
    assert added == {
        Decision(ROBOT, "list", "", "pods", "", NS, False),
        # The review itself is a request; the access it asks about is no decision.
        Decision(ROBOT, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "",
                 True)}
    assert apiserver.decisions.counts()[Decision(ROBOT, "list", "", "pods", "", NS, False)] == 1
