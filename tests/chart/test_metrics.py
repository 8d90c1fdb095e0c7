"""The chart's metrics: a port and a Service per component, optional ServiceMonitors, the
scrape port open only to the scraper's namespaces, LOG_FORMAT in every container."""

from __future__ import annotations

import pytest

from tests.chart.helm import NAMESPACE, Manifests, env_of, render, render_error
from tests.chart.test_network_policies import ingress_allowed, pod_labels, selects

COMPONENTS = ("web", "watcher", "operator")
MONITORING = {"kubernetes.io/metadata.name": "monitoring"}
PROMETHEUS_POD = {"app.kubernetes.io/name": "prometheus"}
INGRESS_NGINX = {"kubernetes.io/metadata.name": "ingress-nginx"}


def container(manifests: Manifests, component: str) -> dict:
    pod = manifests.component("Deployment", component)["spec"]["template"]["spec"]
    return pod["containers"][0]


def metrics_services(manifests: Manifests) -> dict[str, dict]:
    return {service["metadata"]["labels"]["kubeshowcase.io/metrics-of"]: service
            for service in manifests.of_kind("Service")
            if "kubeshowcase.io/metrics-of" in service["metadata"]["labels"]}


def test_each_component_has_a_metrics_port_and_a_service_reaching_it() -> None:
    manifests = render("default-values.yaml")
    services = metrics_services(manifests)
    assert sorted(services) == sorted(COMPONENTS)
    for component in COMPONENTS:
        deployment = manifests.component("Deployment", component)
        pod_labels_ = deployment["spec"]["template"]["metadata"]["labels"]
        service = services[component]
        assert service["spec"]["selector"].items() <= pod_labels_.items(), component
        # Only this component's pods: the selector names its component.
        assert service["spec"]["selector"]["app.kubernetes.io/component"] == component
        assert service["spec"]["ports"] == [{"name": "metrics", "port": 9090,
                                             "targetPort": "metrics", "protocol": "TCP"}]
        ports = {port["name"]: port["containerPort"] for port in container(manifests,
                                                                             component)["ports"]}
        assert ports["metrics"] == 9090
        assert env_of(container(manifests, component))["METRICS_PORT"] == "9090"
    assert manifests.of_kind("ServiceMonitor") == []  # off by default


def test_the_web_workers_write_their_values_to_a_memory_folder() -> None:
    pod = render("default-values.yaml").component("Deployment", "web")["spec"]["template"]["spec"]
    web = pod["containers"][0]
    assert env_of(web)["PROMETHEUS_MULTIPROC_DIR"] == "/run/metrics"
    assert {"name": "metrics", "mountPath": "/run/metrics"} in web["volumeMounts"]
    (volume,) = [item for item in pod["volumes"] if item["name"] == "metrics"]
    assert volume["emptyDir"]["medium"] == "Memory"


def test_metrics_off_leaves_no_port_service_or_policy() -> None:
    manifests = render("default-values.yaml", "metrics.enabled=false")
    assert metrics_services(manifests) == {}
    for component in COMPONENTS:
        found = container(manifests, component)
        assert "METRICS_PORT" not in env_of(found)
        assert all(port["name"] != "metrics" for port in found.get("ports") or ())
    assert all(policy["metadata"]["labels"]["app.kubernetes.io/component"] != "metrics"
               for policy in manifests.of_kind("NetworkPolicy"))
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(container(manifests, "web"))


def test_service_monitors_scrape_each_metrics_service() -> None:
    manifests = render("default-values.yaml", "metrics.serviceMonitor.enabled=true",
                       "metrics.serviceMonitor.labels.release=prometheus",
                       "metrics.serviceMonitor.interval=15s")
    monitors = manifests.of_kind("ServiceMonitor")
    assert len(monitors) == 3
    services = metrics_services(manifests)
    for monitor in monitors:
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        chosen = [name for name, service in services.items()
                  if selects(monitor["spec"]["selector"], service["metadata"]["labels"])]
        assert chosen == [monitor["metadata"]["labels"]["kubeshowcase.io/metrics-of"]]
        (endpoint,) = monitor["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"], endpoint["interval"]) == (
            "metrics", "/metrics", "15s")
        assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]


def metrics_policies(manifests: Manifests) -> dict[str, dict]:
    return {item["metadata"]["labels"]["kubeshowcase.io/metrics-of"]: item
            for item in manifests.of_kind("NetworkPolicy")
            if item["metadata"]["labels"]["app.kubernetes.io/component"] == "metrics"}


def test_only_the_scrapers_namespace_reaches_the_metrics_port() -> None:
    manifests = render("default-values.yaml")
    policies = metrics_policies(manifests)
    assert sorted(policies) == sorted(COMPONENTS)
    labels = pod_labels(manifests)
    for component, policy in policies.items():
        chosen = [name for name, pod in labels.items()
                  if selects(policy["spec"]["podSelector"], pod)]
        assert chosen == [component]
        assert ingress_allowed(policy, PROMETHEUS_POD, MONITORING, 9090)
        assert not ingress_allowed(policy, PROMETHEUS_POD, MONITORING, 8000)  # not the site
        assert not ingress_allowed(policy, PROMETHEUS_POD, INGRESS_NGINX, 9090)
    # The web pods' own policy still lets the ingress controller reach only port 8000.
    web_policy = manifests.component("NetworkPolicy", "web")
    assert not ingress_allowed(web_policy, PROMETHEUS_POD, INGRESS_NGINX, 9090)


def test_the_scraper_namespace_is_configurable_and_never_empty() -> None:
    manifests = render("default-values.yaml", "networkPolicy.metrics.namespaceSelector.matchLabels"
                       r".kubernetes\.io/metadata\.name=observability")
    policy = metrics_policies(manifests)["operator"]
    observability = {"kubernetes.io/metadata.name": "observability"}
    assert ingress_allowed(policy, PROMETHEUS_POD, observability, 9090)
    assert not ingress_allowed(policy, PROMETHEUS_POD, MONITORING, 9090)
    error = render_error("default-values.yaml", "networkPolicy.metrics.namespaceSelector=null")
    assert "networkPolicy.metrics.namespaceSelector must not be empty" in error


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_log_format_reaches_every_container(log_format: str) -> None:
    manifests = render("default-values.yaml", f"logFormat={log_format}")
    for component in COMPONENTS:
        assert env_of(container(manifests, component))["LOG_FORMAT"] == log_format


@pytest.mark.parametrize("setting", ["logFormat=yaml", "metrics.port=8000", "metrics.port=8080",
                                     "metrics.port=0", "metrics.serviceMonitor.interval=often",
                                     "metrics.prot=9090"])
def test_bad_values_are_refused(setting: str) -> None:
    assert render_error("default-values.yaml", setting)
