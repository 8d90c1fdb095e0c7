"""Production values shared by web, operator and cleanup: accounts, images, probes, volumes, scheduling, the PDB."""

from __future__ import annotations

import pytest

from tests.chart.helm import containers_of, notes, render, render_error

COMPONENTS = ("web", "operator", "cleanup")
DIGEST = "sha256:" + "ab" * 32


def pod_of(manifests, component):
    if component == "cleanup":
        return manifests.component("CronJob", "cleanup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return manifests.component("Deployment", component)["spec"]["template"]["spec"]


def images(manifests):
    return {component: pod_of(manifests, component)["containers"][0]["image"] for component in COMPONENTS}


@pytest.mark.parametrize("component", COMPONENTS)
def test_an_account_not_created_must_be_named(component):
    error = render_error("default-values.yaml", f"{component}.serviceAccount.create=false")
    assert f"{component}.serviceAccount.create=false needs {component}.serviceAccount.name" in error


@pytest.mark.parametrize("component", COMPONENTS)
def test_an_account_not_created_is_never_default(component):
    error = render_error("default-values.yaml", f"{component}.serviceAccount.create=false",
                         f"{component}.serviceAccount.name=default")
    assert f"{component}.serviceAccount.name must not be `default`" in error


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_named_existing_account_is_bound_and_used(component):
    manifests = render("default-values.yaml", f"{component}.serviceAccount.create=false",
                       f"{component}.serviceAccount.name=lab-{component}")
    assert pod_of(manifests, component)["serviceAccountName"] == f"lab-{component}"
    assert manifests.component("RoleBinding", component)["subjects"][0]["name"] == f"lab-{component}"
    assert component not in [account["metadata"]["labels"]["app.kubernetes.io/component"]
                             for account in manifests.of_kind("ServiceAccount")]


def test_a_digest_pins_the_image_over_the_tag():
    manifests = render("default-values.yaml", f"web.image.digest={DIGEST}", "web.image.tag=ignored")
    assert images(manifests) == {"web": f"ghcr.io/kubeshowcase/web@{DIGEST}",
                                 "operator": "ghcr.io/kubeshowcase/operator:0.1.0",
                                 "cleanup": f"ghcr.io/kubeshowcase/web@{DIGEST}"}
    (test_pod,) = manifests.of_kind("Pod")
    assert test_pod["spec"]["containers"][0]["image"] == f"ghcr.io/kubeshowcase/web@{DIGEST}"
    operator = render("default-values.yaml", f"operator.image.digest={DIGEST}")
    assert images(operator)["operator"] == f"ghcr.io/kubeshowcase/operator@{DIGEST}"


def test_a_digest_must_be_one():
    assert "at '/web/image/digest'" in render_error("default-values.yaml", "web.image.digest=latest")


@pytest.mark.parametrize(("repository", "registry", "image"), [
    ("ghcr.io/kubeshowcase/web", "mirror.example.org", "mirror.example.org/kubeshowcase/web:0.1.0"),
    ("ghcr.io/kubeshowcase/web", "mirror.example.org:5000/hub/", "mirror.example.org:5000/hub/kubeshowcase/web:0.1.0"),
    ("localhost/web", "mirror.example.org", "mirror.example.org/web:0.1.0"),
    # No registry part (Docker Hub): the mirror goes in front.
    ("kubeshowcase/web", "mirror.example.org", "mirror.example.org/kubeshowcase/web:0.1.0"),
    ("web", "mirror.example.org", "mirror.example.org/web:0.1.0"),
])
def test_the_global_registry_replaces_every_images_registry(repository, registry, image):
    manifests = render("default-values.yaml", f"global.imageRegistry={registry}", f"web.image.repository={repository}")
    assert images(manifests)["web"] == image == images(manifests)["cleanup"]
    assert images(manifests)["operator"] == f"{registry.rstrip('/')}/kubeshowcase/operator:0.1.0"


def test_the_pipelines_keep_their_own_images():
    manifests = render("default-values.yaml", "global.imageRegistry=mirror.example.org")
    assert manifests.of_kind("Pipeline")[0]["spec"]["image"] == "ghcr.io/kubeshowcase/nuclei:0.1.0"


def test_probes_default_to_what_the_chart_always_had():
    manifests = render("default-values.yaml")
    web = pod_of(manifests, "web")["containers"][0]
    assert web["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10,
                                    "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 3}
    assert web["readinessProbe"] == {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 10,
                                     "timeoutSeconds": 5, "failureThreshold": 3}
    assert "startupProbe" not in web
    operator = pod_of(manifests, "operator")["containers"][0]
    assert operator["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert "readinessProbe" not in operator and "startupProbe" not in operator
    watcher = pod_of(manifests, "watcher")["containers"][0]
    assert watcher["livenessProbe"] == {"httpGet": {"path": "/livez", "port": "health"},
                                        "initialDelaySeconds": 10, "periodSeconds": 20,
                                        "timeoutSeconds": 5, "failureThreshold": 3}
    assert "readinessProbe" not in watcher and "startupProbe" not in watcher


def test_probes_follow_values():
    manifests = render("default-values.yaml", "web.startupProbe.httpGet.path=/healthz",
                       "web.startupProbe.httpGet.port=http", "web.startupProbe.failureThreshold=30",
                       "web.livenessProbe.periodSeconds=7", "web.readinessProbe=null")
    web = pod_of(manifests, "web")["containers"][0]
    assert web["startupProbe"] == {"httpGet": {"path": "/healthz", "port": "http"}, "failureThreshold": 30}
    assert web["livenessProbe"]["periodSeconds"] == 7
    assert "readinessProbe" not in web
    assert "at '/web/livenessProbe'" in render_error("default-values.yaml", "web.livenessProbe.periodSecond=7")


def test_extra_volumes_reach_the_pods_that_run_the_components_code():
    manifests = render("all-options-values.yaml")
    for component in ("web", "cleanup"):
        pod = pod_of(manifests, component)
        assert {"name": "ca", "configMap": {"name": "kubeshowcase-ca"}} in pod["volumes"]
        (container,) = pod["containers"]
        assert {"name": "ca", "mountPath": "/etc/kubeshowcase/ca", "readOnly": True} in container["volumeMounts"]
        assert {"name": "REQUESTS_CA_BUNDLE", "value": "/etc/kubeshowcase/ca/ca.crt"} in container["env"]
    operator = pod_of(manifests, "operator")
    assert {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}} in operator["volumes"]
    assert {"name": "scratch", "mountPath": "/scratch"} in operator["containers"][0]["volumeMounts"]
    # The chart's own volumes stay first and unchanged.
    assert [volume["name"] for volume in operator["volumes"]] == ["data", "tmp", "scratch"]
    assert "ca" not in [volume["name"] for volume in pod_of(render("default-values.yaml"), "web")["volumes"]]


def test_scheduling_takes_priority_classes_and_spreads_each_components_own_pods():
    manifests = render("all-options-values.yaml")
    web, operator = pod_of(manifests, "web"), pod_of(manifests, "operator")
    assert web["priorityClassName"] == "kubeshowcase-web"
    assert operator["priorityClassName"] == "kubeshowcase-operator"
    # The cleanup runs where the web pods may (the data volume), at their priority.
    assert pod_of(manifests, "cleanup")["priorityClassName"] == "kubeshowcase-web"
    assert "topologySpreadConstraints" not in pod_of(manifests, "cleanup")
    for pod, component in ((web, "web"), (operator, "operator")):
        (constraint,) = pod["topologySpreadConstraints"]
        selector = constraint["labelSelector"]["matchLabels"]
        assert selector["app.kubernetes.io/component"] == component
        assert selector.items() <= manifests.component("Deployment", component)["spec"]["template"]["metadata"]["labels"].items()
    assert web["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    plain = pod_of(render("default-values.yaml"), "web")
    assert "priorityClassName" not in plain and "topologySpreadConstraints" not in plain


def test_a_spread_constraint_keeps_its_own_selector():
    manifests = render("default-values.yaml", "web.topologySpreadConstraints[0].maxSkew=2",
                       "web.topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
                       "web.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
                       "web.topologySpreadConstraints[0].labelSelector.matchLabels.tier=front")
    (constraint,) = pod_of(manifests, "web")["topologySpreadConstraints"]
    assert constraint == {"maxSkew": 2, "topologyKey": "kubernetes.io/hostname",
                          "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"tier": "front"}}}


def test_the_pdb_is_off_by_default_and_selects_the_web_pods():
    assert render("default-values.yaml").of_kind("PodDisruptionBudget") == []
    manifests = render("all-options-values.yaml")
    pdb = manifests.component("PodDisruptionBudget", "web")
    assert pdb["spec"]["minAvailable"] == 2 and "maxUnavailable" not in pdb["spec"]
    labels = manifests.component("Deployment", "web")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "web"


@pytest.mark.parametrize(("sets", "spec"), [
    ((), {"maxUnavailable": 1}),
    (("web.podDisruptionBudget.maxUnavailable=0",), {"maxUnavailable": 0}),
    (("web.podDisruptionBudget.maxUnavailable=50%",), {"maxUnavailable": "50%"}),
    (("web.podDisruptionBudget.minAvailable=1",), {"minAvailable": 1}),
])
def test_the_pdb_takes_one_bound(sets, spec):
    pdb = render("default-values.yaml", "web.podDisruptionBudget.enabled=true", *sets).component(
        "PodDisruptionBudget", "web")
    assert {key: pdb["spec"][key] for key in ("minAvailable", "maxUnavailable") if key in pdb["spec"]} == spec


def test_the_pdb_refuses_both_bounds():
    error = render_error("default-values.yaml", "web.podDisruptionBudget.enabled=true",
                         "web.podDisruptionBudget.minAvailable=1", "web.podDisruptionBudget.maxUnavailable=1")
    assert "set minAvailable or maxUnavailable, not both" in error


@pytest.mark.parametrize(("scenario", "sets", "warning"), [
    ("ingress-sso-values.yaml", (), "WARNING: single sign-on is on"),
    ("default-values.yaml", ("networkPolicy.enabled=false",), "WARNING: the NetworkPolicies are off"),
    ("default-values.yaml", ("web.ingress.enabled=true",), "WARNING: the ingress has no TLS"),
    ("default-values.yaml", ("persistence.accessModes[0]=ReadWriteOnce",), "WARNING: the data claim is not ReadWriteMany"),
    ("default-values.yaml", ("web.podDisruptionBudget.enabled=true", "web.podDisruptionBudget.minAvailable=1"),
     "WARNING: web.podDisruptionBudget.minAvailable (1) is not below"),
    ("default-values.yaml", ("crds.keep=false",), "WARNING: crds.keep=false"),
])
def test_notes_warn_about_footguns(scenario, sets, warning):
    assert warning in notes(scenario, *sets)


def test_notes_stay_quiet_for_safe_values():
    assert "WARNING" not in notes("all-options-values.yaml")
    assert "WARNING" not in notes("default-values.yaml", "web.ingress.enabled=true", "web.scheme=https")
