"""Deployments and ReplicaSets on the double, driven as users drive them: the official client
and real kubectl (`rollout status|restart|undo`, `scale`), with pods running as local
processes. What runs is read back from the API and from the double's record of processes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client

from kubedouble.testing import ApiServerHandle
from tests.kubedouble.helpers import kubectl
from tests.waiting import wait_until

NS = "kubeshowcase"
REVISION = "deployment.kubernetes.io/revision"


def deployment(name: str = "web", replicas: int = 1, *, image: str = "busybox:1.36",
               grace: int = 2, rolling: dict[str, Any] | None = None,
               **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": image, "command": ["sleep", "600"]}
    strategy = spec.pop("strategy", {"type": "RollingUpdate", "rollingUpdate": rolling or {}})
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "strategy": strategy,
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "terminationGracePeriodSeconds": grace, "containers": [container]}},
                     **spec}}


def apply(env: dict[str, str], body: dict[str, Any]) -> None:
    kubectl(env, "apply", "-f", "-", stdin=json.dumps(body))


def apps(kube_client: Any) -> client.AppsV1Api:
    return client.AppsV1Api(kube_client)


def pods_of(kube_client: Any, app: str = "web") -> list[Any]:
    return client.CoreV1Api(kube_client).list_namespaced_pod(
        NS, label_selector=f"app={app}").items


def replica_sets(kube_client: Any, app: str = "web") -> list[Any]:
    return apps(kube_client).list_namespaced_replica_set(NS, label_selector=f"app={app}").items


def by_revision(kube_client: Any, app: str = "web") -> dict[str, Any]:
    return {rs.metadata.annotations[REVISION]: rs for rs in replica_sets(kube_client, app)}


def rolled_out(env: dict[str, str], name: str = "web", timeout: str = "60s") -> str:
    return kubectl(env, "rollout", "status", f"deploy/{name}", f"--timeout={timeout}").stdout


def condition(kube_client: Any, kind: str, name: str = "web") -> Any:
    status = apps(kube_client).read_namespaced_deployment_status(name, NS).status
    return next((c for c in status.conditions or [] if c.type == kind), None)


def test_rollout_status_returns_once_every_replica_is_available(
        kube_client: Any, kube_env: dict[str, str], apiserver: ApiServerHandle) -> None:
    apps(kube_client).create_namespaced_deployment(NS, deployment(replicas=2))
    assert 'deployment "web" successfully rolled out' in rolled_out(kube_env)
    status = apps(kube_client).read_namespaced_deployment("web", NS).status
    assert (status.replicas, status.updated_replicas, status.ready_replicas,
            status.available_replicas) == (2, 2, 2, 2)
    running = [p for p in apiserver.lifetimes.all() if p.labels.get("app") == "web"
               and p.end is None]
    assert len(running) == 2  # two sleep processes really run
    header, row = kubectl(kube_env, "get", "deploy", "web").stdout.splitlines()
    assert header.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row.split()[:4] == ["web", "2/2", "2", "2"]


def test_rollout_restart_rolls_a_new_replica_set_and_stops_old_pods_gracefully(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(replicas=2, grace=3))
    rolled_out(kube_env)
    old_pods = {p.metadata.name for p in pods_of(kube_client)}
    kubectl(kube_env, "rollout", "restart", "deploy/web")

    def old_pod_terminating() -> Any:
        return next((p for p in pods_of(kube_client) if p.metadata.name in old_pods
                     and p.metadata.deletion_timestamp), None)

    terminating = wait_until(old_pod_terminating, 30, "an old pod deleted gracefully")
    assert terminating.metadata.deletion_grace_period_seconds == 3
    rolled_out(kube_env)
    revisions = by_revision(kube_client)
    assert sorted(revisions) == ["1", "2"]
    assert (revisions["1"].spec.replicas, revisions["2"].spec.replicas) == (0, 2)
    restarted = revisions["2"].spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" in restarted
    wait_until(lambda: not {p.metadata.name for p in pods_of(kube_client)} & old_pods, 30,
               "the old pods gone")


def test_rollout_undo_brings_back_the_previous_template_as_a_new_revision(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment())
    rolled_out(kube_env)
    first = by_revision(kube_client)["1"].metadata.name
    kubectl(kube_env, "set", "env", "deploy/web", "COLOR=blue")
    rolled_out(kube_env)
    kubectl(kube_env, "rollout", "undo", "deploy/web")
    rolled_out(kube_env)
    revisions = by_revision(kube_client)
    assert sorted(revisions) == ["2", "3"]
    assert revisions["3"].metadata.name == first  # the first ReplicaSet, brought back
    assert revisions["3"].metadata.annotations["deployment.kubernetes.io/revision-history"] == "1"
    live = apps(kube_client).read_namespaced_deployment("web", NS)
    assert live.metadata.annotations[REVISION] == "3"
    assert live.spec.template.spec.containers[0].env is None
    history = kubectl(kube_env, "rollout", "history", "deploy/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]


def test_kubectl_scale_grows_and_shrinks_the_pods(kube_client: Any,
                                                 kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment())
    rolled_out(kube_env)
    kubectl(kube_env, "scale", "deploy/web", "--replicas=3")
    rolled_out(kube_env)
    assert len([p for p in pods_of(kube_client) if not p.metadata.deletion_timestamp]) == 3
    kubectl(kube_env, "scale", "deploy/web", "--replicas=1")
    wait_until(lambda: len([p for p in pods_of(kube_client)
                            if not p.metadata.deletion_timestamp]) == 1, 30, "one pod left")
    (only,) = replica_sets(kube_client)
    assert only.spec.replicas == 1
    assert only.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "1"
    scale = apps(kube_client).read_namespaced_deployment_scale("web", NS)
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=web")


def test_max_unavailable_zero_keeps_the_old_pod_until_the_new_one_is_ready(
        kube_client: Any, kube_env: dict[str, str], apiserver: ApiServerHandle) -> None:
    apply(kube_env, deployment(rolling={"maxSurge": 1, "maxUnavailable": 0}))
    rolled_out(kube_env)
    (old_pod,) = pods_of(kube_client)
    kubectl(kube_env, "set", "image", "deploy/web", "main=registry.invalid/missing:1")
    wait_until(lambda: "2" in by_revision(kube_client)
               and by_revision(kube_client)["2"].status.replicas == 1, 30, "a new pod")
    new_pod = next(p for p in pods_of(kube_client) if p.metadata.name != old_pod.metadata.name)
    wait_until(lambda: client.CoreV1Api(kube_client).read_namespaced_pod(
        new_pod.metadata.name, NS).status.container_statuses, 30, "the new pod's status")
    for _ in range(3):  # the old pod stays while the new one cannot get Ready
        rolled = kubectl(kube_env, "rollout", "status", "deploy/web", "--timeout=1s",
                         check=False)
        assert rolled.returncode != 0
        current = client.CoreV1Api(kube_client).read_namespaced_pod(old_pod.metadata.name, NS)
        assert current.metadata.deletion_timestamp is None
    status = apps(kube_client).read_namespaced_deployment("web", NS).status
    assert (status.available_replicas, status.unavailable_replicas) == (1, 1)
    fixed = {"spec": {"template": {"spec": {"containers": [{
        "name": "main", "image": "busybox:1.36", "env": [{"name": "FIXED", "value": "1"}]}]}}}}
    kubectl(kube_env, "patch", "deploy/web", "-p", json.dumps(fixed))  # a third template
    rolled_out(kube_env)
    wait_until(lambda: old_pod.metadata.name not in {p.metadata.name
                                                     for p in pods_of(kube_client)}, 30,
               "the old pod gone")
    old_process = next(p for p in apiserver.lifetimes.all()
                       if p.pod == old_pod.metadata.name)
    newest = max((p for p in apiserver.lifetimes.all() if p.labels.get("app") == "web"),
                 key=lambda p: p.start)
    assert old_process.end is not None and old_process.end > newest.start


def test_a_deleted_or_failed_pod_is_replaced(kube_client: Any,
                                             kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(replicas=2, grace=0))
    rolled_out(kube_env)
    victim = pods_of(kube_client)[0].metadata.name
    client.CoreV1Api(kube_client).delete_namespaced_pod(victim, NS)
    wait_until(lambda: len([p for p in pods_of(kube_client) if p.metadata.name != victim
                            and p.status.phase == "Running"]) == 2, 30, "a replacement")
    rolled_out(kube_env)
    (rs,) = replica_sets(kube_client)
    events = client.CoreV1Api(kube_client).list_namespaced_event(
        NS, field_selector=f"involvedObject.name={rs.metadata.name}").items
    created = [e.message for e in events if e.reason == "SuccessfulCreate"]
    assert len(created) == 3 and all(m.startswith("Created pod: ") for m in created)


def test_a_deployment_whose_pods_never_get_ready_exceeds_its_progress_deadline(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(image="registry.invalid/missing:1", progressDeadlineSeconds=2))
    found = wait_until(lambda: (c := condition(kube_client, "Progressing")) is not None
                       and c.reason == "ProgressDeadlineExceeded" and c, 30, "the deadline")
    assert found.status == "False"
    assert found.message.endswith("has timed out progressing.")
    result = kubectl(kube_env, "rollout", "status", "deploy/web", "--timeout=20s", check=False)
    assert result.returncode != 0
    assert 'deployment "web" exceeded its progress deadline' in result.stderr
    assert condition(kube_client, "Available").reason == "MinimumReplicasUnavailable"


def test_a_pod_counts_available_only_after_min_ready_seconds(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(minReadySeconds=2))
    seen = wait_until(lambda: (s := apps(kube_client).read_namespaced_deployment(
        "web", NS).status).ready_replicas == 1 and s, 30, "a ready pod")
    assert not seen.available_replicas  # ready, not yet for 2 s
    rolled_out(kube_env)
    (pod,) = pods_of(kube_client)
    ready_at = next(c.last_transition_time for c in pod.status.conditions if c.type == "Ready")
    available = condition(kube_client, "Available")
    assert available.status == "True"
    assert (available.last_transition_time - ready_at).total_seconds() >= 2


def test_recreate_stops_every_old_pod_before_starting_new_ones(
        kube_client: Any, kube_env: dict[str, str], apiserver: ApiServerHandle) -> None:
    apply(kube_env, deployment(replicas=2, strategy={"type": "Recreate"}))
    rolled_out(kube_env)
    old = {p.metadata.name for p in pods_of(kube_client)}
    kubectl(kube_env, "set", "env", "deploy/web", "COLOR=blue")
    rolled_out(kube_env)
    lives = [p for p in apiserver.lifetimes.all() if p.labels.get("app") == "web"]
    ended = [p.end for p in lives if p.pod in old]
    started = [p.start for p in lives if p.pod not in old]
    assert len(ended) == 2 and None not in ended and len(started) == 2
    assert max(e for e in ended if e is not None) <= min(started)


def test_old_replica_sets_beyond_the_history_limit_are_deleted(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(revisionHistoryLimit=1, grace=0))
    for color in ("red", "green", "blue"):
        kubectl(kube_env, "set", "env", "deploy/web", f"COLOR={color}")
        rolled_out(kube_env)
    wait_until(lambda: sorted(by_revision(kube_client)) == ["3", "4"], 30,
               "revisions 3 and 4 left")


def test_a_paused_deployment_rolls_nothing_until_resumed(kube_client: Any,
                                                          kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment())
    rolled_out(kube_env)
    kubectl(kube_env, "rollout", "pause", "deploy/web")
    kubectl(kube_env, "set", "env", "deploy/web", "COLOR=blue")
    wait_until(lambda: (c := condition(kube_client, "Progressing")) is not None
               and c.reason == "DeploymentPaused", 30, "paused")
    assert sorted(by_revision(kube_client)) == ["1"]
    kubectl(kube_env, "rollout", "resume", "deploy/web")
    rolled_out(kube_env)
    assert sorted(by_revision(kube_client)) == ["1", "2"]


def test_deleting_a_deployment_deletes_its_replica_sets_and_pods(
        kube_client: Any, kube_env: dict[str, str]) -> None:
    apply(kube_env, deployment(replicas=2, grace=0))
    rolled_out(kube_env)
    apps(kube_client).delete_namespaced_deployment("web", NS)
    wait_until(lambda: not replica_sets(kube_client) and not pods_of(kube_client), 30,
               "the ReplicaSet and pods collected")


@pytest.mark.parametrize("relabel", [False, True])
def test_a_replica_set_adopts_a_matching_orphan_and_releases_a_relabelled_pod(
        kube_client: Any, relabel: bool) -> None:
    core = client.CoreV1Api(kube_client)
    core.create_namespaced_pod(NS, {"metadata": {"name": "orphan", "labels": {"app": "web"}},
                                    "spec": {"terminationGracePeriodSeconds": 0,
                                             "containers": [{"name": "main",
                                                             "image": "busybox:1.36",
                                                             "command": ["sleep", "600"]}]}})
    body = deployment()["spec"]
    body.pop("strategy")
    apps(kube_client).create_namespaced_replica_set(NS, {
        "metadata": {"name": "rs"}, "spec": {**body, "replicas": 1}})

    def owner_of_orphan() -> Any:
        refs = core.read_namespaced_pod("orphan", NS).metadata.owner_references
        return refs and refs[0]

    ref = wait_until(owner_of_orphan, 30, "the orphan adopted")
    assert (ref.kind, ref.name, ref.controller) == ("ReplicaSet", "rs", True)
    status = wait_until(lambda: (s := apps(kube_client).read_namespaced_replica_set(
        "rs", NS).status).ready_replicas == 1 and s, 30, "one ready replica")
    assert status.replicas == 1 and len(pods_of(kube_client)) == 1  # no second pod made
    if relabel:
        core.patch_namespaced_pod("orphan", NS, {"metadata": {"labels": {"app": "gone"}}})
        wait_until(lambda: not core.read_namespaced_pod("orphan", NS).metadata.owner_references,
                   30, "the pod released")
        wait_until(lambda: len(pods_of(kube_client)) == 1
                   and pods_of(kube_client)[0].metadata.name.startswith("rs-"), 30,
                   "a pod of its own")
