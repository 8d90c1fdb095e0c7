"""A pod's status as the kubelet reports it, from its containers' states (pure).

Phase: pkg/kubelet/kubelet_pods.go `getPhase`; conditions: pkg/kubelet/status/generate.go
(Ready, ContainersReady, Initialized, PodReadyToStartContainers); each condition keeps its
lastTransitionTime while its status stays the same (pkg/kubelet/status/status_manager.go).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .clock import now
from .images import normalise

TERMINAL = ("Succeeded", "Failed")


@dataclass
class ContainerState:
    """One container as the kubelet sees it; `state` is the API's {waiting|running|terminated}."""

    name: str
    image: str
    state: dict[str, Any] = field(default_factory=lambda: {
        "waiting": {"reason": "ContainerCreating"}})
    container_id: str = ""
    pulled: bool = False
    image_id: str = ""  # set once pulled: images.image_ref of the image found
    init: bool = False  # an init container: ready once it has succeeded
    restart_count: int = 0
    last_state: dict[str, Any] = field(default_factory=dict)  # the run before a restart
    # What this run's startup and readiness probes say (True without such a probe).
    probe_started: bool = True
    probe_ready: bool = True

    @property
    def running(self) -> bool:
        return "running" in self.state

    @property
    def started(self) -> bool:
        return self.running and self.probe_started

    @property
    def ready(self) -> bool:
        return _succeeded(self) if self.init else self.started and self.probe_ready

    def as_status(self) -> dict[str, Any]:
        ready = self.ready
        status: dict[str, Any] = {
            "name": self.name, "state": self.state, "lastState": self.last_state, "ready": ready,
            "restartCount": self.restart_count, "image": normalise(self.image) if self.pulled else self.image,
            "imageID": self.image_id if self.pulled else "", "started": self.started}
        if self.container_id:
            status["containerID"] = self.container_id
        return status


def _succeeded(container: ContainerState) -> bool:
    return (container.state.get("terminated") or {}).get("exitCode") == 0


def phase(containers: list[ContainerState], restart_policy: str,
          init: Sequence[ContainerState] = (), terminal: bool = False) -> str:
    """Pending while initialising or while any container waits; Running while one runs; then
    Succeeded or Failed (a failed init container fails a pod that never restarts). A pod the
    kubelet has stopped for good (getPhase's podIsTerminal: it was deleted) is Succeeded only
    if every container exited 0, whatever its restartPolicy, and Failed otherwise."""
    if terminal:
        return "Succeeded" if containers and all(_succeeded(c) for c in containers) else "Failed"
    failed_init = [c for c in init if "terminated" in c.state and not _succeeded(c)]
    if failed_init and restart_policy == "Never":
        return "Failed"
    # A container waiting to be restarted has stopped, not yet started.
    states = ["stopped" if "waiting" in c.state and c.last_state else next(iter(c.state))
              for c in containers]
    if not containers or "waiting" in states or not all(_succeeded(c) for c in init):
        return "Pending"
    if "running" in states:
        return "Running"
    succeeded = sum(1 for c in containers if _succeeded(c))
    if restart_policy == "Always":
        return "Running"  # its containers restart
    if succeeded == len(containers):
        return "Succeeded"
    return "Failed" if restart_policy == "Never" else "Running"


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"type": kind, "status": "True" if ok else "False",
                             "lastProbeTime": None}
    if reason:
        found["reason"] = reason
    if message:
        found["message"] = message
    return found


def _ready(kind: str, containers: list[ContainerState], pod_phase: str) -> dict[str, Any]:
    if pod_phase == "Succeeded":
        return _condition(kind, False, "PodCompleted")
    if pod_phase == "Failed":
        return _condition(kind, False, "PodFailed")
    unready = [c.name for c in containers if not c.ready]
    if unready:
        reason = "ContainersNotReady"
        return _condition(kind, False, reason, f"containers with unready status: "
                                               f"[{' '.join(unready)}]")
    return _condition(kind, True)


def _initialized(init: list[ContainerState], containers: list[ContainerState],
                 pod_phase: str) -> dict[str, Any]:
    """GeneratePodInitializedCondition: a Succeeded pod says PodCompleted; a pod whose
    containers started has been initialised; otherwise every init container must have
    succeeded."""
    if pod_phase == "Succeeded":
        return _condition("Initialized", True, "PodCompleted")
    if any(c.state.get("running") or c.state.get("terminated") for c in containers):
        return _condition("Initialized", True)
    incomplete = [c.name for c in init if not _succeeded(c)]
    if incomplete:
        return _condition("Initialized", False, "ContainersNotInitialized",
                          f"containers with incomplete status: [{' '.join(incomplete)}]")
    return _condition("Initialized", True)


def conditions(containers: list[ContainerState], pod_phase: str, sandbox: bool,
               previous: list[dict[str, Any]],
               init: Sequence[ContainerState] = ()) -> list[dict[str, Any]]:
    """The five conditions in the kubelet's order, transition times kept when unchanged."""
    made = [_condition("PodReadyToStartContainers", sandbox and pod_phase not in TERMINAL),
            _initialized(list(init), containers, pod_phase),
            _ready("Ready", containers, pod_phase),
            _ready("ContainersReady", containers, pod_phase), _condition("PodScheduled", True)]
    before = {c.get("type"): c for c in previous}
    stamp = now()
    for item in made:
        old = before.get(item["type"])
        same = old is not None and old.get("status") == item["status"]
        item["lastTransitionTime"] = old.get("lastTransitionTime") if same and old else stamp
    # Conditions others own (DisruptionTarget, readiness gates) are kept, first, as
    # status_manager.go mergePodStatus keeps them.
    owned = {item["type"] for item in made}
    return [dict(c) for c in previous if c.get("type") not in owned] + made


def pod_status(pod: dict[str, Any], containers: list[ContainerState], *, sandbox: bool,
               start_time: str, init: Sequence[ContainerState] = (),
               terminal: bool = False, reason: str | None = None,
               message: str | None = None, pod_ip: str = "127.0.0.1",
               host_ip: str = "127.0.0.1") -> dict[str, Any]:
    """The whole status the kubelet writes for the pod now (terminal: its last, once stopped)."""
    previous = pod.get("status") or {}
    init = list(init)
    pod_phase = phase(containers, pod["spec"].get("restartPolicy", "Always"), init, terminal)
    status: dict[str, Any] = {
        "phase": pod_phase,
        "conditions": conditions(containers, pod_phase, sandbox,
                                 previous.get("conditions") or [], init),
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": start_time,
        "containerStatuses": [c.as_status() for c in containers],
        "qosClass": previous.get("qosClass", "BestEffort"),
    }
    if init:
        status["initContainerStatuses"] = [c.as_status() for c in init]
    if sandbox:
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    if reason:  # the pod's own, e.g. DeadlineExceeded past spec.activeDeadlineSeconds
        status["reason"] = reason
    if message:
        status["message"] = message
    return status


def terminated(exit_code: int, started: str | None, *, reason: str | None = None,
               message: str | None = None, container_id: str = "") -> dict[str, Any]:
    """A terminated state: reason Completed for exit 0, Error otherwise (or the one given)."""
    finished = now()
    state: dict[str, Any] = {"exitCode": exit_code,
                             "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                             "startedAt": started or finished, "finishedAt": finished}
    if message:
        state["message"] = message
    if container_id:
        state["containerID"] = container_id
    return {"terminated": state}
