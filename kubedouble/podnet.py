"""Addresses on the double's one node: each pod's own loopback IP, each proxied Service's.

A real pod has a network namespace with its own IP; here every pod gets an address of its own
in 127.0.0.0/8 (all of it is on `lo` on Linux, so anything can bind and reach it), and a
Service port's proxy (kubedouble/proxy.py) gets another. Addresses are picked at random in a
wide range (many doubles share one machine and must not hand out the same one), handed out once
and taken back when the pod's run ends. The node itself (hostIP) is 127.0.0.1.

The Python processes of a container are told their pod's address and the cluster's names
through kubedouble/netns/sitecustomize.py (see there); these are its environment variables.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import threading
from pathlib import Path
from typing import Any

from .containers import ContainerPlan

NODE_IP = "127.0.0.1"
POD_IP_ENV = "KUBEDOUBLE_POD_IP"  # the pod's address, for the netns stand-in
NAMESPACE_ENV = "KUBEDOUBLE_POD_NAMESPACE"  # the first DNS search domain
NAMES_ENV = "KUBEDOUBLE_CLUSTER_NAMES"  # the file of Service names and proxied addresses
NETNS_DIR = Path(__file__).resolve().parent / "netns"  # on the PYTHONPATH of a container
# 127.16.0.0 .. 127.254.255.254: far from 127.0.0.x, where tests and servers usually listen.
_FIRST, _LAST = (127 << 24) | (16 << 16), (127 << 24) | (254 << 16) | 0xFFFE


def _dotted(number: int) -> str:
    return ".".join(str(number >> shift & 0xFF) for shift in (24, 16, 8, 0))


class AddressPool:
    """Loopback addresses handed out once each until freed (thread-safe: tests read it too)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._taken: set[str] = set()
        self._lock = threading.Lock()

    def allocate(self) -> str:
        with self._lock:
            while True:
                address = _dotted(self._rng.randint(_FIRST, _LAST))
                if address not in self._taken and not address.endswith((".0", ".255")):
                    self._taken.add(address)
                    return address

    def free(self, address: str) -> None:
        with self._lock:
            self._taken.discard(address)


def names_file(scratch: Path) -> Path:
    """Where a double publishes its cluster names (one file per double)."""
    return scratch / "netns" / "names.json"


def in_pod_network(plan: ContainerPlan, pod_ip: str, namespace: str,
                   names: Path) -> ContainerPlan:
    """The plan with what a container's environment gains: the pod's address, its namespace
    and the netns stand-in first on its PYTHONPATH (before the image's and its own entries)."""
    pythonpath = plan.env.get("PYTHONPATH")
    path = os.pathsep.join([str(NETNS_DIR), *([pythonpath] if pythonpath else [])])
    return dataclasses.replace(plan, env={
        **plan.env, POD_IP_ENV: pod_ip, NAMESPACE_ENV: namespace, NAMES_ENV: str(names),
        "PYTHONPATH": path})


def write_names(path: Path, names: dict[str, str], forwards: dict[str, str]) -> None:
    """Publish the cluster's DNS names (name → clusterIP) and the proxy behind each Service
    port ("clusterIP:port" → "proxyIP:port"), replaced at once (rename) so readers never see
    half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(json.dumps({"names": names, "forwards": forwards}, sort_keys=True))
    os.replace(partial, path)


def read_names(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {"names": {}, "forwards": {}}
