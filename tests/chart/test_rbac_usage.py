"""The RBAC audit's comparison: what a Role grants, as (verb, group, resource, subresource),
against what a component used; and how one double's decisions are gathered."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from kubedouble.authz_log import Decision
from tests.fixtures import chart_accounts
from tests.fixtures.rbac_audit import Audit
from tests.fixtures.rbac_usage import Permission, granted, uncovered, unused
from tests.inner_pytest import run_pytest


def P(verb: str, group: str, resource: str, subresource: str = "") -> Permission:  # noqa: N802
    return Permission(verb, group, resource, subresource)


def test_a_rule_expands_to_every_verb_group_and_resource() -> None:
    rules = [{"apiGroups": ["", "batch"], "resources": ["pods", "jobs"], "verbs": ["get", "list"]}]
    assert granted(rules) == {P(v, g, r) for v in ("get", "list") for g in ("", "batch")
                              for r in ("pods", "jobs")}


def test_a_subresource_is_its_own_permission() -> None:
    rules = [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}]
    assert granted(rules) == {P("get", "", "pods"), P("get", "", "pods", "log")}
    assert unused(granted(rules), [P("get", "", "pods")]) == [P("get", "", "pods", "log")]


def test_rules_add_up_and_resource_names_do_not_change_the_grant() -> None:
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
             {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "delete"],
              "resourceNames": ["one"]}]
    assert granted(rules) == {P("get", "", "pods"), P("delete", "", "pods")}


def test_non_resource_rules_grant_no_resource() -> None:
    assert granted([{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]) == set()


def test_a_grant_is_unused_until_a_use_matches_it_exactly() -> None:
    grants = granted([{"apiGroups": ["kubeshowcase.io"], "resources": ["pipelineruns"],
                       "verbs": ["get", "watch"]}])
    uses = [P("get", "kubeshowcase.io", "pipelineruns"),
            P("watch", "kubeshowcase.io", "pipelineruns", "status"),  # a subresource is not it
            P("watch", "other.io", "pipelineruns")]  # nor another group's
    assert unused(grants, uses) == [P("watch", "kubeshowcase.io", "pipelineruns")]


def test_wildcards_are_used_by_any_use_they_match() -> None:
    everything = granted([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    assert everything == {P("*", "*", "*")}
    assert unused(everything, []) == [P("*", "*", "*")]
    assert unused(everything, [P("get", "", "pods", "log")]) == []
    logs = granted([{"apiGroups": [""], "resources": ["*/log"], "verbs": ["get"]}])
    assert unused(logs, [P("get", "", "pods")]) == [P("get", "", "*", "log")]
    assert unused(logs, [P("get", "", "pods", "log")]) == []
    any_verb = granted([{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["*"]}])
    assert unused(any_verb, [P("patch", "batch", "jobs")]) == []
    assert unused(any_verb, [P("patch", "batch", "cronjobs")]) == [P("*", "batch", "jobs")]


def test_uses_no_grant_allows_are_listed_apart() -> None:
    grants = granted([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
    discovery = P("create", "authorization.k8s.io", "selfsubjectaccessreviews")
    assert uncovered(grants, [P("get", "", "pods"), discovery]) == [discovery]


OPERATOR = "system:serviceaccount:kubeshowcase:kubeshowcase-operator"


def test_the_audit_counts_component_uses_and_returns_unexpected_denials() -> None:
    audit = Audit()
    decisions = {
        Decision(OPERATOR, "get", "batch", "jobs", "", "kubeshowcase", True): 3,
        Decision(OPERATOR, "delete", "", "secrets", "", "kubeshowcase", False): 1,
        Decision(OPERATOR, "get", "", "", "", "", True, path="/version"): 2,
        Decision("system:serviceaccount:kubeshowcase:robot", "get", "", "pods", "",
                 "kubeshowcase", False): 1,  # not one of ours
    }
    surprising = audit.add("t1", decisions, expected_denials=False)
    assert [d.resource for d in surprising] == ["secrets"]
    assert audit.used == {"operator": {P("get", "batch", "jobs"): 3}}
    assert audit.add("t2", decisions, expected_denials=True) == []
    assert [test for test, _ in audit.denials] == ["t1", "t2"]
    report = audit.report()["components"]["operator"]
    assert report["used"] == {"get jobs (batch)": 6}
    assert "get jobs (batch)" not in report["unused"]


@pytest.mark.rbac_denial_expected
def test_the_double_records_a_component_denied_and_allowed(apiserver, tmp_path) -> None:
    web = config.new_client_from_config(config_file=str(apiserver.kubeconfigs["web"]))
    with pytest.raises(ApiException) as gone:  # as a live run's log does, its pod gone
        client.CoreV1Api(web).read_namespaced_pod_log("run-1-abcde", "kubeshowcase")
    assert gone.value.status == 404  # allowed, then not found
    with pytest.raises(ApiException) as refused:
        client.CoreV1Api(web).list_namespaced_secret("kubeshowcase")
    assert refused.value.status == 403
    user = next(u for u, c in chart_accounts.component_users().items() if c == "web")
    recorded = apiserver.decisions.all()
    assert Decision(user, "get", "", "pods", "log", "kubeshowcase", True) in recorded
    assert Decision(user, "list", "", "secrets", "", "kubeshowcase", False) in recorded
    assert apiserver.decisions.denied() == [
        Decision(user, "list", "", "secrets", "", "kubeshowcase", False)]


PLUGIN_CONFTEST = '''\
pytest_plugins = ["tests.fixtures.rbac_audit", "tests.fixtures.apiserver"]
'''
PLUGIN_TESTS = '''\
import pytest
from kubernetes import client, config


def list_secrets(apiserver):
    web = config.new_client_from_config(config_file=str(apiserver.kubeconfigs["web"]))
    try:
        client.CoreV1Api(web).list_namespaced_secret("kubeshowcase")
    except client.exceptions.ApiException as error:
        assert error.status == 403


def test_denied(apiserver):
    list_secrets(apiserver)


@pytest.mark.rbac_denial_expected
def test_denied_on_purpose(apiserver):
    list_secrets(apiserver)
'''


def run_plugin_session(folder: Path, *args: str,
                       audit: str | None) -> subprocess.CompletedProcess[str]:
    """pytest on PLUGIN_TESTS in `folder` with the audit plugin; KSC_RBAC_AUDIT=`audit`."""
    env = {"KSC_RBAC_USAGE_FILE": str(folder / "usage.json")}
    if audit is not None:
        env["KSC_RBAC_AUDIT"] = audit
    return run_pytest(folder, {"conftest.py": PLUGIN_CONFTEST, "test_plugin.py": PLUGIN_TESTS},
                      *args, env=env)


def test_the_plugin_fails_a_denied_test_and_an_unused_grant(tmp_path: Path) -> None:
    """A pytest session of its own: one test denied by surprise, one on purpose, and (forced
    to audit) grants nobody used."""
    result = run_plugin_session(tmp_path, audit="1")
    usage = tmp_path / "usage.json"
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 passed, 1 error" in result.stdout, result.stdout  # test_denied's at teardown
    assert "ERROR at teardown of test_denied " in result.stdout
    assert "kubeshowcase-web was denied list secrets" in result.stdout
    assert "RBAC audit: grants the whole suite never used" in result.stdout
    report = json.loads(usage.read_text())
    assert len(report["denials"]) == 2 and report["wholeSuite"] is True
    assert "create jobs (batch)" in report["components"]["operator"]["unused"]


def test_a_session_of_some_tests_only_is_not_audited_for_unused_grants(tmp_path: Path) -> None:
    result = run_plugin_session(tmp_path, "-k", "on_purpose", audit=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 deselected" in result.stdout
    assert json.loads((tmp_path / "usage.json").read_text())["wholeSuite"] is False
