"""Pure parts of the double's pod networking: addresses, probe thresholds and wording,
EndpointSlice contents, the proxy's endpoint choice and the netns stand-in's DNS search."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kubedouble import endpointslices, podnet, probes, proxy, services


def test_the_address_pool_hands_each_address_out_once_until_freed():
    pool = podnet.AddressPool(random.Random(1))
    taken = [pool.allocate() for _ in range(2000)]
    assert len(set(taken)) == 2000
    assert all(a.startswith("127.") and not a.startswith("127.0.") for a in taken)
    pool.free(taken[0])
    assert taken[0] not in pool._taken


@pytest.mark.parametrize(("results", "success_threshold", "failure_threshold", "starts",
                          "changes"), [
    # readiness starts failed; one success (threshold 1) turns it ready
    ([True], 1, 3, False, [True]),
    # successThreshold 2: the first success changes nothing
    ([True, True], 2, 3, False, [False, True]),
    # liveness starts alive; failureThreshold 3: two failures and a success do not kill
    ([False, False, True, False, False, False], 1, 3, True,
     [False, False, False, False, False, True]),
    # startup starts unknown: failures past the threshold change it (and kill)
    ([False, False], 1, 2, None, [False, True]),
])
def test_a_probe_changes_its_result_after_its_threshold_in_a_row(
        results, success_threshold, failure_threshold, starts, changes):
    record = probes.ProbeRecord(starts, success_threshold, failure_threshold)
    assert [record.observe(ok) for ok in results] == changes


def test_probe_ports_are_numbers_or_container_port_names():
    container = {"ports": [{"name": "http", "containerPort": 8000}]}
    assert probes.resolve_port(8080, container) == 8080
    assert probes.resolve_port("http", container) == 8000
    assert probes.resolve_port("metrics", container) is None


def test_http_probes_say_what_the_kubelet_says():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(503 if self.path == "/sick" else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    seen: list[dict[str, str]] = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        ok = asyncio.run(probes.http_get(
            {"path": "/", "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
            "127.0.0.1", port, 2))
        sick = asyncio.run(probes.http_get({"path": "/sick"}, "127.0.0.1", port, 2))
    finally:
        server.shutdown()
    assert ok == probes.Outcome(True)
    assert seen[0]["User-Agent"].startswith("kube-probe/") and seen[0]["X-Probe"] == "1"
    assert sick == probes.Outcome(False, "HTTP probe failed with statuscode: 503")
    # Still listening but nobody answers: the client's timeout.
    silent = asyncio.run(probes.http_get({"path": "/x"}, "127.0.0.1", port, 0.5))
    assert silent.output == (f'Get "http://127.0.0.1:{port}/x": context deadline exceeded '
                             "(Client.Timeout exceeded while awaiting headers)")
    server.server_close()
    refused = asyncio.run(probes.http_get({"path": "/x"}, "127.0.0.1", port, 2))
    assert refused.output == (f'Get "http://127.0.0.1:{port}/x": dial tcp 127.0.0.1:{port}: '
                              "connect: connection refused")
    tcp = asyncio.run(probes.tcp_socket({}, "127.0.0.1", port, 2))
    assert tcp.output == f"dial tcp 127.0.0.1:{port}: connect: connection refused"


def _pod(name: str, *, ready: bool = True, ip: str | None = "127.9.0.1", phase="Running",
         deleting: bool = False, port_name: str = "http", labels=None) -> dict:
    meta = {"name": name, "namespace": "ns", "uid": f"uid-{name}",
            "labels": labels if labels is not None else {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status = {"phase": phase, "conditions": [{"type": "Ready",
                                              "status": "True" if ready else "False"}]}
    if ip:
        status["podIP"] = ip
    return {"metadata": meta, "status": status, "spec": {"nodeName": "kubedouble", "containers": [
        {"ports": [{"name": port_name, "containerPort": 8000 if port_name == "http" else 9000}]}
    ]}}


SERVICE = {"metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid"},
           "spec": {"selector": {"app": "web"},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http",
                               "protocol": "TCP"}]}}


def test_endpoint_slices_list_matching_pods_with_their_conditions():
    pods = [_pod("a"), _pod("b", ready=False, ip="127.9.0.2"),
            _pod("c", deleting=True, ip="127.9.0.3"), _pod("d", ip=None),
            _pod("e", phase="Succeeded", ip="127.9.0.5"), _pod("f", labels={"app": "other"})]
    [(ports, endpoints)] = endpointslices.desired(SERVICE, pods).items()
    assert ports == (("http", 8000, "TCP"),)
    assert [(e["targetRef"]["name"], e["conditions"]) for e in endpoints] == [
        ("a", {"ready": True, "serving": True, "terminating": False}),
        ("b", {"ready": False, "serving": False, "terminating": False}),
        ("c", {"ready": False, "serving": True, "terminating": True})]


def test_pods_whose_named_ports_differ_get_slices_of_their_own():
    groups = endpointslices.desired(SERVICE, [_pod("a"), _pod("z", port_name="other")])
    assert set(groups) == {(("http", 8000, "TCP"),), ()}
    assert endpointslices.desired(SERVICE, []) == {(): []}  # the placeholder


def test_the_proxy_uses_ready_endpoints_then_serving_terminating_ones():
    def slice_of(*endpoints: tuple[str, dict]) -> dict:
        return {"ports": [{"name": "http", "port": 8000}],
                "endpoints": [{"addresses": [a], "conditions": c} for a, c in endpoints]}

    mixed = slice_of(("127.9.0.1", {"ready": True}), ("127.9.0.2", {"ready": False}))
    assert proxy.endpoints_for([mixed], "http") == [("127.9.0.1", 8000)]
    leaving = slice_of(("127.9.0.3", {"ready": False, "serving": True, "terminating": True}))
    assert proxy.endpoints_for([leaving], "http") == [("127.9.0.3", 8000)]
    assert proxy.endpoints_for([mixed], "metrics") == []


def test_kubectl_columns_of_a_service():
    node_port = {"spec": {"type": "NodePort", "clusterIP": "10.96.3.4",
                          "clusterIPs": ["10.96.3.4"],
                          "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}
    assert services.ports_cell(node_port) == "80:30080/TCP"
    assert services.cluster_ip_cell(node_port) == "10.96.3.4"
    assert services.external_ip_cell(node_port) == "<none>"
    assert services.external_ip_cell({"spec": {"type": "LoadBalancer"}}) == "<pending>"


def test_the_netns_stand_in_binds_the_pod_address_and_resolves_service_names(tmp_path: Path):
    names = tmp_path / "names.json"
    podnet.write_names(names, {"web.ns.svc.cluster.local": "10.96.0.20",
                               "db.other.svc.cluster.local": "10.96.0.21"},
                       {"10.96.0.20:80": "127.9.9.9:8080"})
    script = """
import json, socket, sitecustomize
s = socket.socket(); s.bind(("0.0.0.0", 0)); bound = s.getsockname()[0]; s.close()
names = ["web", "web.ns", "web.ns.svc", "web.ns.svc.cluster.local", "web.ns.svc.cluster.local.",
         "db", "db.other", "db.other.svc"]
print(json.dumps([bound, *[sitecustomize.cluster_address(n) for n in names],
                  socket.gethostbyname("web"), sitecustomize._forwarded(("10.96.0.20", 80))]))
"""
    env = {**os.environ, "PYTHONPATH": str(podnet.NETNS_DIR), podnet.POD_IP_ENV: "127.9.0.7",
           podnet.NAMESPACE_ENV: "ns", podnet.NAMES_ENV: str(names)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True, timeout=30).stdout
    assert json.loads(out) == ["127.9.0.7", "10.96.0.20", "10.96.0.20", "10.96.0.20",
                               "10.96.0.20", "10.96.0.20", None, "10.96.0.21", "10.96.0.21",
                               "10.96.0.20", ["127.9.9.9", 8080]]


def test_kubectl_columns_of_an_endpoint_slice():
    five = {"ports": [{"port": 8000}], "endpoints": [
        {"addresses": [f"127.9.0.{n}"]} for n in range(1, 6)]}
    assert endpointslices.ports_cell(five) == "8000"
    assert endpointslices.endpoints_cell(five) == "127.9.0.1,127.9.0.2,127.9.0.3 + 2 more..."
    assert endpointslices.endpoints_cell({"endpoints": []}) == "<unset>"
