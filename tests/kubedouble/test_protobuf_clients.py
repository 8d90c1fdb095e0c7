"""Real clients that send protobuf bodies (kubectl's typed commands, helm's release storage)
against the double: it reads them as kube-apiserver does and answers JSON, which they accept."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

from kubernetes import client

from kubedouble.testing import ApiServerHandle
from tests.kubedouble.helpers import http, kubectl
from tests.kubedouble.protobuf_bodies import enveloped


def test_kubectl_create_configmap_sends_protobuf_and_the_double_stores_it(kube_env,
                                                                        kube_client):
    out = kubectl(kube_env, "create", "configmap", "settings", "--from-literal=mode=fast",
                  "--from-literal=empty=", "-v=9")
    assert "-XPOST" in out.stderr
    assert '"Content-Type: application/vnd.kubernetes.protobuf"' in out.stderr
    stored = client.CoreV1Api(kube_client).read_namespaced_config_map("settings", "kubeshowcase")
    assert stored.data == {"mode": "fast", "empty": ""}
    assert stored.metadata.uid and stored.metadata.creation_timestamp is not None


def test_kubectl_create_configmap_keeps_binary_data(kube_env, kube_client, tmp_path):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)))
    kubectl(kube_env, "create", "configmap", "blobs", f"--from-file={blob}")
    stored = client.CoreV1Api(kube_client).read_namespaced_config_map("blobs", "kubeshowcase")
    assert base64.b64decode(stored.binary_data["blob.bin"]) == bytes(range(256))


def test_kubectl_create_secret_generic(kube_env, kube_client):
    kubectl(kube_env, "create", "secret", "generic", "db", "--from-literal=password=s3cr3t",
            "--type=kubeshowcase.io/db")
    stored = client.CoreV1Api(kube_client).read_namespaced_secret("db", "kubeshowcase")
    assert stored.type == "kubeshowcase.io/db"
    assert base64.b64decode(stored.data["password"]) == b"s3cr3t"


def test_a_protobuf_secret_is_validated_as_a_json_one(kube_env):
    bad = kubectl(kube_env, "create", "secret", "generic", "Bad_Name", "--from-literal=a=b",
                  check=False)
    assert bad.returncode != 0
    assert 'Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' in bad.stderr


def test_kubectl_create_token(kube_env, apiserver: ApiServerHandle):
    kubectl(kube_env, "create", "serviceaccount", "robot")
    asked = json.loads(kubectl(kube_env, "create", "token", "robot", "--duration=15m",
                               "--audience=https://kubeshowcase.example", "-o", "json").stdout)
    assert asked["spec"]["audiences"] == ["https://kubeshowcase.example"]
    assert asked["spec"]["expirationSeconds"] == 900
    token = kubectl(kube_env, "create", "token", "robot").stdout.strip()
    review = http(apiserver, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                  headers={"Authorization": f"Bearer {token}"},
                  json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert review.json()["status"]["userInfo"]["username"] == (
        "system:serviceaccount:kubeshowcase:robot")


def test_kubectl_auth_can_i(kube_env, apiserver: ApiServerHandle):
    assert kubectl(kube_env, "auth", "can-i", "create", "pods").stdout.strip() == "yes"
    kubectl(kube_env, "create", "serviceaccount", "robot")
    kubectl(kube_env, "create", "role", "reader", "--verb=get,list", "--resource=configmaps")
    kubectl(kube_env, "create", "rolebinding", "robot-reads", "--role=reader",
            "--serviceaccount=kubeshowcase:robot")
    robot = f"--token={apiserver.service_account_token('kubeshowcase', 'robot')}"
    listing = kubectl(kube_env, "auth", "can-i", "list", "configmaps", robot, check=False)
    assert listing.stdout.strip() == "yes"
    deleting = kubectl(kube_env, "auth", "can-i", "delete", "configmaps", robot, check=False)
    assert deleting.stdout.strip() == "no" and deleting.returncode == 1
    rules = kubectl(kube_env, "auth", "can-i", "--list", robot).stdout
    assert any(line.split()[:1] == ["configmaps"] and "[get list]" in line
               for line in rules.splitlines())


def test_kubectl_create_job_from_an_image(kube_env, kube_client):
    kubectl(kube_env, "create", "job", "hello", "--image=busybox:1.36", "--", "true")
    job = client.BatchV1Api(kube_client).read_namespaced_job("hello", "kubeshowcase")
    assert job.spec.template.spec.containers[0].command == ["true"]
    assert job.spec.template.spec.restart_policy == "Never"


def test_a_custom_resource_sent_as_protobuf_gets_415(apiserver: ApiServerHandle):
    body = enveloped("kubeshowcase.io/v1alpha1", "PipelineRun", b"")
    answer = http(apiserver, "POST", "/apis/kubeshowcase.io/v1alpha1/namespaces/kubeshowcase/"
                                     "pipelineruns", data=body,
                  headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert answer.status_code == 415
    assert answer.json()["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml")


TINY_CHART_VALUES = "greeting: hello\n"
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "tiny.fullname" . }}
  labels:
    {{- include "tiny.labels" . | nindent 4 }}
data:
  greeting: {{ .Values.greeting | quote }}
"""


def _tiny_chart(env: dict[str, str], root: Path) -> Path:
    subprocess.run(["helm", "create", "tiny"], cwd=root, env=env, check=True,
                   capture_output=True)
    chart = root / "tiny"
    for path in (chart / "templates").iterdir():  # keep only the helpers, then a ConfigMap
        if path.is_dir():
            shutil.rmtree(path)
        elif path.name != "_helpers.tpl":
            path.unlink()
    (chart / "templates" / "configmap.yaml").write_text(CONFIGMAP)
    (chart / "values.yaml").write_text(TINY_CHART_VALUES)
    return chart


def _helm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["helm", *args, "--namespace", "kubeshowcase"], env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _release_secrets(kube_client) -> dict[str, dict]:
    secrets = client.CoreV1Api(kube_client).list_namespaced_secret(
        "kubeshowcase", label_selector="owner=helm").items
    return {s.metadata.name: s.metadata.labels for s in secrets}


def test_helm_installs_upgrades_lists_and_uninstalls_a_release(kube_env, kube_client,
                                                               tmp_path):
    env = kube_env | {"HELM_CACHE_HOME": str(tmp_path / "cache"),
                      "HELM_CONFIG_HOME": str(tmp_path / "config"),
                      "HELM_DATA_HOME": str(tmp_path / "data")}
    chart = _tiny_chart(env, tmp_path)
    _helm(env, "install", "demo", str(chart), "--wait")
    core = client.CoreV1Api(kube_client)
    assert core.read_namespaced_config_map("demo-tiny", "kubeshowcase").data == {
        "greeting": "hello"}
    assert _release_secrets(kube_client)["sh.helm.release.v1.demo.v1"]["status"] == "deployed"

    _helm(env, "upgrade", "demo", str(chart), "--set", "greeting=bonjour")
    assert core.read_namespaced_config_map("demo-tiny", "kubeshowcase").data == {
        "greeting": "bonjour"}
    releases = _release_secrets(kube_client)
    assert releases["sh.helm.release.v1.demo.v1"]["status"] == "superseded"
    assert releases["sh.helm.release.v1.demo.v2"]["status"] == "deployed"

    listed = json.loads(_helm(env, "list", "--output", "json"))
    assert [(r["name"], r["revision"], r["status"]) for r in listed] == [
        ("demo", "2", "deployed")]
    history = json.loads(_helm(env, "history", "demo", "--output", "json"))
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"),
                                                               (2, "deployed")]

    _helm(env, "uninstall", "demo", "--wait")
    assert _release_secrets(kube_client) == {}
    assert [c.metadata.name for c in core.list_namespaced_config_map("kubeshowcase").items
            if c.metadata.name == "demo-tiny"] == []
