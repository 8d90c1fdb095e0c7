"""The NetworkPolicies select the pods the chart and the operator really run, and let through
only what each component needs: checked by evaluating the policies against rendered labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubeshowcase_operator.jobs import job_for_run
from kubeshowcase_operator.settings import load as load_operator_settings
from kubeshowcase_operator.views import PipelineView, RunView
from tests.chart.helm import NAMESPACE, SCENARIOS, Manifests, render, render_error

INGRESS_NGINX_NAMESPACE = {"kubernetes.io/metadata.name": "ingress-nginx"}
# The labels the ingress-nginx Helm chart puts on its controller pods.
INGRESS_NGINX_POD = {"app.kubernetes.io/name": "ingress-nginx",
                     "app.kubernetes.io/instance": "ingress-nginx",
                     "app.kubernetes.io/component": "controller"}
RELEASE_NAMESPACE = {"kubernetes.io/metadata.name": NAMESPACE}


# --- a small NetworkPolicy evaluator (label selectors and ingress/egress peers) ---


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics; an empty selector selects everything."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer: dict[str, Any], pod: dict[str, str], namespace: dict[str, str]) -> bool:
    if "ipBlock" in peer:
        return False  # pods are matched by selectors here; address blocks are checked apart
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], namespace):
            return False
    elif namespace != RELEASE_NAMESPACE:
        return False  # a podSelector alone means the policy's own namespace
    return selects(peer.get("podSelector") or {}, pod)


def ingress_allowed(policy: dict[str, Any], pod: dict[str, str], namespace: dict[str, str],
                    port: int) -> bool:
    rules = policy["spec"].get("ingress") or []
    return any(
        (not rule.get("from") or any(peer_matches(peer, pod, namespace) for peer in rule["from"]))
        and (not rule.get("ports") or any(item.get("port") == port for item in rule["ports"]))
        for rule in rules
    )


def test_the_evaluator_can_say_no() -> None:
    assert selects({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
    assert not selects({"matchLabels": {"a": "1"}}, {"a": "2"})
    assert selects({"matchExpressions": [{"key": "r", "operator": "Exists"}]}, {"r": "x"})
    assert not selects({"matchExpressions": [{"key": "r", "operator": "Exists"}]}, {})
    assert not selects({"matchExpressions": [{"key": "r", "operator": "In", "values": ["a"]}]},
                       {"r": "b"})
    assert not peer_matches({"podSelector": {}}, {}, INGRESS_NGINX_NAMESPACE)


# --- the pods ---


def pod_labels(manifests: Manifests) -> dict[str, dict[str, str]]:
    """Labels of every pod the chart runs, by component, plus a pipeline run's pod."""
    labels = {}
    for deployment in manifests.of_kind("Deployment"):
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        labels[component] = deployment["spec"]["template"]["metadata"]["labels"]
    for cronjob in manifests.of_kind("CronJob"):
        component = cronjob["metadata"]["labels"]["app.kubernetes.io/component"]
        labels[component] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
            "labels"]
    (test_pod,) = manifests.of_kind("Pod")
    labels["test"] = test_pod["metadata"]["labels"]
    labels["pipeline"] = pipeline_pod_labels(manifests)
    return labels


def pipeline_pod_labels(manifests: Manifests) -> dict[str, str]:
    """The pod labels of the Job the operator, configured as the chart configures it, makes."""
    operator = manifests.component("Deployment", "operator")["spec"]["template"]["spec"]
    env = {item["name"]: item["value"] for item in operator["containers"][0]["env"]
           if "value" in item}
    env |= {"KUBE_NAMESPACE": NAMESPACE, "POD_NAME": "operator-0", "DATA_ROOT": str(Path.cwd())}
    settings = load_operator_settings(env)
    pipeline = manifests.of_kind("Pipeline")[0]
    run = RunView.from_body({
        "metadata": {"name": "cells-x7k2p", "uid": "u1", "resourceVersion": "1", "generation": 1,
                     "creationTimestamp": "2025-01-01T10:00:00Z"},
        "spec": {"pipeline": pipeline["metadata"]["name"], "owner": "alice",
                 "project": "alice/cells", "args": "{}"},
    })
    job = job_for_run(run, PipelineView.from_body(pipeline), settings)
    return job["spec"]["template"]["metadata"]["labels"]


def policy(manifests: Manifests, component: str) -> dict[str, Any]:
    return manifests.component("NetworkPolicy", component)


@pytest.fixture(params=SCENARIOS)
def manifests(request: pytest.FixtureRequest) -> Manifests:
    return render(request.param)


def test_each_policy_selects_exactly_its_components_pods(manifests: Manifests) -> None:
    labels = pod_labels(manifests)
    for component in ("web", "operator", "pipeline", "cleanup"):
        selector = policy(manifests, component)["spec"]["podSelector"]
        chosen = sorted(name for name, pod in labels.items() if selects(selector, pod))
        assert chosen == [component], component


def test_the_cleanup_pods_take_no_connection_at_all(manifests: Manifests) -> None:
    cleanup = policy(manifests, "cleanup")
    assert cleanup["spec"]["policyTypes"] == ["Ingress"] and not cleanup["spec"].get("ingress")
    assert not ingress_allowed(cleanup, INGRESS_NGINX_POD, INGRESS_NGINX_NAMESPACE, 8000)


def test_the_web_pods_take_connections_from_the_ingress_controller_only(manifests: Manifests) -> None:
    web = policy(manifests, "web")
    assert web["spec"]["policyTypes"] == ["Ingress"]
    web_port = manifests.component("Deployment", "web")["spec"]["template"]["spec"][
        "containers"][0]["ports"][0]["containerPort"]
    assert ingress_allowed(web, INGRESS_NGINX_POD, INGRESS_NGINX_NAMESPACE, web_port)
    assert not ingress_allowed(web, INGRESS_NGINX_POD, INGRESS_NGINX_NAMESPACE, 8080)
    labels = pod_labels(manifests)
    # `helm test` checks /healthz through the Service.
    assert ingress_allowed(web, labels["test"], RELEASE_NAMESPACE, web_port)
    refused = [
        (labels["pipeline"], RELEASE_NAMESPACE),  # a pipeline posing as the auth proxy
        (labels["operator"], RELEASE_NAMESPACE),
        ({"app.kubernetes.io/name": "something-else"}, INGRESS_NGINX_NAMESPACE),
        (INGRESS_NGINX_POD, {"kubernetes.io/metadata.name": "tenant-a"}),  # look-alike labels
        (INGRESS_NGINX_POD, RELEASE_NAMESPACE),
    ]
    for pod, namespace in refused:
        assert not ingress_allowed(web, pod, namespace, web_port), (pod, namespace)


def test_pipeline_pods_get_no_network_at_all_by_default() -> None:
    spec = policy(render("default-values.yaml"), "pipeline")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in spec and "egress" not in spec


def test_pipelines_get_the_extra_egress_an_admin_declares(tmp_path: Path) -> None:
    values = tmp_path / "egress.yaml"
    values.write_text("networkPolicy:\n  pipelines:\n    extraEgress:\n"
                      "      - to: [{ipBlock: {cidr: 10.20.0.0/16}}]\n"
                      "        ports: [{port: 443, protocol: TCP}]\n")
    spec = policy(render("default-values.yaml", files=(values,)), "pipeline")["spec"]
    assert spec["egress"] == [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
                               "ports": [{"port": 443, "protocol": "TCP"}]}]
    assert "ingress" not in spec


def test_the_operator_reaches_only_the_api_server_and_dns() -> None:
    spec = policy(render("default-values.yaml"), "operator")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in spec
    api, dns = spec["egress"]
    assert api == {"ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}
    coredns = {"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"}
    (peer,) = dns["to"]
    assert peer_matches(peer, coredns, {"kubernetes.io/metadata.name": "kube-system"})
    assert not peer_matches(peer, coredns, RELEASE_NAMESPACE)
    assert dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def test_the_api_server_can_be_pinned_to_its_addresses() -> None:
    spec = policy(render("ingress-sso-values.yaml"), "operator")["spec"]
    assert spec["egress"][0] == {
        "to": [{"ipBlock": {"cidr": f"192.168.10.{n}/32"}} for n in (2, 3, 4)],
        "ports": [{"port": 6443, "protocol": "TCP"}],
    }


def test_they_can_be_turned_off_when_sso_is_off() -> None:
    manifests = render("default-values.yaml", "networkPolicy.enabled=false")
    assert manifests.of_kind("NetworkPolicy") == []


def test_they_cannot_be_turned_off_while_sso_is_on() -> None:
    error = render_error("ingress-sso-values.yaml", "networkPolicy.enabled=false")
    assert "web.sso.header is set, so networkPolicy.enabled must stay true" in error


def test_an_empty_ingress_controller_namespace_selector_is_refused() -> None:
    # Helm merges a values file's `{}` into the default; null is how the default is removed.
    error = render_error("default-values.yaml",
                         "networkPolicy.web.ingressController.namespaceSelector=null")
    assert "namespaceSelector must not be empty" in error


# --- the single sign-on example ---


def test_sso_needs_exact_proxy_addresses() -> None:
    for cidr in ("10.0.0.0/8", "10.244.0.0/16", "fd00::/64"):
        error = render_error("ingress-sso-values.yaml", f"web.sso.trustedProxies={{{cidr}}}")
        assert "/web/sso/trustedProxies/0" in error, cidr
    render("ingress-sso-values.yaml", "web.sso.trustedProxies={10.1.2.3/32,fd00::1}")


def test_sso_needs_the_proxys_shared_secret() -> None:
    error = render_error("ingress-sso-values.yaml", "web.sso.sharedSecret.existingSecret=")
    assert "web.sso.sharedSecret.existingSecret" in error
    error = render_error("ingress-sso-values.yaml", "web.sso.trustedProxies=null")
    assert "web.sso.trustedProxies" in error


def test_the_sso_example_takes_identity_and_secret_from_the_auth_service_only() -> None:
    manifests = render("ingress-sso-values.yaml")
    annotations = manifests.component("Ingress", "web")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-url"].endswith("/oauth2/auth")
    passed = [name.strip().lower() for name in
              annotations["nginx.ingress.kubernetes.io/auth-response-headers"].split(",")]
    container = manifests.component("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    # Both headers are overwritten from the auth service's answer, whatever the client sent.
    assert env["SSO_HEADER"].lower() in passed
    assert env.get("SSO_SECRET_HEADER", "X-Kubeshowcase-Proxy-Secret").lower() in passed
    assert all("/" not in address or address.endswith("/32")
               for address in env["SSO_TRUSTED_PROXIES"].split())
