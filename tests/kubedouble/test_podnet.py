"""Pod networking in the double: pod IPs, probes, Services, EndpointSlices, cluster DNS, proxy."""

from __future__ import annotations

import json
import time

import requests

from tests.kubedouble.helpers import http, kubectl, wait_until

NS = "kubeshowcase"
PODS = f"/api/v1/namespaces/{NS}/pods"
SERVICES = f"/api/v1/namespaces/{NS}/services"
SLICES = f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices"
EVENTS = f"/api/v1/namespaces/{NS}/events"
# A web server that says who it is (downward API env), binds 0.0.0.0:8000 and answers /ready
# with 200 for READY_SECONDS after its start (forever if unset), 503 after.
SERVER = """
import http.server, os, time
start = time.monotonic()
limit = float(os.environ.get("READY_SECONDS") or "inf")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path != "/ready" or time.monotonic() - start < limit
        body = f"{os.environ['POD_NAME']} {os.environ['POD_IP']}".encode()
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""
DOWNWARD = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
READY = {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 1}


def _server_pod(name: str, ready_seconds: float | None = None, **container: object) -> dict:
    env = [*DOWNWARD, {"name": "READY_SECONDS", "value": str(ready_seconds or "")}]
    main = {"name": "web", "image": "python:3.11", "command": ["python", "-c", SERVER],
            "env": env, "ports": [{"name": "http", "containerPort": 8000}],
            "readinessProbe": READY, **container}
    return {"metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [main]}}


def _create(handle, path: str, body: dict) -> dict:
    response = http(handle, "POST", path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _pod(handle, name: str) -> dict:
    return http(handle, "GET", f"{PODS}/{name}").json()


def _ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _when_ready(handle, name: str) -> dict:
    return wait_until(lambda: (pod := _pod(handle, name)) and _ready(pod) and pod,
                      what=f"{name} Ready")


def _events(handle, name: str) -> list[tuple[str, str, str]]:
    query = f"?fieldSelector=involvedObject.name%3D{name}"
    return [(e["type"], e["reason"], e["message"])
            for e in http(handle, "GET", EVENTS + query).json()["items"]]


def _service(name: str = "web") -> dict:
    return {"metadata": {"name": name},
            "spec": {"selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def _ready_endpoints(handle, service: str) -> dict[str, bool]:
    query = f"?labelSelector=kubernetes.io%2Fservice-name%3D{service}"
    return {e["targetRef"]["name"]: e["conditions"]["ready"]
            for found in http(handle, "GET", SLICES + query).json()["items"]
            for e in found.get("endpoints") or []}


def test_a_pod_turns_ready_only_once_its_readiness_probe_answers(apiserver):
    body = _server_pod("late")
    body["spec"]["containers"][0]["command"] = [
        "python", "-c", "import time; time.sleep(3); exec(compile(%r, 's', 'exec'))" % SERVER]
    _create(apiserver, PODS, body)
    running = wait_until(lambda: (p := _pod(apiserver, "late"))["status"].get("phase")
                         == "Running" and p, what="the pod running")
    [status] = running["status"]["containerStatuses"]
    assert status["started"] is True and status["ready"] is False
    assert not _ready(running)
    pod = _when_ready(apiserver, "late")
    ip = pod["status"]["podIP"]
    assert ip.startswith("127.") and ip != "127.0.0.1"
    assert pod["status"]["hostIP"] == "127.0.0.1"
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert ("Warning", "Unhealthy", f'Readiness probe failed: Get "http://{ip}:8000/ready": '
            f"dial tcp {ip}:8000: connect: connection refused") in _events(apiserver, "late")
    # The downward API's status.podIP is the pod's own address, and the server bound it.
    assert requests.get(f"http://{ip}:8000/", timeout=5).text == f"late {ip}"


def test_a_failing_liveness_probe_restarts_the_container(apiserver):
    body = _server_pod("sick", livenessProbe={
        "httpGet": {"path": "/", "port": 8001}, "periodSeconds": 1, "failureThreshold": 2})
    _create(apiserver, PODS, body)
    pod = wait_until(lambda: (p := _pod(apiserver, "sick"))["status"].get(
        "containerStatuses", [{}])[0].get("restartCount") and p, timeout=60,
        what="a restart")
    [status] = pod["status"]["containerStatuses"]
    assert status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 137
    ip = pod["status"]["podIP"]
    events = _events(apiserver, "sick")
    assert ("Warning", "Unhealthy", f'Liveness probe failed: Get "http://{ip}:8001/": '
            f"dial tcp {ip}:8001: connect: connection refused") in events
    assert ("Normal", "Killing", "Container web failed liveness probe, will be restarted") \
        in events


def test_pods_binding_the_same_port_serve_side_by_side_behind_a_service(apiserver, kube_env):
    for name in ("one", "two"):
        _create(apiserver, PODS, _server_pod(name))
    service = _create(apiserver, SERVICES, _service())
    assert service["spec"]["clusterIP"].startswith("10.")
    pods = [_when_ready(apiserver, name) for name in ("one", "two")]
    ips = [p["status"]["podIP"] for p in pods]
    assert ips[0] != ips[1]
    for pod, ip in zip(pods, ips, strict=True):
        answer = requests.get(f"http://{ip}:8000/", timeout=5).text
        assert answer == f"{pod['metadata']['name']} {ip}"
    wait_until(lambda: _ready_endpoints(apiserver, "web") == {"one": True, "two": True},
               what="both pods in the EndpointSlice")
    url = apiserver.service_url(NS, "web", 80)
    seen = {requests.get(url, timeout=5).text.split()[0] for _ in range(30)}
    assert seen == {"one", "two"}
    assert apiserver.service_url(NS, "web", "http") == url
    # From inside the cluster: every DNS form of the Service's name, by python urllib.
    names = ["web", f"web.{NS}", f"web.{NS}.svc", f"web.{NS}.svc.cluster.local",
             service["spec"]["clusterIP"]]
    script = ("import json, urllib.request; print(json.dumps([urllib.request.urlopen("
              f"f'http://{{n}}/', timeout=5).read().decode() for n in {names!r}]))")
    # Also from a pod whose /tmp is a volume over a read-only root, as the chart's pods are:
    # the names the double publishes (under its scratch folder, in /tmp here) stay visible.
    tmp_volume = {"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                  "securityContext": {"readOnlyRootFilesystem": True}}
    for client, extra in (("client", {}), ("client-tmp", tmp_volume)):
        _create(apiserver, PODS, {"metadata": {"name": client}, "spec": {
            "restartPolicy": "Never", "volumes": [{"name": "tmp", "emptyDir": {}}],
            "containers": [{"name": "c", "image": "python:3.11",
                            "command": ["python", "-c", script], **extra}]}})
    for client in ("client", "client-tmp"):
        wait_until(lambda: _pod(apiserver, client)["status"].get("phase") in ("Succeeded",
                                                                              "Failed"),
                   what=f"the {client} pod's end")
        log = http(apiserver, "GET", f"{PODS}/{client}/log").text
        assert _pod(apiserver, client)["status"]["phase"] == "Succeeded", log
        answers = json.loads(log.strip().splitlines()[-1])
        assert {a.split()[0] for a in answers} <= {"one", "two"} and len(answers) == 5
    table = kubectl(kube_env, "get", "svc", "-n", NS).stdout
    header, row = table.splitlines()
    assert header.split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert row.split()[:5] == ["web", "ClusterIP", service["spec"]["clusterIP"], "<none>",
                               "80/TCP"]


def test_a_pod_going_not_ready_leaves_the_services_ready_endpoints(apiserver):
    _create(apiserver, PODS, _server_pod("steady"))
    _create(apiserver, PODS, _server_pod("fading", ready_seconds=4))
    _create(apiserver, SERVICES, _service())
    wait_until(lambda: _ready_endpoints(apiserver, "web") == {"steady": True, "fading": True},
               what="both endpoints ready")
    wait_until(lambda: _ready_endpoints(apiserver, "web") == {"steady": True, "fading": False},
               timeout=30, what="the fading pod not ready")
    assert not _ready(_pod(apiserver, "fading"))
    url = apiserver.service_url(NS, "web", 80)
    assert {requests.get(url, timeout=5).text.split()[0] for _ in range(10)} == {"steady"}
    http(apiserver, "DELETE", f"{PODS}/steady")
    wait_until(lambda: "steady" not in _ready_endpoints(apiserver, "web"), timeout=30,
               what="the deleted pod gone from the slice")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # nothing ready: the proxy closes the connection
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            break
    else:
        raise AssertionError("the proxy answered with no ready endpoint")


def test_a_startup_probe_holds_the_other_probes_and_kills_a_container_that_never_starts(
        apiserver):
    marker = "import pathlib, time; time.sleep(2); pathlib.Path('up').touch(); time.sleep(60)"
    is_up = {"exec": {"command": ["python", "-c", "import os; raise SystemExit("
                                                  "not os.path.exists('up'))"]},
             "periodSeconds": 1, "failureThreshold": 30}
    slow = {"metadata": {"name": "slow"}, "spec": {"terminationGracePeriodSeconds": 1,
                                                   "containers": [{
        "name": "web", "image": "python:3.11", "command": ["python", "-c", marker],
        "startupProbe": is_up, "readinessProbe": is_up}]}}
    never = {"metadata": {"name": "never"}, "spec": {"terminationGracePeriodSeconds": 1,
                                                     "containers": [{
        "name": "web", "image": "python:3.11", "command": ["python", "-c",
                                                           "import time; time.sleep(60)"],
        "startupProbe": {**is_up, "failureThreshold": 2}}]}}
    _create(apiserver, PODS, slow)
    _create(apiserver, PODS, never)
    running = wait_until(lambda: (p := _pod(apiserver, "slow"))["status"].get("phase")
                         == "Running" and p, what="slow running")
    [status] = running["status"]["containerStatuses"]
    assert status["started"] is False and status["ready"] is False
    pod = _when_ready(apiserver, "slow")
    assert pod["status"]["containerStatuses"][0]["started"] is True
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    wait_until(lambda: ("Normal", "Killing",
                        "Container web failed startup probe, will be restarted")
               in _events(apiserver, "never"), timeout=30, what="the startup kill")
    assert ("Warning", "Unhealthy", "Startup probe failed: ") in _events(apiserver, "never")
