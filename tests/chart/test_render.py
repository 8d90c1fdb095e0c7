"""Every ci/ scenario renders objects whose shape and cross-references a cluster would accept."""

from __future__ import annotations

import re

import pytest

from tests.chart.helm import NAMESPACE, RELEASE, SCENARIOS, containers_of, env_of, notes, render
from tests.chart.shape import shape_problems

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
REQUIRED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                   "app.kubernetes.io/managed-by", "app.kubernetes.io/component", "helm.sh/chart")


@pytest.fixture(params=SCENARIOS)
def manifests(request):
    return render(request.param)


def test_each_object_has_a_shape_the_api_server_accepts(manifests):
    problems = [problem for obj in manifests.objects for problem in shape_problems(obj)]
    assert problems == []


def test_the_shape_check_catches_a_misplaced_field():
    # The check above must be able to fail: a typo'd field and a wrong type are both caught.
    deployment = render("default-values.yaml").component("Deployment", "web")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    assert any("replica" in problem for problem in shape_problems(broken))
    pipeline = render("default-values.yaml").of_kind("Pipeline")[0]
    broken = {**pipeline, "spec": {**pipeline["spec"], "backoffLimit": "twice"}}
    assert any("backoffLimit" in problem for problem in shape_problems(broken))


def test_names_are_unique_dns_names_with_standard_labels(manifests):
    seen = set()
    for obj in manifests.objects:
        name = obj["metadata"]["name"]
        assert DNS_SUBDOMAIN.match(name) and len(name) <= 63, name
        assert (obj["kind"], name) not in seen, f"two {obj['kind']} objects named {name}"
        seen.add((obj["kind"], name))
        labels = obj["metadata"]["labels"]
        assert [key for key in REQUIRED_LABELS if key not in labels] == [], f"{obj['kind']}/{name}"
        assert labels["app.kubernetes.io/instance"] == RELEASE


def test_it_renders_both_components():
    manifests = render("default-values.yaml")
    for component in ("web", "operator"):
        for kind in ("Deployment", "ServiceAccount", "Role", "RoleBinding"):
            assert manifests.component(kind, component)
    assert manifests.component("Service", "web")
    assert manifests.component("Job", "secret-key")  # makes the Secret with SECRET_KEY
    assert manifests.of_kind("Ingress") == []


def test_deployments_select_their_own_pods_only(manifests):
    pod_labels = {}
    for deployment in manifests.of_kind("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        pod_labels[deployment["metadata"]["name"]] = labels
    for deployment in manifests.of_kind("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"].items()
        selected = [name for name, labels in pod_labels.items() if selector <= labels.items()]
        assert selected == [deployment["metadata"]["name"]]


def test_the_service_and_ingress_reach_the_web_pods():
    manifests = render("ingress-sso-values.yaml")
    web = manifests.component("Deployment", "web")
    service = manifests.component("Service", "web")
    assert service["spec"]["selector"].items() <= web["spec"]["template"]["metadata"]["labels"].items()
    container_ports = {port["name"] for port in web["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= container_ports
    service_ports = {port["name"] for port in service["spec"]["ports"]}
    ingress = manifests.component("Ingress", "web")
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"]["name"] in service_ports
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == ["showcase.example.org",
                                                                   "imaging.example.org"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"][0]["secretName"] == "showcase-tls"


def test_pods_use_only_what_exists(manifests):
    """Volumes, ports, service accounts, secrets and claims that a pod names are rendered or named in values."""
    claims = {claim["metadata"]["name"] for claim in manifests.of_kind("PersistentVolumeClaim")}
    secrets = {secret["metadata"]["name"] for secret in manifests.of_kind("Secret")}
    # ...and the one the SECRET_KEY hook Job makes.
    secrets |= {env_of(job["spec"]["template"]["spec"]["containers"][0])["SECRET_NAME"]
                for job in manifests.of_kind("Job")
                if job["metadata"]["labels"]["app.kubernetes.io/component"] == "secret-key"}
    accounts = {account["metadata"]["name"] for account in manifests.of_kind("ServiceAccount")}
    # Objects a scenario names but expects the admin to have created.
    external = {"kubeshowcase-database", "kubeshowcase-django", "lab-imaging-data", "kubeshowcase-web-sa",
                "kubeshowcase-sso", "kubeshowcase-smtp"}
    for where, pod in manifests.pod_specs():
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims | external, where
        if "serviceAccountName" in pod:
            assert pod["serviceAccountName"] in accounts | external, where
        for container in containers_of(pod):
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{where}: {mount['name']}"
            ports = {port["name"] for port in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["port"] in ports, f"{where} {probe}"
            for item in container.get("env", []):
                secret_ref = item.get("valueFrom", {}).get("secretKeyRef")
                if secret_ref:
                    assert secret_ref["name"] in secrets | external, f"{where} {item['name']}"


def test_role_bindings_bind_the_component_role_to_its_service_account(manifests):
    roles = {role["metadata"]["name"] for role in manifests.of_kind("Role")}
    for component in ("web", "operator"):
        binding = manifests.component("RoleBinding", component)
        pod = manifests.component("Deployment", component)["spec"]["template"]["spec"]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": manifests.component("Role", component)["metadata"]["name"]}
        assert binding["roleRef"]["name"] in roles
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": pod["serviceAccountName"],
                                        "namespace": NAMESPACE}]


def test_the_helm_test_pod_checks_web_healthz():
    manifests = render("default-values.yaml")
    (pod,) = manifests.of_kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    service = manifests.component("Service", "web")
    url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/healthz"
    assert pod["spec"]["containers"][0]["command"][-1] == url


def test_the_data_claim_is_shared_and_kept():
    manifests = render("default-values.yaml")
    (claim,) = manifests.of_kind("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert "storageClassName" not in claim["spec"]
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    for _, pod in manifests.pod_specs():
        claims = [volume["persistentVolumeClaim"]["claimName"] for volume in pod.get("volumes", [])
                  if "persistentVolumeClaim" in volume]
        assert claims in ([], [claim["metadata"]["name"]])


def test_storage_class_dash_asks_for_no_class():
    claim = render("default-values.yaml", "persistence.storageClass=-").of_kind("PersistentVolumeClaim")[0]
    assert claim["spec"]["storageClassName"] == ""
    claim = render("default-values.yaml", "persistence.storageClass=nfs").of_kind("PersistentVolumeClaim")[0]
    assert claim["spec"]["storageClassName"] == "nfs"


def test_an_existing_claim_replaces_the_chart_claim():
    manifests = render("existing-claim-values.yaml")
    assert manifests.of_kind("PersistentVolumeClaim") == []
    accounts = [account["metadata"]["labels"]["app.kubernetes.io/component"]
                for account in manifests.of_kind("ServiceAccount")]
    assert sorted(accounts) == ["cleanup", "migrate", "operator", "pipeline", "secret-key",
                               "watcher"]
    for component in ("web", "operator"):
        pod = manifests.component("Deployment", component)["spec"]["template"]["spec"]
        assert pod["volumes"][0] == {"name": "data",
                                     "persistentVolumeClaim": {"claimName": "lab-imaging-data"}}
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    assert web["serviceAccountName"] == "kubeshowcase-web-sa"


def test_operator_replicas_follow_values():
    assert render("default-values.yaml").component("Deployment", "operator")["spec"]["replicas"] == 1
    operator = render("operator-ha-values.yaml").component("Deployment", "operator")
    assert operator["spec"]["replicas"] == 2
    pod = operator["spec"]["template"]["spec"]
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "podAntiAffinity" in pod["affinity"]


def test_images_default_to_the_app_version():
    manifests = render("default-values.yaml")
    images = {component: manifests.component("Deployment", component)["spec"]["template"]["spec"]
              ["containers"][0]["image"] for component in ("web", "operator")}
    assert images == {"web": "ghcr.io/kubeshowcase/web:0.1.0",
                      "operator": "ghcr.io/kubeshowcase/operator:0.1.0"}
    operator = render("default-values.yaml", "operator.image.tag=0.2.0-rc1").component("Deployment", "operator")
    assert operator["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/kubeshowcase/operator:0.2.0-rc1"


def test_the_secret_key_hook_is_skipped_for_an_existing_secret():
    manifests = render("ingress-sso-values.yaml")
    assert manifests.of_kind("Secret") == []
    assert [job["metadata"]["labels"]["app.kubernetes.io/component"]
            for job in manifests.of_kind("Job")] == ["migrate"]


def test_notes_say_how_to_reach_the_app_and_warn_about_guests():
    text = notes("default-values.yaml")
    assert "port-forward service/showcase-kubeshowcase-web 8080:80" in text
    assert "Installed by this release: nuclei." in text
    assert "WARNING" not in text
    text = notes("ingress-sso-values.yaml", "web.allowGuests=true")
    assert "https://showcase.example.org/" in text and "https://imaging.example.org/" in text
    assert "WARNING: guests are allowed" in text


def test_long_names_stay_valid():
    manifests = render("default-values.yaml", f"fullnameOverride={'a' * 61}-z")
    names = [obj["metadata"]["name"] for obj in manifests.objects]
    assert all(len(name) <= 63 and DNS_SUBDOMAIN.match(name) for name in names), names
    # Truncation keeps each component's suffix, so the components' names stay distinct.
    assert {name.rsplit("-", 1)[-1] for name in names} >= {"web", "operator", "data", "healthz"}
