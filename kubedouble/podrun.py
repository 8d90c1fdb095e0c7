"""What the kubelet is configured with, and what it knows of each pod it runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import now
from .images import ImageStore
from .logbuffer import DEFAULT_MAX_BYTES
from .podnet import NODE_IP
from .podstatus import ContainerState
from .termination import Termination


@dataclass
class KubeletSettings:
    job_env: dict[str, str] = field(default_factory=dict)
    scratch: Path = Path("/tmp/kubedouble")
    images: ImageStore = field(default_factory=ImageStore)
    # When the double itself stops (no kubelet does this: its pods would go on running), every
    # process gets SIGTERM, and SIGKILL this long after.
    shutdown_grace_seconds: float = 2.0
    container_log_max_bytes: int = DEFAULT_MAX_BYTES
    retry_seconds: float = 1.0  # how soon a pod that cannot start yet is tried again
    image_pull_backoff_seconds: float = 10.0  # the kubelet's: 10 s doubling up to 300 s
    image_pull_backoff_max_seconds: float = 300.0
    crash_loop_backoff_seconds: float = 10.0  # restarts: 10 s doubling up to 300 s
    crash_loop_backoff_max_seconds: float = 300.0
    # The API server's address as pods reach it in-cluster (KUBERNETES_SERVICE_HOST/PORT); set
    # by KubeDouble.start once it serves.
    api_address: tuple[str, int] | None = None
    token_refresh_seconds: float | None = None  # None: the kubelet's rule (80 % of the TTL)


@dataclass
class PodRun:
    """What the kubelet knows of one pod it runs."""

    pod: dict[str, Any]
    containers: list[ContainerState]
    init: list[ContainerState] = field(default_factory=list)
    start_time: str = field(default_factory=now)
    sandbox: bool = False
    events: set[tuple[str, str]] = field(default_factory=set)
    reason: tuple[str, str] | None = None  # pod-level (reason, message): DeadlineExceeded
    termination: Termination | None = None  # set once the pod is being stopped
    terminal: bool = False  # its final status is written as the pod's end (podIsTerminal)
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # ends the waits between stages
    pod_ip: str = ""  # its sandbox's address (kubedouble/podnet.py), once it has one

    def with_addresses(self) -> dict[str, Any]:
        """The pod as its downward API sees it: its own address and the node's."""
        status = {**(self.pod.get("status") or {}), "podIP": self.pod_ip, "hostIP": NODE_IP}
        return {**self.pod, "status": status}

    @property
    def uid(self) -> str:
        return str(self.pod["metadata"]["uid"])

    @classmethod
    def new(cls, pod: dict[str, Any]) -> PodRun:
        """A pod just taken on: every container waiting (for its init containers, if any)."""
        spec = pod["spec"]
        init = [ContainerState(c.get("name", ""), c.get("image", ""), init=True)
                for c in spec.get("initContainers") or []]
        waiting = {"waiting": {"reason": "PodInitializing" if init else "ContainerCreating"}}
        return cls(pod, [ContainerState(c.get("name", ""), c.get("image", ""), dict(waiting))
                         for c in spec.get("containers") or []], init)
