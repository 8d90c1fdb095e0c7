"""Pods get in-cluster credentials and their own filesystem view: a process calls
load_incluster_config() as in a real pod, RBAC decides what it may do, a read-only root is
read-only, the token file is the projected one and is renewed."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import pytest

from kubedouble.serviceaccount_admission import TOKEN_MOUNT_PATH
from tests.kubedouble.helpers import http, job

NS = "kubeshowcase"
PODS = f"/api/v1/namespaces/{NS}/pods"
ACCOUNTS = f"/api/v1/namespaces/{NS}/serviceaccounts"
RBAC = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces need root")

LIST_PODS_AND_SECRETS = """
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_incluster_config()
api = client.CoreV1Api()
print("pods", sorted(p.metadata.name for p in api.list_namespaced_pod("kubeshowcase").items))
try:
    api.list_namespaced_secret("kubeshowcase")
    print("secrets listed")
except ApiException as problem:
    print("secrets", problem.status)
"""


def pod(name: str, script: str, *args: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "python:3.11", "command": ["python", "-c", script,
                                                                    *args]}
    container.update(spec.pop("container", {}))
    return {"metadata": {"name": name}, "spec": {"restartPolicy": "Never",
                                                 "containers": [container], **spec}}


def finished(apiserver: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = http(apiserver, "GET", f"{PODS}/{name}").json()
        if found.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return found
        time.sleep(0.1)
    raise AssertionError(f"pod {name} did not finish: {found.get('status')}")


def log(apiserver: Any, name: str) -> str:
    return http(apiserver, "GET", f"{PODS}/{name}/log").text


def make_reader_account(apiserver: Any, name: str, **account: Any) -> None:
    """A ServiceAccount whose Role may list pods, nothing else."""
    assert http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": name},
                                                   **account}).status_code == 201
    assert http(apiserver, "POST", f"{RBAC}/roles", json={
        "metadata": {"name": name}, "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}).status_code == 201
    assert http(apiserver, "POST", f"{RBAC}/rolebindings", json={
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": NS}]}
    ).status_code == 201


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_pod_lists_what_its_service_account_may_and_gets_403_for_the_rest(apiserver):
    make_reader_account(apiserver, "reader")
    http(apiserver, "POST", PODS, json=pod("client", LIST_PODS_AND_SECRETS,
                                           serviceAccountName="reader"))
    done = finished(apiserver, "client")
    assert done["status"]["phase"] == "Succeeded", log(apiserver, "client")
    assert log(apiserver, "client") == "pods ['client']\nsecrets 403\n"


def test_the_admission_plugin_adds_the_token_volume_to_every_container(apiserver):
    body = pod("mounted", "pass", initContainers=[
        {"name": "init", "image": "python:3.11", "command": ["python", "-c", "pass"]}])
    created = http(apiserver, "POST", PODS, json=body).json()
    spec = created["spec"]
    assert spec["serviceAccountName"] == "default"
    [volume] = spec["volumes"]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == 21
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["path"] == "namespace"
    for container in spec["initContainers"] + spec["containers"]:
        assert container["volumeMounts"] == [{"name": volume["name"], "readOnly": True,
                                              "mountPath": TOKEN_MOUNT_PATH}]


READ_CREDENTIALS = """
import os, sys
folder = "/var/run/secrets/kubernetes.io/serviceaccount"
print(sorted(n for n in os.listdir(folder) if not n.startswith(".")) if os.path.isdir(folder)
      else "no token folder")
print(os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
"""


def test_the_files_and_env_load_incluster_config_reads_are_there(apiserver):
    http(apiserver, "POST", PODS, json=pod("files", READ_CREDENTIALS))
    assert finished(apiserver, "files")["status"]["phase"] == "Succeeded"
    port = apiserver.url.rsplit(":", 1)[1]
    assert log(apiserver, "files") == f"['ca.crt', 'namespace', 'token']\n127.0.0.1 {port}\n"


@pytest.mark.parametrize("where", ["pod", "account"])
def test_automount_false_gives_no_token(apiserver, where):
    if where == "account":
        http(apiserver, "POST", ACCOUNTS, json={"metadata": {"name": "quiet"},
                                                "automountServiceAccountToken": False})
        body = pod("bare", READ_CREDENTIALS, serviceAccountName="quiet")
    else:
        body = pod("bare", READ_CREDENTIALS, automountServiceAccountToken=False)
    created = http(apiserver, "POST", PODS, json=body).json()
    assert "volumes" not in created["spec"]
    assert "volumeMounts" not in created["spec"]["containers"][0]
    assert finished(apiserver, "bare")["status"]["phase"] == "Succeeded"
    assert log(apiserver, "bare").startswith("no token folder\n")


def test_a_pod_naming_a_missing_service_account_is_refused(apiserver):
    response = http(apiserver, "POST", PODS, json=pod("lost", "pass",
                                                      serviceAccountName="ghost"))
    assert response.status_code == 403
    assert response.json()["message"] == (
        'pods "lost" is forbidden: error looking up service account kubeshowcase/ghost: '
        'serviceaccount "ghost" not found')
    assert response.json()["reason"] == "Forbidden"


def test_a_job_whose_service_account_is_missing_records_failed_create(apiserver):
    body = job("orphan", ["python", "-c", "pass"], pod={"serviceAccountName": "ghost"})
    assert http(apiserver, "POST", f"/apis/batch/v1/namespaces/{NS}/jobs",
                json=body).status_code == 201
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = http(apiserver, "GET", f"/api/v1/namespaces/{NS}/events").json()["items"]
        failed = [e["message"] for e in events if e["reason"] == "FailedCreate"]
        if failed:
            break
        time.sleep(0.2)
    assert failed[0] == ('Error creating: pods "orphan-" is forbidden: error looking up '
                         'service account kubeshowcase/ghost: serviceaccount "ghost" not found')
    assert http(apiserver, "GET", PODS).json()["items"] == []


WRITE = """
import errno, sys
scratch = sys.argv[1]
for path in sys.argv[2:]:
    path = path.replace("SCRATCH", scratch)
    try:
        with open(path, "w") as handle:
            handle.write("written")
        print(path.replace(scratch, "SCRATCH"), "written")
    except OSError as problem:
        print(path.replace(scratch, "SCRATCH"), errno.errorcode[problem.errno])
"""
SCRATCH = {"volumes": [{"name": "scratch", "emptyDir": {}}]}
SCRATCH_MOUNT = {"volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}


def test_read_only_root_filesystem_refuses_writes_outside_the_volumes(apiserver):
    body = pod("locked", WRITE, "/scratch", "/kubedouble-probe", "/run/kubedouble-probe",
               "SCRATCH/kept", f"{TOKEN_MOUNT_PATH}/token", **SCRATCH, container={
                   **SCRATCH_MOUNT, "securityContext": {"readOnlyRootFilesystem": True}})
    http(apiserver, "POST", PODS, json=body)
    assert finished(apiserver, "locked")["status"]["phase"] == "Succeeded"
    assert log(apiserver, "locked") == (
        "/kubedouble-probe EROFS\n/run/kubedouble-probe EROFS\nSCRATCH/kept written\n"
        f"{TOKEN_MOUNT_PATH}/token EROFS\n")
    assert not os.path.exists("/kubedouble-probe")


def test_a_writable_root_writes_its_own_run_not_the_hosts(apiserver):
    body = pod("open", WRITE, "/scratch", "/run/kubedouble-probe", "SCRATCH/kept",
               f"{TOKEN_MOUNT_PATH}/token", **SCRATCH, container=SCRATCH_MOUNT)
    http(apiserver, "POST", PODS, json=body)
    assert finished(apiserver, "open")["status"]["phase"] == "Succeeded"
    assert log(apiserver, "open") == ("/run/kubedouble-probe written\nSCRATCH/kept written\n"
                                      f"{TOKEN_MOUNT_PATH}/token EROFS\n")
    assert not os.path.exists("/run/kubedouble-probe")  # the pod's private /run took it


def test_a_tmp_empty_dir_is_the_containers_tmp_under_a_read_only_root(apiserver, data_root):
    body = pod("tmp", WRITE, "/data", "/tmp/kept", "SCRATCH/result", "/kubedouble-probe",
               volumes=[{"name": "tmp", "emptyDir": {}}, {"name": "data",
                        "persistentVolumeClaim": {"claimName": "kubeshowcase-data"}}],
               container={"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                                           {"name": "data", "mountPath": "/data"}],
                          "securityContext": {"readOnlyRootFilesystem": True}})
    http(apiserver, "POST", PODS, json=body)
    assert finished(apiserver, "tmp")["status"]["phase"] == "Succeeded", log(apiserver, "tmp")
    assert log(apiserver, "tmp") == ("/tmp/kept written\nSCRATCH/result written\n"
                                     "/kubedouble-probe EROFS\n")
    assert not os.path.exists("/tmp/kept")  # it went to the pod's emptyDir
    assert (data_root / "result").read_text() == "written"  # /data, translated, still works


def test_the_host_run_stays_visible_under_the_private_run(apiserver):
    listing = "import json, os; print(json.dumps(sorted(os.listdir('/run'))))"
    http(apiserver, "POST", PODS, json=pod("lister", listing))
    assert finished(apiserver, "lister")["status"]["phase"] == "Succeeded"
    seen = json.loads(log(apiserver, "lister"))
    assert set(os.listdir("/run")) | {"secrets"} == set(seen)


WATCH_TOKEN = """
import time
seen = []
for _ in range(60):
    with open("/var/run/secrets/kubernetes.io/serviceaccount/token") as handle:
        token = handle.read()
    if token not in seen:
        seen.append(token)
        print(token, flush=True)
    if len(seen) == 2:
        break
    time.sleep(0.1)
"""


def test_the_token_file_is_the_projected_token_and_is_renewed(apiserver):
    apiserver.kubelet.token_refresh_seconds = 1.0
    http(apiserver, "POST", PODS, json=pod("rotating", WATCH_TOKEN))
    assert finished(apiserver, "rotating")["status"]["phase"] == "Succeeded"
    first, second = log(apiserver, "rotating").split()
    for token in (first, second):
        seen = claims(token)
        assert seen["sub"] == "system:serviceaccount:kubeshowcase:default"
        assert seen["exp"] - seen["iat"] == 3607
        review = http(apiserver, "GET", PODS, headers={"Authorization": f"Bearer {token}"})
        assert review.status_code == 403  # authenticated as default, which may not list pods
        assert "system:serviceaccount:kubeshowcase:default" in review.json()["message"]
    assert claims(first)["jti"] != claims(second)["jti"]
