"""The EndpointSlice controller (pkg/controller/endpointslice, staging/.../endpointslice).

For each Service with a selector it keeps discovery.k8s.io/v1 EndpointSlices listing the pods
that match: every pod with an IP that is not terminal, with conditions ready (Ready and not
terminating), serving (Ready) and terminating (deletionTimestamp set); pods whose named
targetPorts resolve alike share a slice (one slice per port mapping, as the reconciler groups
them). A Service no pod matches keeps one empty placeholder slice. The slices are named
`<service>-<random>`, labelled kubernetes.io/service-name and managed-by, owned by the Service.
"""

from __future__ import annotations

import contextlib
from typing import Any

from . import apply, errors, resync
from .operations import Cluster
from .podstatus import TERMINAL

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
Ports = tuple[tuple[str, int, str], ...]  # (name, port, protocol) per Service port


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _selects(selector: dict[str, str], pod: dict[str, Any]) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(key) == value for key, value in selector.items())


def target_port(port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """The Service port's targetPort for this pod: a number, or a container port's name."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    protocol = port.get("protocol", "TCP")
    for container in pod["spec"].get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target and declared.get("protocol", "TCP") == protocol:
                return int(declared["containerPort"])
    return None


def endpoint(pod: dict[str, Any]) -> dict[str, Any]:
    meta, terminating = pod["metadata"], bool(pod["metadata"].get("deletionTimestamp"))
    ready = _ready(pod)
    return {"addresses": [pod["status"]["podIP"]],
            "conditions": {"ready": ready and not terminating, "serving": ready,
                           "terminating": terminating},
            "nodeName": pod["spec"].get("nodeName", ""),
            "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                          "uid": meta["uid"]}}


def desired(service: dict[str, Any], pods: list[dict[str, Any]]) -> dict[Ports, list[dict]]:
    """Port mapping → the endpoints that share it, for one Service (pure)."""
    selector = service["spec"].get("selector") or {}
    groups: dict[Ports, list[dict[str, Any]]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        status = pod.get("status") or {}
        if not _selects(selector, pod) or status.get("phase") in TERMINAL \
                or not status.get("podIP"):
            continue
        ports = tuple((p.get("name", ""), number, p.get("protocol", "TCP"))
                      for p in service["spec"].get("ports") or []
                      if (number := target_port(p, pod)) is not None)
        groups.setdefault(ports, []).append(endpoint(pod))
    return groups or {(): []}


def slice_body(service: dict[str, Any], ports: Ports, endpoints: list[dict]) -> dict[str, Any]:
    meta = service["metadata"]
    body: dict[str, Any] = {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"],
                     "labels": {**(meta.get("labels") or {}), SERVICE_NAME: meta["name"],
                                MANAGED_BY: CONTROLLER},
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                          "name": meta["name"], "uid": meta["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "addressType": "IPv4", "endpoints": endpoints,
    }
    if ports:
        body["ports"] = [{"name": name, "port": port, "protocol": protocol}
                         for name, port, protocol in ports]
    return body


def _ports_of(found: dict[str, Any]) -> Ports:
    return tuple((p.get("name", ""), p.get("port"), p.get("protocol", "TCP"))
                 for p in found.get("ports") or [])


class EndpointSliceController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.slices = cluster.resource("discovery.k8s.io", "v1", "endpointslices")

    async def run(self) -> None:
        apply.act_as("endpointslice-controller")
        await resync.follow(self.cluster.store, ("services", "pods", self.slices.qualified),
                            self.sync)

    def sync(self, namespaces: set[str]) -> None:
        for namespace in namespaces:
            pods = self.cluster.store.items("pods", namespace)
            slices = [s for s in self.cluster.store.items(self.slices.qualified, namespace)
                      if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == CONTROLLER]
            for service in self.cluster.store.items("services", namespace):
                if service["spec"].get("selector"):
                    mine = [s for s in slices if any(
                        r.get("uid") == service["metadata"]["uid"]
                        for r in s["metadata"].get("ownerReferences") or [])]
                    with contextlib.suppress(errors.ApiError):  # the next change retries
                        self.reconcile(service, desired(service, pods), mine)

    def reconcile(self, service: dict[str, Any], wanted: dict[Ports, list[dict]],
                  existing: list[dict[str, Any]]) -> None:
        namespace = service["metadata"]["namespace"]
        left = list(existing)
        for ports, endpoints in wanted.items():
            body = slice_body(service, ports, endpoints)
            found = next((s for s in left if _ports_of(s) == ports), None)
            if found is None:
                self.cluster.create(self.slices, namespace, body)
                continue
            left.remove(found)
            if found.get("endpoints") != endpoints or \
                    found["metadata"].get("labels") != body["metadata"]["labels"]:
                new = {**found, "endpoints": endpoints,
                       "metadata": {**found["metadata"], "labels": body["metadata"]["labels"]}}
                self.cluster.replace(self.slices, namespace, found["metadata"]["name"], new)
        for stale in left:
            self.cluster.delete(self.slices, namespace, stale["metadata"]["name"])


def ports_cell(found: dict[str, Any]) -> str:
    """kubectl's PORTS for a slice: its port numbers, <unset> for none."""
    ports = [str(p.get("port")) for p in found.get("ports") or []]
    return ",".join(ports) or "<unset>"


def endpoints_cell(found: dict[str, Any]) -> str:
    """kubectl's ENDPOINTS: the first three addresses, `+ N more...` after them."""
    addresses = [a for e in found.get("endpoints") or [] for a in e.get("addresses") or []]
    if not addresses:
        return "<unset>"
    shown = ",".join(addresses[:3])
    return shown + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
