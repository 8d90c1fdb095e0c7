"""Stands in for kube-scheduler on a one-node cluster: bind a pod if the node suits it and its
requests fit, else say why.

The node suits a pod whose tolerations cover its NoSchedule/NoExecute taints and whose
nodeSelector and required node affinity its labels meet (nodeaffinity.py; the node has the
kubelet's well-known labels, and tests add labels and taints with `set_node`).

Fit is the NodeResourcesFit plugin's: the pod's requests (the larger of its containers' sum and
any one init container) against the node's allocatable less what the non-terminal pods bound
there request. A pod that does not fit keeps `PodScheduled=False`, reason `Unschedulable`, with
a `FailedScheduling` Event in the scheduler's words, and is tried again when a pod leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import apply, errors, volumebinding
from .clock import now
from .nodeaffinity import default_labels, filter_failure
from .operations import Cluster
from .quantities import quantity
from .selectors import Selector
from .store import Watcher

NODE = "kubedouble"
SCHEDULER = "default-scheduler"
TERMINAL = ("Succeeded", "Failed")

@dataclass(frozen=True)
class NodeCapacity:
    """The node's allocatable resources (settable: `--node-cpu`, `--node-memory`)."""

    cpu: str = "2"
    memory: str = "8Gi"
    pods: int = 110  # the kubelet's maxPods default

    def allocatable(self) -> dict[str, Decimal]:
        return {"cpu": quantity(self.cpu), "memory": quantity(self.memory),
                "pods": Decimal(self.pods)}


def _container_requests(container: dict[str, Any]) -> dict[str, Decimal]:
    # The API server has defaulted unset requests to their limits (defaults.py).
    requests = (container.get("resources") or {}).get("requests") or {}
    return {name: quantity(value) for name, value in requests.items()}


def pod_requests(pod: dict[str, Any]) -> dict[str, Decimal]:
    """What the pod asks of a node (k8s.io/component-helpers resource.PodRequests)."""
    total: dict[str, Decimal] = {}
    for container in pod["spec"].get("containers") or []:
        for name, value in _container_requests(container).items():
            total[name] = total.get(name, Decimal(0)) + value
    for container in pod["spec"].get("initContainers") or []:
        for name, value in _container_requests(container).items():
            total[name] = max(total.get(name, Decimal(0)), value)
    total["pods"] = Decimal(1)
    return total


def insufficient(pod: dict[str, Any], bound: list[dict[str, Any]],
                 capacity: NodeCapacity) -> tuple[list[str], bool]:
    """(resources short on the node, whether the pod could ever fit it) — [] when it fits."""
    allocatable = capacity.allocatable()
    used: dict[str, Decimal] = {}
    for other in bound:
        for name, value in pod_requests(other).items():
            used[name] = used.get(name, Decimal(0)) + value
    short, ever = [], True
    for name, wanted in sorted(pod_requests(pod).items()):
        if name not in allocatable:
            if wanted > 0:
                short.append(name)
                ever = False
            continue
        if wanted > allocatable[name] - used.get(name, Decimal(0)):
            short.append(name)
            ever = ever and wanted <= allocatable[name]
    return short, ever


def unschedulable_message(short: list[str], ever: bool) -> str:
    """The scheduler's FailedScheduling words for one node (framework.Diagnosis, preemption)."""
    words = {"pods": "Too many pods"}
    return filter_message([words.get(name, f"Insufficient {name}") for name in short], ever)


def filter_message(reasons: list[str], preemption_may_help: bool) -> str:
    """`0/1 nodes are available: 1 <reason>, ... preemption: ...` for the one node."""
    shown = ", ".join(f"1 {reason}" for reason in reasons)
    victims = ("1 No preemption victims found for incoming pod" if preemption_may_help
               else "1 Preemption is not helpful for scheduling")
    return (f"0/1 nodes are available: {shown}. preemption: 0/1 nodes are available: "
            f"{victims}.")


class Scheduler:
    def __init__(self, cluster: Cluster, capacity: NodeCapacity) -> None:
        self.cluster = cluster
        self.capacity = capacity
        self.pods = cluster.resource("", "v1", "pods")
        self._waiting: set[tuple[str, str]] = set()  # pods found unschedulable, tried again
        self.labels: dict[str, str] = default_labels(NODE)
        self.taints: list[dict[str, Any]] = []

    def set_node(self, labels: dict[str, str | None] | None = None,
                 taints: list[dict[str, Any]] | None = None) -> None:
        """Label the node (a None value removes the label) and/or replace its taints, as
        `kubectl label` / `kubectl taint` would; pods waiting for a node are tried again."""
        for key, value in (labels or {}).items():
            if value is None:
                self.labels.pop(key, None)
            else:
                self.labels[key] = value
        if taints is not None:
            self.taints = [dict(taint) for taint in taints]
        self._retry()

    async def run(self) -> None:
        apply.act_as("kube-scheduler")
        watcher = Watcher(self.pods.qualified, None, Selector())
        # A claim bound (or made) may let a waiting pod in (the real queue's PVC events).
        claims = Watcher(volumebinding.CLAIMS, None, Selector(), wakeup=watcher.wakeup)
        self.cluster.store.subscribe(watcher, None)
        self.cluster.store.subscribe(claims, None)
        for pod in self.cluster.store.items(self.pods.qualified):
            self._consider(pod)
        try:
            while True:
                pod_events, claim_events = await volumebinding.next_batches(watcher, claims)
                retry = bool(claim_events)
                for event in pod_events:
                    phase = (event.obj.get("status") or {}).get("phase")
                    if event.type == "DELETED" or phase in TERMINAL:
                        retry = True  # room may have been freed
                    elif event.type == "ADDED":
                        self._consider(event.obj)
                if retry:
                    self._retry()
                await asyncio.sleep(0)
        finally:
            self.cluster.store.unsubscribe(watcher)
            self.cluster.store.unsubscribe(claims)

    def _retry(self) -> None:
        for key in sorted(self._waiting):
            found = self.cluster.store.get(self.pods.qualified, *key)
            if found is None:
                self._waiting.discard(key)
            else:
                self._consider(found)

    def _bound(self) -> list[dict[str, Any]]:
        return [p for p in self.cluster.store.items(self.pods.qualified)
                if p["spec"].get("nodeName") == NODE
                and (p.get("status") or {}).get("phase") not in TERMINAL]

    def _consider(self, pod: dict[str, Any]) -> None:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        key = (meta["namespace"], meta["name"])
        if (spec.get("nodeName") or meta.get("deletionTimestamp")
                or spec.get("schedulerName", SCHEDULER) != SCHEDULER
                or (pod.get("status") or {}).get("phase") in TERMINAL):
            self._waiting.discard(key)
            return
        problem = volumebinding.claim_problem(pod, {
            c["metadata"]["name"]: c for c in self.cluster.store.items(volumebinding.CLAIMS,
                                                                      meta["namespace"])})
        if problem is not None:
            self._waiting.add(key)
            self._refuse(pod, volumebinding.unschedulable_message(problem))
            return
        failure = filter_failure(spec, NODE, self.labels, self.taints)
        if failure:
            self._waiting.add(key)
            self._refuse(pod, filter_message([failure], preemption_may_help=False))
            return
        short, ever = insufficient(pod, self._bound(), self.capacity)
        if short:
            self._waiting.add(key)
            self._refuse(pod, unschedulable_message(short, ever))
            return
        self._waiting.discard(key)
        try:
            self.cluster.bind(pod, NODE)
        except errors.ApiError:
            return  # deleted or bound meanwhile
        self._event(pod, "Normal", "Scheduled",
                    f"Successfully assigned {meta['namespace']}/{meta['name']} to {NODE}")

    def _refuse(self, pod: dict[str, Any], message: str) -> None:
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        old = next((c for c in status.get("conditions") or []
                    if c.get("type") == "PodScheduled"), None)
        if old and old.get("message") == message:
            return  # told already (the real scheduler aggregates repeats into one Event)
        conditions.append({"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                           "lastTransitionTime": (old or {}).get("lastTransitionTime") or now(),
                           "reason": "Unschedulable", "message": message})
        with contextlib.suppress(errors.ApiError):
            self.cluster.write_status(self.pods, pod, {**status, "conditions": conditions})
        self._event(pod, "Warning", "FailedScheduling", message)

    def _event(self, pod: dict[str, Any], kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(pod, kind, reason, message, SCHEDULER)
