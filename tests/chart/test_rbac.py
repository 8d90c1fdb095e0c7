"""Web and operator get exactly the namespaced permissions they need, and nothing cluster-wide."""

from __future__ import annotations

import pytest

from tests.chart.helm import CI_DIR, SCENARIOS, render

WEB_RULES = {
    ("kubeshowcase.io", "pipelines"): {"get", "list", "watch"},
    ("kubeshowcase.io", "pipelineruns"): {"create", "get", "list", "watch", "patch"},
    ("", "pods"): {"get", "list"},
    ("", "pods/log"): {"get"},
    ("", "events"): {"list"},
}
# manage.py cleanup removes expired guests' runs (their Jobs go by owner reference).
CLEANUP_RULES = {
    ("kubeshowcase.io", "pipelineruns"): {"list", "delete"},
}
OPERATOR_RULES = {
    ("kubeshowcase.io", "pipelineruns"): {"get", "list", "watch", "patch", "update"},
    ("kubeshowcase.io", "pipelineruns/status"): {"get", "patch", "update"},
    ("kubeshowcase.io", "pipelineruns/finalizers"): {"update"},
    ("kubeshowcase.io", "pipelines"): {"get", "list", "watch"},
    ("batch", "jobs"): {"create", "get", "list", "watch", "patch", "delete"},
    ("", "pods"): {"get", "list", "watch", "delete"},
    ("", "pods/log"): {"get"},
    ("", "events"): {"create", "patch"},
    ("coordination.k8s.io", "leases"): {"get", "create", "update", "patch"},
}


def granted(role):
    """(apiGroup, resource) -> verbs, failing on anything a rule could hide (wildcards, names)."""
    grants: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                assert "*" not in (group, resource) and "*" not in rule["verbs"], rule
                grants.setdefault((group, resource), set()).update(rule["verbs"])
    return grants


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_web_role_is_exactly_what_the_web_app_needs(scenario):
    assert granted(render(scenario).component("Role", "web")) == WEB_RULES


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_operator_role_is_exactly_what_the_operator_needs(scenario):
    assert granted(render(scenario).component("Role", "operator")) == OPERATOR_RULES


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cleanup_role_may_only_list_and_delete_runs(scenario):
    assert granted(render(scenario).component("Role", "cleanup")) == CLEANUP_RULES


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_nothing_is_cluster_wide(scenario):
    manifests = render(scenario)
    assert manifests.of_kind("ClusterRole") == manifests.of_kind("ClusterRoleBinding") == []
    # web, operator, cleanup, and the SECRET_KEY hook's unless the scenario names a Secret.
    existing = "existingSecret: kubeshowcase-django" in (CI_DIR / scenario).read_text()
    expected = 3 if existing else 4
    assert len(manifests.of_kind("Role")) == len(manifests.of_kind("RoleBinding")) == expected


def test_no_secret_access_for_anyone():
    # SECRET_KEY and DATABASE_URL reach the pods through env; no component reads Secrets itself.
    # Only the pre-install hook that makes SECRET_KEY may (tests/chart/test_secret_key.py).
    manifests = render("default-values.yaml")
    for role in manifests.of_kind("Role"):
        if role["metadata"]["labels"]["app.kubernetes.io/component"] != "secret-key":
            assert not [key for key in granted(role) if key[1] == "secrets"]
