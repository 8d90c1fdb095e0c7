"""Defaults and validation of networking.k8s.io/v1 Ingresses, IngressClasses and
NetworkPolicies, as the real server's.

Sources: pkg/apis/networking/v1/defaults.go (SetDefaults_NetworkPolicy: policyTypes Ingress,
plus Egress with egress rules; SetDefaults_NetworkPolicyPort: protocol TCP) and
pkg/apis/networking/validation/validation.go (ValidateIngressSpec, validateHTTPIngressPath,
validateIngressBackend, ValidateIngressClass(Update), ValidateNetworkPolicySpec,
ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from . import field_errors as fe
from .label_selectors import selector_causes

Causes = list[dict[str, str]]
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
PROTOCOLS = ["TCP", "UDP", "SCTP"]
POLICY_TYPES = ["Ingress", "Egress"]
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
CIDR_MESSAGE = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def _wildcard_subdomain(value: str) -> list[str]:
    """IsWildcardDNS1123Subdomain."""
    pattern = r"\*\." + fe.DNS1123_SUBDOMAIN
    messages = []
    if len(value) > 253:
        messages.append("must be no more than 253 characters")
    if not re.fullmatch(pattern, value):
        messages.append(fe.regex_error(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS "
            "subdomain, which must consist of lower case alphanumeric characters, '-' or '.' "
            "and end with an alphanumeric character", pattern, "*.example.com"))
    return messages


def _host_causes(host: str, path: str, *, no_ip: bool) -> Causes:
    causes: Causes = []
    if no_ip:
        try:
            ipaddress.ip_address(host)
            causes.append(fe.invalid(path, host, "must be a DNS name, not an IP address"))
        except ValueError:
            pass
    check = _wildcard_subdomain if "*" in host else fe.dns1123_subdomain
    return causes + [fe.invalid(path, host, m) for m in check(host)]


# Ingresses ---------------------------------------------------------------------------------
def default_ingress(ingress: dict[str, Any]) -> None:
    ingress.setdefault("status", {}).setdefault("loadBalancer", {})


def _backend_causes(backend: dict[str, Any], path: str) -> Causes:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [fe.invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return [fe.required(f"{path}.resource.{key}") for key in ("kind", "name")
                if not resource.get(key)]
    if service is None:
        return [fe.invalid(path, "", "resource or service backend is required")]
    causes: Causes = []
    name = service.get("name") or ""
    if not name:
        causes.append(fe.required(f"{path}.service.name"))
    else:
        causes += [fe.invalid(f"{path}.service.name", name, m) for m in fe.dns1035_label(name)]
    port = service.get("port") or {}
    named, number = port.get("name") or "", port.get("number") or 0
    if named and number:
        causes.append(fe.invalid(path, "", "cannot set both port name & port number"))
    elif named:
        causes += [fe.invalid(f"{path}.service.port.name", named, m) for m in fe.port_name(named)]
    elif number:
        causes += [fe.invalid(f"{path}.service.port.number", number, m)
                   for m in fe.port_number(number)]
    else:
        causes.append(fe.required(path, "port name or number is required"))
    return causes


def _http_path_causes(entry: dict[str, Any], path: str) -> Causes:
    kind, value = entry.get("pathType"), entry.get("path") or ""
    if kind is None:
        return [fe.required(f"{path}.pathType", "pathType must be specified")]
    causes: Causes = []
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            causes.append(fe.invalid(f"{path}.path", value, "must be an absolute path"))
        causes += [fe.invalid(f"{path}.path", value, f"must not contain '{bad}'")
                   for bad in INVALID_PATH_SEQUENCES if value and bad in value]
        causes += [fe.invalid(f"{path}.path", value, f"cannot end with '{bad}'")
                   for bad in INVALID_PATH_SUFFIXES if value and value.endswith(bad)]
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            causes.append(fe.invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        causes.append(fe.not_supported(f"{path}.pathType", kind, PATH_TYPES))
    return causes + _backend_causes(entry.get("backend") or {}, f"{path}.backend")


def ingress_causes(ingress: dict[str, Any]) -> Causes:
    """ValidateIngressCreate: the spec, and the class annotation beside ingressClassName."""
    spec = ingress.get("spec") or {}
    rules = spec.get("rules")
    causes: Causes = []
    if not rules and spec.get("defaultBackend") is None:
        causes.append(fe.invalid("spec", rules, "either `defaultBackend` or `rules` must be "
                                                "specified"))
    if spec.get("defaultBackend") is not None:
        causes += _backend_causes(spec["defaultBackend"], "spec.defaultBackend")
    for index, rule in enumerate(rules or []):
        here = f"spec.rules[{index}]"
        if rule.get("host"):
            causes += _host_causes(rule["host"], f"{here}.host", no_ip=True)
        http = rule.get("http")
        if http is not None:
            paths = http.get("paths") or []
            if not paths:
                causes.append(fe.required(f"{here}.http.paths"))
            for number, entry in enumerate(paths):
                causes += _http_path_causes(entry, f"{here}.http.paths[{number}]")
    for index, tls in enumerate(spec.get("tls") or []):
        for number, host in enumerate(tls.get("hosts") or []):
            causes += _host_causes(host, f"spec.tls[{index}].hosts[{number}]", no_ip=False)
        secret = tls.get("secretName")
        if secret:
            causes += [fe.invalid(f"spec.tls[{index}].secretName", secret, m)
                       for m in fe.dns1123_subdomain(secret)]
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        causes += [fe.invalid("spec.ingressClassName", class_name, m)
                   for m in fe.dns1123_subdomain(class_name)]
        annotation = (ingress["metadata"].get("annotations") or {}).get(CLASS_ANNOTATION)
        if annotation is not None:
            causes.append(fe.invalid(f"annotations.{CLASS_ANNOTATION}", annotation,
                                     "can not be set when the class field is also set"))
    return causes


# IngressClasses ----------------------------------------------------------------------------
def _domain_prefixed_path(value: str, path: str) -> Causes:
    """IsDomainPrefixedPath."""
    if not value:
        return [fe.required(path)]
    host, slash, rest = value.partition("/")
    if not slash:
        return [fe.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    causes = [fe.invalid(path, host, m) for m in fe.dns1123_subdomain(host)]
    if not re.fullmatch(r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+", rest):
        causes.append(fe.invalid(path, rest, "Invalid path"))
    return causes


def ingress_class_causes(ingress_class: dict[str, Any]) -> Causes:
    spec = ingress_class.get("spec") or {}
    controller = spec.get("controller") or ""
    causes: Causes = []
    if len(controller) > 250:
        causes.append(fe.too_long("spec.controller", 250))
    causes += _domain_prefixed_path(controller, "spec.controller")
    parameters = spec.get("parameters")
    if parameters is not None:
        causes += [fe.required(f"spec.parameters.{key}") for key in ("kind", "name")
                   if not parameters.get(key)]
        scope = parameters.get("scope")
        if scope is not None and scope not in ("Cluster", "Namespace"):
            causes.append(fe.not_supported("spec.parameters.scope", scope,
                                           ["Cluster", "Namespace"]))
        if scope == "Namespace" and not parameters.get("namespace"):
            causes.append(fe.required("spec.parameters.namespace",
                                      "`parameters.scope` is set to 'Namespace'"))
    return causes


def ingress_class_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    controller = (new.get("spec") or {}).get("controller")
    if controller != (old.get("spec") or {}).get("controller"):
        return [fe.invalid("spec.controller", controller, "field is immutable")]
    return []


# NetworkPolicies ---------------------------------------------------------------------------
def default_network_policy(policy: dict[str, Any]) -> None:
    spec = policy.setdefault("spec", {})
    spec.setdefault("podSelector", {})
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule.get("ports") or []) if isinstance(rule, dict) else []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _policy_port_causes(port: dict[str, Any], path: str) -> Causes:
    causes: Causes = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        causes.append(fe.not_supported(f"{path}.protocol", protocol, PROTOCOLS))
    value, end = port.get("port"), port.get("endPort")
    if value is None:
        if end is not None:
            causes.append(fe.invalid(f"{path}.endPort", end,
                                     "may not be specified when `port` is not specified"))
    elif isinstance(value, int):
        causes += [fe.invalid(f"{path}.port", value, m) for m in fe.port_number(value)]
        if end is not None:
            if end < value:
                causes.append(fe.invalid(f"{path}.endPort", value,
                                         "must be greater than or equal to `port`"))
            causes += [fe.invalid(f"{path}.endPort", end, m) for m in fe.port_number(end)]
    else:
        if end is not None:
            causes.append(fe.invalid(f"{path}.endPort", end,
                                     "may not be specified when `port` is non-numeric"))
        causes += [fe.invalid(f"{path}.port", str(value), m) for m in fe.port_name(str(value))]
    return causes


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _ip_block_causes(block: dict[str, Any], path: str) -> Causes:
    cidr = block.get("cidr") or ""
    if not cidr:
        return [fe.required(f"{path}.cidr")]
    network = _network(cidr)
    if network is None:
        return [fe.invalid(f"{path}.cidr", cidr, CIDR_MESSAGE)]
    causes: Causes = []
    for index, text in enumerate(block.get("except") or []):
        here = f"{path}.except[{index}]"
        excepted = _network(text)
        if excepted is None:
            causes.append(fe.invalid(here, text, CIDR_MESSAGE))
        elif (excepted.version != network.version
              or excepted.network_address not in network
              or network.prefixlen >= excepted.prefixlen):
            causes.append(fe.invalid(here, text, "must be a strict subset of `cidr`"))
    return causes


def _peer_causes(peer: dict[str, Any], path: str) -> Causes:
    causes: Causes = []
    present = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            present += 1
            causes += selector_causes(peer[key], f"{path}.{key}")
    if peer.get("ipBlock") is not None:
        present += 1
        causes += _ip_block_causes(peer["ipBlock"], f"{path}.ipBlock")
    if present == 0:
        causes.append(fe.required(path, "must specify a peer"))
    elif present > 1 and peer.get("ipBlock") is not None:
        causes.append(fe.forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def network_policy_causes(policy: dict[str, Any]) -> Causes:
    spec = policy.get("spec") or {}
    causes = selector_causes(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(spec.get(direction) or []):
            here = f"spec.{direction}[{index}]"
            for number, port in enumerate(rule.get("ports") or []):
                causes += _policy_port_causes(port, f"{here}.ports[{number}]")
            for number, peer in enumerate(rule.get(peers) or []):
                causes += _peer_causes(peer, f"{here}.{peers}[{number}]")
    types = spec.get("policyTypes") or []
    if len(types) > len(POLICY_TYPES):
        return causes + [fe.invalid("spec.policyTypes", types,
                                    "may not specify more than two policyTypes")]
    causes += [fe.not_supported(f"spec.policyTypes[{index}]", kind, POLICY_TYPES)
               for index, kind in enumerate(types) if kind not in POLICY_TYPES]
    return causes
