"""Web, operator, cleanup and watcher get namespaced Roles only, the same whatever the values;
what each Role grants is checked against what the component used by the suite's RBAC audit
(tests/fixtures/rbac_audit.py: a grant the whole suite never used fails it)."""

from __future__ import annotations

import pytest

from tests.chart.helm import CI_DIR, SCENARIOS, render
from tests.fixtures import chart_accounts
from tests.fixtures.rbac_usage import granted

COMPONENTS = ("web", "operator", "cleanup", "watcher")


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("component", COMPONENTS)
def test_every_scenario_grants_what_the_audited_roles_grant(scenario, component):
    # The suite runs (and audits) the Roles of the default values; no value widens them.
    rules = render(scenario).component("Role", component)["rules"]
    assert rules == chart_accounts.roles()[component]["rules"]


@pytest.mark.parametrize("component", COMPONENTS)
def test_rules_name_their_groups_resources_and_verbs(component):
    # No wildcard: what a rule grants is what it says. resourceNames only narrow a rule, and
    # only where Kubernetes honours them: never on create, and on list/watch only for the
    # queue ConfigMap, which its users list and watch by fieldSelector metadata.name.
    for rule in chart_accounts.roles()[component]["rules"]:
        assert set(rule) - {"resourceNames"} == {"apiGroups", "resources", "verbs"}, rule
        assert not {"*"} & {*rule["apiGroups"], *rule["resources"], *rule["verbs"]}, rule
        if "resourceNames" in rule:
            assert rule["resourceNames"] == ["kubeshowcase-queue"], rule
            assert rule["resources"] == ["configmaps"] and "create" not in rule["verbs"], rule


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_nothing_is_cluster_wide(scenario):
    manifests = render(scenario)
    assert manifests.of_kind("ClusterRole") == manifests.of_kind("ClusterRoleBinding") == []
    # web, operator, cleanup, watcher, and the SECRET_KEY hook's unless the scenario names a
    # Secret.
    existing = "existingSecret: kubeshowcase-django" in (CI_DIR / scenario).read_text()
    expected = 4 if existing else 5
    assert len(manifests.of_kind("Role")) == len(manifests.of_kind("RoleBinding")) == expected


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_role_is_bound_to_its_own_account_only(component):
    role = chart_accounts.roles()[component]["metadata"]["name"]
    [binding] = [doc for doc in chart_accounts.rendered()
                 if doc["kind"] == "RoleBinding" and doc["roleRef"]["name"] == role]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"kubeshowcase-{component}",
                                    "namespace": chart_accounts.NAMESPACE}]


def test_no_secret_access_for_anyone():
    # SECRET_KEY and DATABASE_URL reach the pods through env; no component reads Secrets itself.
    # Only the pre-install hook that makes SECRET_KEY may (tests/chart/test_secret_key.py).
    for name, role in chart_accounts.roles().items():
        if name != "secret-key":
            assert not [p for p in granted(role["rules"]) if p.resource == "secrets"], name
