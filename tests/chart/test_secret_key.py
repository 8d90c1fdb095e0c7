"""SECRET_KEY: made once by a hook Job, or taken from web.secretKey.existingSecret (issue #9).

Under GitOps the chart is rendered with plain `helm template` on every sync: nothing it renders
may be random, or the key (and everyone's session) would change each time.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.chart.helm import CHART, CI_DIR, _render_text, env_of, render, run_helm
from tests.kubedouble.helpers import kubectl

WEB = Path(__file__).resolve().parents[2] / "web"
NS = "kubeshowcase"
HOOK = "templates/web/secret-key-job.yaml"


def test_helm_template_renders_the_same_every_time() -> None:
    first = _render_text.__wrapped__("default-values.yaml", (), ())
    second = _render_text.__wrapped__("default-values.yaml", (), ())
    assert first == second
    assert render("default-values.yaml").of_kind("Secret") == []


def test_the_web_pods_read_the_hooks_secret() -> None:
    manifests = render("default-values.yaml")
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(web)["SECRET_KEY"] == {
        "secretKeyRef": {"name": "showcase-kubeshowcase-web", "key": "secret-key"}}
    job = manifests.component("Job", "secret-key")
    assert env_of(job["spec"]["template"]["spec"]["containers"][0])["SECRET_NAME"] == (
        "showcase-kubeshowcase-web")


def test_every_hook_object_runs_before_install_and_upgrade_and_goes_when_done() -> None:
    manifests = render("default-values.yaml")
    hooks = [obj for obj in manifests.objects
             if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "secret-key"]
    assert sorted(obj["kind"] for obj in hooks) == ["Job", "NetworkPolicy", "Role", "RoleBinding",
                                                    "ServiceAccount"]
    for obj in hooks:
        annotations = obj["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    weights = {obj["kind"]: int(obj["metadata"]["annotations"]["helm.sh/hook-weight"])
               for obj in hooks}
    # Its NetworkPolicy, account and rights exist before the Job; the key before the migrate Job.
    assert weights["NetworkPolicy"] < weights["Job"]
    assert weights["ServiceAccount"] == weights["Role"] == weights["RoleBinding"] < weights["Job"]
    migrate = manifests.component("Job", "migrate")
    assert weights["Job"] < int(migrate["metadata"]["annotations"]["helm.sh/hook-weight"])


def test_its_role_may_create_secrets_and_read_only_its_own() -> None:
    (role,) = [r for r in render("default-values.yaml").of_kind("Role")
               if r["metadata"]["labels"]["app.kubernetes.io/component"] == "secret-key"]
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["showcase-kubeshowcase-web"],
         "verbs": ["get"]},
    ]


def test_an_existing_secret_replaces_the_hook() -> None:
    manifests = render("default-values.yaml", "web.secretKey.existingSecret=gitops-web-key",
                       "web.secretKey.key=django")
    assert not [obj for obj in manifests.objects
                if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "secret-key"]
    web = manifests.component("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(web)["SECRET_KEY"] == {"secretKeyRef": {"name": "gitops-web-key", "key": "django"}}


# --- the hook's command, with the hook's own account, against the API-server double ---------


def hook_objects() -> list[dict[str, Any]]:
    result = run_helm("template", "demo", str(CHART), "--namespace", NS,
                      "--values", str(CI_DIR / "default-values.yaml"), "--show-only", HOOK)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture
def hook(apiserver, kube_env, tmp_path: Path) -> dict[str, Any]:  # noqa: ANN001
    """The hook's account, Role and binding applied; its Job's command and env to run."""
    docs = hook_objects()
    # The account, Role and binding as helm creates them; the Job's pod is run below as its
    # process (the double's node has no web image).
    kubectl(kube_env, "apply", "-f", "-", stdin=yaml.safe_dump_all(
        [doc for doc in docs if doc["kind"] != "Job"]))
    (job,) = [doc for doc in docs if doc["kind"] == "Job"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    account = job["spec"]["template"]["spec"]["serviceAccountName"]
    token = apiserver.service_account_token(NS, account)
    kubeconfig = apiserver.kubeconfig_for(token, tmp_path / "hook-kubeconfig")
    env = {item["name"]: item["value"] for item in container["env"] if "value" in item}
    env["KUBE_NAMESPACE"] = NS  # the fieldRef's value
    return {"command": container["command"], "env": env, "kubeconfig": kubeconfig}


def run_hook(hook: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    command = hook["command"]
    assert command[0] == "python"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(WEB),
           "KUBECONFIG": str(hook["kubeconfig"]), **hook["env"]}
    return subprocess.run([sys.executable, *command[1:]], cwd=WEB, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_hook_makes_the_key_once_and_keeps_it(hook, kube_client) -> None:  # noqa: ANN001
    core = client.CoreV1Api(kube_client)
    first = run_hook(hook)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "created Secret kubeshowcase/demo-kubeshowcase-web with a new random secret-key\n"
    secret = core.read_namespaced_secret("demo-kubeshowcase-web", NS)
    key = base64.b64decode(secret.data["secret-key"])
    assert len(key) >= 50
    assert secret.metadata.labels["app.kubernetes.io/component"] == "web"
    # Every later upgrade (or GitOps sync) runs it again: the key stays.
    again = run_hook(hook)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "kept Secret kubeshowcase/demo-kubeshowcase-web: it already holds secret-key\n"
    assert base64.b64decode(
        core.read_namespaced_secret("demo-kubeshowcase-web", NS).data["secret-key"]) == key


def test_the_hooks_account_reads_no_other_secret(hook, kube_client) -> None:  # noqa: ANN001
    client.CoreV1Api(kube_client).create_namespaced_secret(
        NS, {"metadata": {"name": "database"}, "stringData": {"database-url": "postgres://x"}})
    robot = client.CoreV1Api(config.new_client_from_config(config_file=str(hook["kubeconfig"])))
    with pytest.raises(ApiException) as refused:
        robot.read_namespaced_secret("database", NS)
    assert refused.value.status == 403
    with pytest.raises(ApiException) as refused:
        robot.list_namespaced_secret(NS)
    assert refused.value.status == 403


def test_a_secret_without_the_key_is_reported_not_overwritten(hook, kube_client) -> None:  # noqa: ANN001
    core = client.CoreV1Api(kube_client)
    core.create_namespaced_secret(
        NS, {"metadata": {"name": "demo-kubeshowcase-web"}, "stringData": {"other": "x"}})
    result = run_hook(hook)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Secret kubeshowcase/demo-kubeshowcase-web exists but holds no 'secret-key': add that "
        "key, or delete the Secret to have a new one made (which signs everyone out)")
    assert core.read_namespaced_secret("demo-kubeshowcase-web", NS).data.keys() == {"other"}
