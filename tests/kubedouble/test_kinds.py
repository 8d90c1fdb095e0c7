"""The storage, network, policy and CronJob kinds through the official client and kubectl:
`kubectl get` columns, `kubectl apply` and `--dry-run=server`, claims bound and mounted, claims
kept while a pod uses them, volumes reclaimed, and the chart's objects accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from tests.chart.helm import NAMESPACE, render
from tests.kubedouble.helpers import kubectl
from tests.waiting import wait_until

NS = "kubeshowcase"
CLAIM = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "scratch"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
OTHERS = [
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
     "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.org"]}], "rules": [
         {"host": "a.example.org", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                       "backend": {"service": {
                                                           "name": "web",
                                                           "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
     "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cleanup"},
     "spec": {"schedule": "17 * * * *", "timeZone": "Europe/Berlin", "jobTemplate": {"spec": {
         "template": {"spec": {"restartPolicy": "Never", "containers": [
             {"name": "c", "image": "busybox:1.36"}]}}}}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}}}},
]


def _yaml(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


def _lines(env: dict[str, str], *args: str) -> list[list[str]]:
    out = kubectl(env, "get", *args).stdout
    return [line.split() for line in out.splitlines()]


def _writer_pod(name: str, claim: str, command: list[str]) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": "python:3.11", "command": command,
                        "volumeMounts": [{"name": "v", "mountPath": "/data"}]}],
        "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": claim}}]}}


def _phase(core: client.CoreV1Api, name: str) -> str:
    return str(core.read_namespaced_pod(name, NS).status.phase)


def test_kubectl_prints_the_new_kinds_as_it_does(kube_env):
    kubectl(kube_env, "apply", "-f", "-", stdin=_yaml(CLAIM, *OTHERS))
    wait_until(lambda: _lines(kube_env, "pvc", "scratch")[1][1] == "Bound", 30, "the claim bound")
    header, row = _lines(kube_env, "pvc", "scratch")
    assert " ".join(header) == ("NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS "
                                "VOLUMEATTRIBUTESCLASS AGE")
    assert row[:6] == ["scratch", "Bound", row[2], "1Gi", "RWO", "standard"]
    assert row[2].startswith("pvc-")
    pv = _lines(kube_env, "pv", row[2])
    assert pv[1][1:6] == ["1Gi", "RWO", "Delete", "Bound", f"{NS}/scratch"]
    assert _lines(kube_env, "sc")[1][:2] == ["standard", "(default)"]
    header, row = _lines(kube_env, "ing")
    assert header == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert row[:5] == ["web", "nginx", "a.example.org", "80,", "443"]  # PORTS "80, 443"
    pdb = _lines(kube_env, "pdb")
    assert " ".join(pdb[0]) == "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE"
    assert pdb[1][:4] == ["web", "N/A", "1", "0"]
    cronjobs = _lines(kube_env, "cj")
    assert " ".join(cronjobs[0]) == "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE"
    assert cronjobs[1][:8] == ["cleanup", "17", "*", "*", "*", "*", "Europe/Berlin", "False"]
    assert _lines(kube_env, "netpol")[1][:2] == ["deny", "app=web"]
    # Applied again unchanged: the defaults the server added are no change. (kubectl always
    # sends a PDB its selector again, whose patch strategy is "replace": "configured".)
    again = kubectl(kube_env, "apply", "-f", "-", stdin=_yaml(CLAIM, *OTHERS)).stdout
    for name in ("persistentvolumeclaim/scratch", "cronjob.batch/cleanup",
                 "ingress.networking.k8s.io/web", "networkpolicy.networking.k8s.io/deny"):
        assert f"{name} unchanged" in again, again


def test_server_dry_run_checks_without_storing(kube_env):
    bad = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "b"},
           "spec": {"minAvailable": 1, "maxUnavailable": 1}}
    refused = kubectl(kube_env, "apply", "--dry-run=server", "-f", "-", stdin=_yaml(bad),
                      check=False)
    assert refused.returncode != 0
    assert 'The PodDisruptionBudget "b" is invalid' in refused.stderr
    assert "minAvailable and maxUnavailable cannot be both set" in refused.stderr
    fine = kubectl(kube_env, "apply", "--dry-run=server", "-f", "-", stdin=_yaml(*OTHERS))
    assert fine.stdout.count("(server dry run)") == 4
    assert "No resources found" in kubectl(kube_env, "get", "cj,pdb,ing,netpol").stderr


def test_the_official_client_reads_what_the_server_defaulted(kube_client):
    core, storage = client.CoreV1Api(kube_client), client.StorageV1Api(kube_client)
    assert [c.metadata.name for c in storage.list_storage_class().items] == ["standard"]
    core.create_namespaced_persistent_volume_claim(NS, CLAIM)
    claim = wait_until(lambda: (found := core.read_namespaced_persistent_volume_claim(
        "scratch", NS)).status.phase == "Bound" and found, 30, "the claim bound")
    assert claim.spec.volume_mode == "Filesystem"
    assert claim.metadata.finalizers == ["kubernetes.io/pvc-protection"]
    volume = core.read_persistent_volume(claim.spec.volume_name)
    assert volume.spec.claim_ref.name == "scratch" and volume.spec.claim_ref.uid == \
        claim.metadata.uid
    cronjob = client.BatchV1Api(kube_client).create_namespaced_cron_job(NS, OTHERS[2])
    assert (cronjob.spec.concurrency_policy, cronjob.spec.successful_jobs_history_limit,
            cronjob.spec.failed_jobs_history_limit) == ("Allow", 3, 1)
    policy = client.NetworkingV1Api(kube_client).create_namespaced_network_policy(NS, OTHERS[3])
    assert policy.spec.policy_types == ["Ingress"]


def test_a_pod_writes_into_its_claims_volume(apiserver, kube_client):
    core = client.CoreV1Api(kube_client)
    core.create_namespaced_persistent_volume_claim(NS, CLAIM)
    script = "import sys; open(sys.argv[1], 'w').write('kept')"
    core.create_namespaced_pod(NS, _writer_pod("w", "scratch", ["python", "-c", script,
                                                                "/data/out.txt"]))
    wait_until(lambda: _phase(core, "w") == "Succeeded", 60, "the pod to succeed")
    claim = core.read_namespaced_persistent_volume_claim("scratch", NS)
    folder = Path(core.read_persistent_volume(claim.spec.volume_name).spec.host_path.path)
    assert (folder / "out.txt").read_text() == "kept"
    assert folder.is_relative_to(apiserver.kubeconfig.parent)  # under the double's tmp dir


def test_the_pre_provisioned_claim_is_the_data_folder(kube_client, data_root):
    core = client.CoreV1Api(kube_client)
    claim = core.read_namespaced_persistent_volume_claim("kubeshowcase-data", NS)
    assert claim.status.phase == "Bound"
    volume = core.read_persistent_volume(claim.spec.volume_name)
    assert Path(volume.spec.host_path.path) == data_root.resolve()
    assert volume.spec.persistent_volume_reclaim_policy == "Retain"
    (data_root / "precious").write_text("x")
    core.delete_namespaced_persistent_volume_claim("kubeshowcase-data", NS)
    wait_until(lambda: core.read_persistent_volume(volume.metadata.name).status.phase
               == "Released", 30, "the volume released")
    assert (data_root / "precious").read_text() == "x"  # Retain keeps the folder


def test_a_claim_in_use_waits_for_its_pod_and_delete_reclaims(kube_env, kube_client):
    core = client.CoreV1Api(kube_client)
    core.create_namespaced_persistent_volume_claim(NS, CLAIM)
    core.create_namespaced_pod(NS, _writer_pod("holder", "scratch", [
        "python", "-c", "import time; time.sleep(120)"]))
    wait_until(lambda: _phase(core, "holder") == "Running", 60, "the pod to run")
    claim = core.read_namespaced_persistent_volume_claim("scratch", NS)
    volume_name = claim.spec.volume_name
    folder = Path(core.read_persistent_volume(volume_name).spec.host_path.path)
    assert folder.is_dir()
    kubectl(kube_env, "delete", "pvc", "scratch", "--wait=false")
    assert _lines(kube_env, "pvc", "scratch")[1][1] == "Terminating"
    assert core.read_namespaced_persistent_volume_claim("scratch", NS).metadata.finalizers == [
        "kubernetes.io/pvc-protection"]
    core.delete_namespaced_pod("holder", NS, grace_period_seconds=0)

    def gone() -> bool:
        names = [v.metadata.name for v in core.list_persistent_volume().items]
        claims = [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(NS).items]
        return volume_name not in names and "scratch" not in claims

    wait_until(gone, 60, "the claim and its volume to go")
    assert not folder.exists()  # reclaimPolicy Delete: the provisioner removed it


def test_a_pod_waits_for_its_claim_then_runs(kube_client):
    core = client.CoreV1Api(kube_client)
    core.create_namespaced_pod(NS, _writer_pod("early", "later", [
        "python", "-c", "pass"]))

    def told() -> str:
        conditions = core.read_namespaced_pod("early", NS).status.conditions or []
        return next((c.message for c in conditions if c.type == "PodScheduled"), "")

    message = wait_until(told, 30, "the scheduler's words")
    assert message == ('0/1 nodes are available: persistentvolumeclaim "later" not found. '
                       "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                       "scheduling.")
    core.create_namespaced_persistent_volume_claim(NS, {**CLAIM, "metadata": {"name": "later"}})
    wait_until(lambda: _phase(core, "early") == "Succeeded", 60, "the pod to run")


def test_the_charts_claim_ingress_network_policies_and_cronjob_are_accepted(kube_env):
    """helm template with ingress, networkPolicy, persistence and cleanup on, piped to
    `kubectl apply --dry-run=server`: every object of these kinds is accepted."""
    mine = {"PersistentVolumeClaim", "Ingress", "NetworkPolicy", "CronJob",
            "PodDisruptionBudget"}
    manifests = render("ingress-sso-values.yaml", "persistence.enabled=true",
                       "cleanup.enabled=true", "networkPolicy.enabled=true")
    chosen = [obj for obj in manifests.objects if obj["kind"] in mine]
    kinds = {obj["kind"] for obj in chosen}
    assert {"PersistentVolumeClaim", "Ingress", "NetworkPolicy", "CronJob"} <= kinds
    kubectl(kube_env, "apply", "-f", "-", stdin=_yaml(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
    result = kubectl(kube_env, "apply", "--dry-run=server", "-n", NAMESPACE, "-f", "-",
                     stdin=_yaml(*chosen))
    assert result.stdout.count("created (server dry run)") == len(chosen), result.stdout


def test_a_cronjob_runs_its_job_on_schedule(kube_env, kube_client):
    batch = client.BatchV1Api(kube_client)
    body = {**OTHERS[2], "spec": {**OTHERS[2]["spec"], "schedule": "@every 2s",
                                  "timeZone": None}}
    cronjob = batch.create_namespaced_cron_job(NS, body)
    job = wait_until(lambda: next(iter(batch.list_namespaced_job(NS).items), None), 30,
                     "the scheduled Job")
    assert job.metadata.name.startswith("cleanup-")
    minutes = int(job.metadata.name.removeprefix("cleanup-"))
    assert abs(minutes * 60 - cronjob.metadata.creation_timestamp.timestamp()) < 120
    owner = job.metadata.owner_references[0]
    assert (owner.kind, owner.uid, owner.controller) == ("CronJob", cronjob.metadata.uid, True)

    def succeeded() -> Any:
        found = batch.read_namespaced_cron_job("cleanup", NS)
        return found.status.last_successful_time and not found.status.active and found

    done = wait_until(succeeded, 60, "the Job to complete and leave status.active")
    assert done.status.last_schedule_time is not None
    reasons = kubectl(kube_env, "get", "events", "--field-selector",
                      "involvedObject.kind=CronJob", "-o",
                      "jsonpath={.items[*].reason}").stdout.split()
    assert reasons[:2] == ["SuccessfulCreate", "SawCompletedJob"]
    row = _lines(kube_env, "cj", "cleanup")[1]
    assert row[1:5] == ["@every", "2s", "<none>", "False"] and row[5] == "0"
