"""The double's stand-in for a pod's network namespace and for CoreDNS, in a Python process.

The kubelet puts this folder first on the PYTHONPATH of every container it starts, so Python
imports this module at start-up (site.py's `sitecustomize`). A real pod has its own network
namespace: binding 0.0.0.0:8000 in two pods never clashes. Here all pods share the host's, so:

- a bind to 0.0.0.0 (or '') binds the pod's own loopback address (KUBEDOUBLE_POD_IP) instead;
- cluster DNS: `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local`
  resolve to the Service's clusterIP, searched as a pod's resolv.conf says (search
  `<ns>.svc.cluster.local svc.cluster.local cluster.local`, ndots:5);
- a connection to a clusterIP:port goes to the double's proxy of that Service port (what
  kube-proxy's DNAT rules do), which forwards it to a ready endpoint.

The names come from the file KUBEDOUBLE_CLUSTER_NAMES (JSON, rewritten by the double as Services
change, read again when it changes). Processes that are not Python get only the environment
(and the downward API's status.podIP). Only the standard library is used: this runs in any
container's interpreter. Nothing here is imported by the double itself.
"""

from __future__ import annotations

import json
import os
import socket

_POD_IP = os.environ.get("KUBEDOUBLE_POD_IP", "")
_NAMES_FILE = os.environ.get("KUBEDOUBLE_CLUSTER_NAMES", "")
_NAMESPACE = os.environ.get("KUBEDOUBLE_POD_NAMESPACE", "default")
_MAX_BYTES = 4 << 20
_ANY = ("", "0.0.0.0")
_cache: dict[str, object] = {"stamp": None, "names": {}, "forwards": {}}


def _table() -> tuple[dict[str, str], dict[str, str]]:
    """(name → clusterIP, "ip:port" → "proxyIP:port"), re-read when the file changes."""
    if not _NAMES_FILE:
        return {}, {}
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(_NAMES_FILE, flags)
    except OSError:
        return {}, {}
    try:
        info = os.fstat(fd)
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if stamp != _cache["stamp"] and info.st_size <= _MAX_BYTES:
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = json.loads(handle.read(_MAX_BYTES) or b"{}")
            _cache.update(stamp=stamp, names=dict(data.get("names") or {}),
                          forwards=dict(data.get("forwards") or {}))
    except (OSError, ValueError):
        pass
    finally:
        os.close(fd)
    return _cache["names"], _cache["forwards"]  # type: ignore[return-value]


def cluster_address(host: object) -> str | None:
    """The clusterIP a name resolves to in the pod's namespace, if it names a Service."""
    if not isinstance(host, (str, bytes)):
        return None
    name = (host.decode() if isinstance(host, bytes) else host).rstrip(".").lower()
    names, _ = _table()
    if not name or not names:
        return None
    search = [f"{_NAMESPACE}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    tries = ([f"{name}.{domain}" for domain in search] if name.count(".") < 5 else []) + [name]
    return next((names[fqdn] for fqdn in tries if fqdn in names), None)


def _forwarded(address: object) -> object:
    if not isinstance(address, tuple) or len(address) != 2:
        return address
    _, forwards = _table()
    target = forwards.get(f"{address[0]}:{address[1]}")
    if target is None:
        return address
    ip, _, port = target.rpartition(":")
    return (ip, int(port))


_bind, _connect, _connect_ex = socket.socket.bind, socket.socket.connect, socket.socket.connect_ex
_getaddrinfo, _gethostbyname = socket.getaddrinfo, socket.gethostbyname
_gethostbyname_ex = socket.gethostbyname_ex


def _own_bind(self: socket.socket, address: object) -> None:
    if (_POD_IP and self.family == socket.AF_INET and isinstance(address, tuple)
            and address[0] in _ANY):
        address = (_POD_IP, *address[1:])
    _bind(self, address)


def _own_connect(self: socket.socket, address: object) -> None:
    _connect(self, _forwarded(address) if self.family == socket.AF_INET else address)


def _own_connect_ex(self: socket.socket, address: object) -> int:
    return _connect_ex(self, _forwarded(address) if self.family == socket.AF_INET else address)


def _own_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    return _getaddrinfo(cluster_address(host) or host, *args, **kwargs)  # type: ignore[arg-type]


def _own_gethostbyname(host: str) -> str:
    return cluster_address(host) or _gethostbyname(host)


def _own_gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    found = cluster_address(host)
    return (host, [], [found]) if found else _gethostbyname_ex(host)


socket.socket.bind = _own_bind  # type: ignore[method-assign]
socket.socket.connect = _own_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _own_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _own_getaddrinfo
socket.gethostbyname = _own_gethostbyname
socket.gethostbyname_ex = _own_gethostbyname_ex
