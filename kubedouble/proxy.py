"""A tiny kube-proxy: every TCP port of every Service with a clusterIP, forwarded to an endpoint.

A real node turns a Service's clusterIP:port into any ready endpoint with DNAT rules. Here each
Service gets a loopback address of its own (kubedouble/podnet.py) with one TCP listener per
port (the Service's port number when it can bind it), which relays each connection to a ready
endpoint of the Service's EndpointSlices picked at random (serving, terminating ones when none
is ready, as kube-proxy's fallback). With no endpoint the connection is closed at once (a real
node rejects it). The names file the pods' sitecustomize reads maps the Services' DNS names to
their clusterIPs and each clusterIP:port to its listener; `url_for` serves tests and
`make demo-chart` from outside, as `kubectl port-forward svc/...` would. UDP is not proxied.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import podnet, resync
from .endpointslices import SERVICE_NAME
from .store import Store

SLICES = "endpointslices.discovery.k8s.io"
Key = tuple[str, str]  # (namespace, service)


@dataclass
class Listener:
    port: dict[str, Any]  # the Service port
    server: asyncio.base_events.Server
    address: str
    listen_port: int


@dataclass
class ProxiedService:
    address: str
    cluster_ip: str
    listeners: dict[tuple[int, str], Listener] = field(default_factory=dict)  # (port, protocol)


def endpoints_for(slices: list[dict[str, Any]], port_name: str) -> list[tuple[str, int]]:
    """(address, port) of the endpoints to use for one Service port: ready ones, else serving
    terminating ones (pure)."""
    ready: list[tuple[str, int]] = []
    fallback: list[tuple[str, int]] = []
    for found in slices:
        number = next((p.get("port") for p in found.get("ports") or []
                       if p.get("name", "") == port_name), None)
        if number is None:
            continue
        for item in found.get("endpoints") or []:
            conditions = item.get("conditions") or {}
            pairs = [(a, int(number)) for a in item.get("addresses") or []]
            if conditions.get("ready") is not False:  # unset means ready
                ready += pairs
            elif conditions.get("serving") and conditions.get("terminating"):
                fallback += pairs
    return ready or fallback


class KubeProxy:
    def __init__(self, store: Store, addresses: podnet.AddressPool, names_file: Path) -> None:
        self.store = store
        self.addresses = addresses
        self.names_file = names_file
        self._services: dict[Key, ProxiedService] = {}
        self._lock = threading.Lock()  # url_for reads from the tests' thread
        self._relays: set[asyncio.Task[Any]] = set()  # connections being relayed

    async def run(self) -> None:
        podnet.write_names(self.names_file, {}, {})
        try:
            await resync.follow(self.store, ("services", SLICES), self.sync)
        finally:
            for key in list(self._services):
                self._drop(key)
            # Open connections end with the proxy (a client kept alive would outlive the loop).
            relays = list(self._relays)
            for task in relays:
                task.cancel()
            await asyncio.gather(*relays, return_exceptions=True)

    async def sync(self, _: set[str]) -> None:
        wanted = {(s["metadata"]["namespace"], s["metadata"]["name"]): s
                  for s in self.store.items("services")
                  if (s["spec"].get("clusterIP") or "None") != "None"}
        for key in [k for k in self._services if k not in wanted]:
            self._drop(key)
        for key, service in wanted.items():
            await self._open(key, service)
        self._publish(wanted)

    async def _open(self, key: Key, service: dict[str, Any]) -> None:
        proxied = self._services.get(key)
        if proxied is None or proxied.cluster_ip != service["spec"]["clusterIP"]:
            if proxied is not None:
                self._drop(key)
            proxied = ProxiedService(self.addresses.allocate(), service["spec"]["clusterIP"])
            with self._lock:
                self._services[key] = proxied
        ports = {(p["port"], p.get("protocol", "TCP")): p for p in service["spec"].get("ports")
                 or [] if p.get("protocol", "TCP") == "TCP"}
        for gone in [k for k in proxied.listeners if k not in ports]:
            proxied.listeners.pop(gone).server.close()
        for port_key, port in ports.items():
            if port_key in proxied.listeners:
                proxied.listeners[port_key].port = port
                continue
            relay = self._relay(key, port_key)
            try:
                server = await asyncio.start_server(relay, proxied.address, port["port"])
            except OSError:  # not allowed to bind a low port: any free one of its address
                server = await asyncio.start_server(relay, proxied.address, 0)
            bound = server.sockets[0].getsockname()[1]
            with self._lock:
                proxied.listeners[port_key] = Listener(port, server, proxied.address, bound)

    def _drop(self, key: Key) -> None:
        with self._lock:
            proxied = self._services.pop(key)
        for listener in proxied.listeners.values():
            listener.server.close()
        self.addresses.free(proxied.address)

    def _publish(self, services: dict[Key, dict[str, Any]]) -> None:
        names, forwards = {}, {}
        for (namespace, name), proxied in self._services.items():
            names[f"{name}.{namespace}.svc.cluster.local"] = proxied.cluster_ip
            for (port, _), listener in proxied.listeners.items():
                forwards[f"{proxied.cluster_ip}:{port}"] = f"{listener.address}:" \
                                                          f"{listener.listen_port}"
        podnet.write_names(self.names_file, names, forwards)

    def _relay(self, key: Key, port_key: tuple[int, str]) -> Any:
        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            proxied = self._services.get(key)
            listener = proxied.listeners.get(port_key) if proxied else None
            slices = [s for s in self.store.items(SLICES, key[0])
                      if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == key[1]]
            choices = endpoints_for(slices, listener.port.get("name", "")) if listener else []
            if not choices:
                writer.close()
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*random.choice(choices))
            except OSError:
                writer.close()
                return
            task = asyncio.current_task()
            if task is not None:
                self._relays.add(task)
            try:
                await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
            finally:
                self._relays.discard(task)  # type: ignore[arg-type]
                writer.close()
                up_writer.close()
        return relay

    def url_for(self, namespace: str, name: str, port: int | str) -> str | None:
        """http://address:port of the listener for the Service port (number or name)."""
        with self._lock:
            proxied = self._services.get((namespace, name))
            for (number, _), listener in (proxied.listeners if proxied else {}).items():
                if port in (number, listener.port.get("name")):
                    return f"http://{listener.address}:{listener.listen_port}"
        return None


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
            else:
                writer.close()
