"""`helm install --wait` and `helm upgrade --wait` (real helm v4) on the double return once the
chart's Deployment is rolled out: a tiny chart (tests/kubedouble/charts/sleeper) with one
Deployment running busybox `sleep`, its pods available only 2 s after they are Ready, so a helm
that did not wait would return while none is available.

Helm keeps its releases in Secrets created with protobuf bodies (client-go's typed clientset).
Where the double does not read protobuf bodies yet, helm keeps them in its SQL storage driver
(HELM_DRIVER=sql) on the suite's real PostgreSQL instead; what helm waits for is the same."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from kubernetes import client

from tests.kubedouble.helpers import kubectl

CHART = Path(__file__).parent / "charts" / "sleeper"
NS = "kubeshowcase"
NAME = "demo-sleeper"


@pytest.fixture
def helm_env(kube_env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    probe = kubectl(kube_env, "create", "secret", "generic", "protobuf-probe",
                    "--from-literal=a=b", check=False)
    if probe.returncode == 0:
        return kube_env  # the default driver: Secrets
    assert "application/vnd.kubernetes.protobuf" in probe.stderr, probe.stderr
    url = request.getfixturevalue("postgres_database_factory")("helm")
    parts = urlsplit(url)  # lib/pq: postgres:// and an explicit sslmode
    query = "&".join(filter(None, [parts.query, "sslmode=disable"]))
    return {**kube_env, "HELM_DRIVER": "sql", "HELM_DRIVER_SQL_CONNECTION_STRING": urlunsplit(
        parts._replace(scheme="postgres", query=query))}


def helm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["helm", *args, "--namespace", NS], env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def rolled_out(kube_client: Any, wait: str) -> Any:
    """The Deployment, asserted ready at this very moment (no waiting here) as helm's waiter
    understands it: kstatus' Current for the watcher (every replica updated and available,
    none old left); for the legacy ready checker, the new ReplicaSet's ready pods reach
    replicas - maxUnavailable (old pods may still be going)."""
    deployment = client.AppsV1Api(kube_client).read_namespaced_deployment(NAME, NS)
    status = deployment.status
    assert status.observed_generation == deployment.metadata.generation
    if wait == "--wait":
        assert (status.replicas, status.updated_replicas,
                status.available_replicas) == (2, 2, 2)
        return deployment
    revision = deployment.metadata.annotations["deployment.kubernetes.io/revision"]
    (new,) = [rs for rs in client.AppsV1Api(kube_client).list_namespaced_replica_set(NS).items
              if rs.metadata.annotations["deployment.kubernetes.io/revision"] == revision]
    assert new.status.ready_replicas == 2
    return deployment


@pytest.mark.parametrize("wait", ["--wait", "--wait=legacy"])
def test_helm_waits_for_the_deployment_on_install_and_upgrade(
        kube_client: Any, helm_env: dict[str, str], wait: str) -> None:
    helm(helm_env, "install", "demo", str(CHART), wait, "--timeout=90s",
         "--set", "minReadySeconds=2")
    first = rolled_out(kube_client, wait)
    assert first.metadata.annotations["deployment.kubernetes.io/revision"] == "1"

    helm(helm_env, "upgrade", "demo", str(CHART), wait, "--timeout=90s",
         "--set", "minReadySeconds=2", "--set", "message=changed")
    second = rolled_out(kube_client, wait)
    assert second.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    pods = client.CoreV1Api(kube_client).list_namespaced_pod(
        NS, label_selector="app.kubernetes.io/instance=demo").items
    changed = [p for p in pods if p.spec.containers[0].env[0].value == "changed"]
    assert len(changed) == 2 and all(p.status.phase == "Running" for p in changed)
    status = helm(helm_env, "status", "demo").stdout
    assert "STATUS: deployed" in status and "REVISION: 2" in status
