"""core/v1 Services: defaults, validation and the clusterIP and nodePort allocators.

Defaults: pkg/apis/core/v1/defaults.go SetDefaults_Service (type ClusterIP, sessionAffinity
None, protocol TCP, targetPort = port, internalTrafficPolicy Cluster, externalTrafficPolicy
Cluster for NodePort/LoadBalancer). Allocation: pkg/registry/core/service/storage/alloc.go
(clusterIP from the service CIDR 10.96.0.0/12 — the `kubernetes` Service takes its first
address —, ipFamilies [IPv4], ipFamilyPolicy SingleStack, nodePorts from 30000-32767; on update
an unset clusterIP or nodePort keeps the one allocated: patchAllocatedValues). Validation:
pkg/apis/core/validation/validation.go ValidateService / ValidateServiceUpdate.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
from typing import Any

from . import field_errors as fe
from .builtin_validation import labels_causes
from .errors import cause

Causes = list[dict[str, str]]
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
KUBERNETES_IP = str(SERVICE_CIDR[1])
NODE_PORTS = range(30000, 32768)
TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
HEADLESS = "None"
PORT_RANGE = "must be between 1 and 65535, inclusive"  # validation.InclusiveRangeError
_rng = random.Random()


def _with_cluster_ip(service: dict[str, Any]) -> bool:
    return (service.get("spec") or {}).get("type", "ClusterIP") != "ExternalName"


def _with_node_ports(service: dict[str, Any]) -> bool:
    return (service.get("spec") or {}).get("type") in ("NodePort", "LoadBalancer")


def set_defaults(service: dict[str, Any]) -> None:
    spec = service.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    service.setdefault("status", {"loadBalancer": {}})


def _taken(services: list[dict[str, Any]]) -> tuple[set[str], set[int]]:
    ips: set[str] = set()
    ports: set[int] = set()
    for found in services:
        spec = found.get("spec") or {}
        ips.update(spec.get("clusterIPs") or [spec.get("clusterIP") or ""])
        ports.update(p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort"))
    return ips, ports


def _refused(wanted: str, detail: str) -> dict[str, str]:
    """alloc.go's error: the clusterIPs shown as Go's %#v prints a []string."""
    return cause("spec.clusterIPs", f'Invalid value: []string{{"{wanted}"}}: failed to '
                                    f"allocate IP {wanted}: {detail}")


def _allocate_ip(wanted: str | None, taken: set[str], first: bool) -> tuple[str, Causes]:
    if wanted:
        try:
            address = ipaddress.ip_address(wanted)
        except ValueError:
            return "", [fe.invalid("spec.clusterIPs[0]", wanted, "must be a valid IP address, "
                                   "(e.g. 10.9.8.7 or 2001:db8::ffff)")]
        if address not in SERVICE_CIDR or address in (SERVICE_CIDR[0], SERVICE_CIDR[-1]):
            return "", [_refused(wanted, f"the provided IP ({wanted}) is not in the valid "
                                         f"range. The range of valid IPs is {SERVICE_CIDR}")]
        if wanted in taken:
            return "", [_refused(wanted, "provided IP is already allocated")]
        return wanted, []
    if first and KUBERNETES_IP not in taken:
        return KUBERNETES_IP, []
    while True:  # the dynamic allocator: random addresses of the range (65534 of them)
        candidate = str(SERVICE_CIDR[_rng.randint(2, SERVICE_CIDR.num_addresses - 2)])
        if candidate not in taken:
            return candidate, []


def _allocate(service: dict[str, Any], others: list[dict[str, Any]]) -> Causes:
    """The clusterIP and nodePorts the Service still lacks, and its IP families."""
    spec = service["spec"]
    ips, node_ports = _taken(others)
    causes: Causes = []
    if _with_cluster_ip(service):
        wanted = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
        if wanted != HEADLESS:
            first = service["metadata"].get("name") == "kubernetes" and \
                service["metadata"].get("namespace") == "default"
            wanted, causes = _allocate_ip(wanted, ips, first)
        spec["clusterIP"], spec["clusterIPs"] = wanted, [wanted]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    if _with_node_ports(service):
        for index, port in enumerate(spec.get("ports") or []):
            wanted = port.get("nodePort")
            if wanted and (wanted in node_ports or wanted not in NODE_PORTS):
                detail = ("provided port is already allocated" if wanted in node_ports else
                          f"provided port is not in the valid range. The range of valid "
                          f"ports is {NODE_PORTS.start}-{NODE_PORTS.stop - 1}")
                causes.append(fe.invalid(f"spec.ports[{index}].nodePort", wanted, detail))
                continue
            if not wanted:
                wanted = next(p for p in _rng.sample(NODE_PORTS, len(NODE_PORTS))
                              if p not in node_ports)
            port["nodePort"] = wanted
            node_ports.add(wanted)
    return causes


def prepare_create(service: dict[str, Any], others: list[dict[str, Any]]) -> Causes:
    """Defaults, validation, then allocation (the REST storage's order)."""
    set_defaults(service)
    causes = service_causes(service)
    return causes or _allocate(service, others)


def prepare_update(new: dict[str, Any], old: dict[str, Any],
                   others: list[dict[str, Any]]) -> Causes:
    """patchAllocatedValues, dropTypeDependentFields, then what a new type needs allocated."""
    set_defaults(new)
    spec, old_spec = new["spec"], old.get("spec") or {}
    if _with_cluster_ip(new) and _with_cluster_ip(old):
        if not spec.get("clusterIP"):
            spec["clusterIP"] = old_spec.get("clusterIP")
        if not spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec.get("clusterIPs") or [])
        for key in ("ipFamilies", "ipFamilyPolicy"):
            spec.setdefault(key, old_spec.get(key))
    if _with_node_ports(new) and _with_node_ports(old):
        old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                     for p in old_spec.get("ports") or []}
        for port in spec.get("ports") or []:
            port.setdefault("nodePort", old_ports.get((port.get("port"), port.get("protocol"))))
            if port["nodePort"] is None:
                del port["nodePort"]
    if not _with_cluster_ip(new):
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy",
                    "internalTrafficPolicy"):
            spec.pop(key, None)
    if not _with_node_ports(new):
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
        spec.pop("externalTrafficPolicy", None)
    causes = service_causes(new)
    if _with_cluster_ip(old) and _with_cluster_ip(new) and old_spec.get("clusterIP"):
        if spec.get("clusterIP") != old_spec.get("clusterIP"):
            causes.append(fe.invalid("spec.clusterIPs[0]", spec.get("clusterIP"),
                                     "may not change once set"))
            causes.append(fe.invalid("spec.clusterIP", spec.get("clusterIP"),
                                     "field is immutable"))
    if causes:
        return causes
    mine = old["metadata"]["uid"]
    return _allocate(new, [o for o in others if o["metadata"]["uid"] != mine])


def _port_causes(port: dict[str, Any], path: str, several: bool, names: set[str]) -> Causes:
    causes: Causes = []
    name = port.get("name", "")
    if several and not name:
        causes.append(fe.required(f"{path}.name"))
    elif name:
        causes += [fe.invalid(f"{path}.name", name, m) for m in fe.dns1123_label(name)]
        if name in names:
            causes.append(fe.duplicate(f"{path}.name", name))
        names.add(name)
    if not isinstance(port.get("port"), int) or not 1 <= port["port"] <= 65535:
        causes.append(fe.invalid(f"{path}.port", port.get("port"), PORT_RANGE))
    if port.get("protocol") not in PROTOCOLS:
        causes.append(fe.not_supported(f"{path}.protocol", port.get("protocol"), PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int) and not 1 <= target <= 65535:
        causes.append(fe.invalid(f"{path}.targetPort", target, PORT_RANGE))
    elif isinstance(target, str):
        causes += [fe.invalid(f"{path}.targetPort", target, m)
                   for m in fe.port_name(target)]
    return causes


def service_causes(service: dict[str, Any]) -> Causes:
    """ValidateService, for what the double models."""
    spec = service.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    causes: Causes = []
    if kind not in TYPES:
        causes.append(fe.not_supported("spec.type", kind, TYPES))
    ports = spec.get("ports") or []
    if kind == "ExternalName":
        if not spec.get("externalName"):
            causes.append(fe.required("spec.externalName"))
        else:
            causes += [fe.invalid("spec.externalName", spec["externalName"], m)
                       for m in fe.dns1123_subdomain(spec["externalName"].rstrip("."))]
    elif not ports and spec.get("clusterIP") != HEADLESS:
        causes.append(fe.required("spec.ports"))
    names: set[str] = set()
    for index, port in enumerate(ports):
        causes += _port_causes(port, f"spec.ports[{index}]", len(ports) > 1, names)
    causes += labels_causes(spec.get("selector"), "spec.selector")
    if spec.get("sessionAffinity") not in ("None", "ClientIP"):
        causes.append(fe.not_supported("spec.sessionAffinity", spec.get("sessionAffinity"),
                                       ["ClientIP", "None"]))
    return causes


def ensure_kubernetes_service(cluster: Any, host: str, port: int) -> None:
    """The `kubernetes` Service in `default` (10.96.0.1:443) and its EndpointSlice naming the
    API server, as kube-apiserver's endpoint reconciler keeps them (reconcilers/lease.go)."""
    from . import errors

    svc = cluster.resource("", "v1", "services")
    slices = cluster.resource("discovery.k8s.io", "v1", "endpointslices")
    labels = {"component": "apiserver", "provider": "kubernetes"}
    with contextlib.suppress(errors.ApiError):  # kept from an earlier run (--state)
        cluster.create(svc, "default", {"metadata": {"name": "kubernetes", "labels": labels},
                                        "spec": {"ports": [{"name": "https", "port": 443,
                                                            "targetPort": port}]}})
    body = {"metadata": {"name": "kubernetes",
                         "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [host], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
    if cluster.store.get(slices.qualified, "default", "kubernetes") is None:
        cluster.create(slices, "default", body)
    else:
        cluster.patch(slices, "default", "kubernetes", body, "application/merge-patch+json")


def ports_cell(service: dict[str, Any]) -> str:
    """kubectl's PORT(S): 80/TCP, 80:30080/TCP for a nodePort; <none> without ports."""
    shown = []
    for port in (service.get("spec") or {}).get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        shown.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    return ",".join(shown) or "<none>"


def external_ip_cell(service: dict[str, Any]) -> str:
    """kubectl's EXTERNAL-IP (printers.go getServiceExternalIP)."""
    spec = service.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind == "ExternalName":
        return spec.get("externalName", "")
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    shown = [i.get("ip") or i.get("hostname") for i in ingress] + list(
        spec.get("externalIPs") or [])
    if kind == "LoadBalancer" and not shown:
        return "<pending>"
    return ",".join(shown) or "<none>"


def cluster_ip_cell(service: dict[str, Any]) -> str:
    spec = service.get("spec") or {}
    return ",".join(spec.get("clusterIPs") or []) or spec.get("clusterIP") or "<none>"
