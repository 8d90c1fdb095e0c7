"""Every pod the chart runs is locked down by default, in every ci/ scenario."""

from __future__ import annotations

import functools

import pytest

from tests.chart.helm import SCENARIOS, containers_of, render


@functools.cache  # rendered once at collection, not once per test function
def pods():
    return [pytest.param(pod, id=f"{scenario}:{where}")
            for scenario in SCENARIOS for where, pod in render(scenario).pod_specs()]


@pytest.mark.parametrize("pod", pods())
def test_pods_run_as_non_root_with_runtime_default_seccomp(pod):
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] > 0
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert isinstance(context["fsGroup"], int)
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")


@pytest.mark.parametrize("pod", pods())
def test_containers_drop_everything_and_cannot_write_their_image(pod):
    for container in containers_of(pod):
        context = container["securityContext"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert not context.get("privileged"), container["name"]


@pytest.mark.parametrize("pod", pods())
def test_tmp_is_a_writable_empty_dir(pod):
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for container in containers_of(pod):
        (tmp,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
        assert volumes[tmp["name"]] == {"name": tmp["name"], "emptyDir": {}}
        assert not tmp.get("readOnly")


def test_every_scenario_has_pods_to_check():
    # The parametrised tests above would pass vacuously on a chart that renders no pods.
    for scenario in SCENARIOS:
        kinds = sorted(where.split("/")[0] for where, _ in render(scenario).pod_specs())
        # CronJobs: cleanup and usage-reconcile. Deployments: web, operator, watcher. Jobs:
        # migrate, and the SECRET_KEY hook unless the scenario names an existing Secret.
        deployments = ["Deployment"] * 3
        assert kinds in (["CronJob", "CronJob", *deployments, "Job", "Job", "Pod"],
                         ["CronJob", "CronJob", *deployments, "Job", "Pod"]), scenario
        assert "Job" in kinds


def test_pipeline_jobs_run_as_the_web_apps_uid_and_group():
    # Pipelines write into project folders the web app created: one value, podSecurityContext.
    manifests = render("default-values.yaml")
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    operator = manifests.component("Deployment", "operator")["spec"]["template"]["spec"]
    env = {item["name"]: item.get("value") for item in operator["containers"][0]["env"]}
    context = web["securityContext"]
    ids = (env["PIPELINE_RUN_AS_USER"], env["PIPELINE_RUN_AS_GROUP"], env["PIPELINE_FS_GROUP"])
    assert ids == (str(context["runAsUser"]), str(context["runAsGroup"]), str(context["fsGroup"]))


def test_only_the_components_that_call_the_api_get_a_token():
    manifests = render("default-values.yaml")
    (test_pod,) = manifests.of_kind("Pod")
    assert test_pod["spec"]["automountServiceAccountToken"] is False
    automount = {account["metadata"]["labels"]["app.kubernetes.io/component"]:
                 account["automountServiceAccountToken"]
                 for account in manifests.of_kind("ServiceAccount")}
    # web: its pod projects the token into the web container only (not its init container);
    # migrate: the hook Job needs only the database; secret-key: the hook that makes SECRET_KEY;
    # watcher: lists and watches runs and Pipelines into the archive, deletes old runs.
    assert automount == {"web": False, "migrate": False, "cleanup": True, "operator": True,
                         "secret-key": True, "pipeline": False, "watcher": True}
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]
    assert web["automountServiceAccountToken"] is False
    migrate = manifests.component("Job", "migrate")["spec"]["template"]["spec"]
    assert migrate["automountServiceAccountToken"] is False
