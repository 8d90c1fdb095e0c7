"""Stands in for the scheduler and kubelet: runs each Pod's first container as a local process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import errors
from .clock import now
from .containers import NotRunnable, plan_container
from .operations import Cluster, clone
from .selectors import Selector
from .store import Watcher

NODE = "kubedouble"


class LogBuffer:
    """A container's output, kept after it exits and served by `pods/log` (also while following)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self._changed = asyncio.Event()

    def append(self, chunk: bytes) -> None:
        self.data += chunk
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def changed(self) -> asyncio.Event:
        return self._changed

    def tail(self, lines: int | None, limit: int | None = None) -> bytes:
        """The last `lines` lines (all when None), at most their first `limit` bytes."""
        if lines is None:
            return bytes(self.data[:limit])
        if lines <= 0:
            return b""
        kept = bytes(self.data).splitlines(keepends=True)
        return b"".join(kept[-lines:])[:limit]


@dataclass(frozen=True)
class LogOptions:
    """A pods/log query, checked as kube-apiserver checks it."""

    tail_lines: int | None
    limit_bytes: int | None  # the kubelet stops the stream after this many bytes


def log_options(pod: dict[str, Any], container: str | None, tail_lines: int | None,
                limit_bytes: int | None) -> LogOptions:
    """The container must be the pod's (or be left out when it has only one):
    pkg/registry/core/pod/strategy.go `LogLocation`; limitBytes must be at least 1:
    pkg/apis/core/validation `ValidatePodLogOptions` (422, field `limitBytes`)."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for key in ("containers", "initContainers", "ephemeralContainers")
             for c in spec.get(key) or ()]
    if not container and len(spec.get("containers") or ()) > 1:
        choices = " ".join(c.get("name", "") for c in spec["containers"])
        raise errors.bad_request(f"a container name must be specified for pod {name}, "
                                 f"choose one of: [{choices}]")
    if container and container not in names:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    if limit_bytes is not None and limit_bytes < 1:
        raise errors.invalid("PodLogOptions", name, [{
            "reason": "FieldValueInvalid", "field": "limitBytes",
            "message": f"Invalid value: {limit_bytes}: must be greater than 0"}])
    return LogOptions(tail_lines, limit_bytes)


@dataclass
class KubeletSettings:
    volumes: dict[str, Path] = field(default_factory=dict)
    job_env: dict[str, str] = field(default_factory=dict)
    scratch: Path = Path("/tmp/kubedouble")
    kill_grace_seconds: float = 2.0


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class Kubelet:
    def __init__(self, cluster: Cluster, settings: KubeletSettings) -> None:
        self.cluster = cluster
        self.settings = settings
        self.pods = cluster.resource("", "v1", "pods")
        self.logs: dict[str, LogBuffer] = {}
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._kill_reasons: dict[str, tuple[str, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._started: set[str] = set()

    # Lifecycle -----------------------------------------------------------------------------
    async def run(self) -> None:
        watcher = Watcher(self.pods.qualified, None, Selector())
        self.cluster.store.subscribe(watcher, None)
        for pod in self.cluster.store.items(self.pods.qualified):
            self._on_pod("ADDED", pod)
        try:
            while True:
                for event in await watcher.next_batch():
                    self._on_pod(event.type, event.obj)
        finally:
            self.cluster.store.unsubscribe(watcher)

    async def shutdown(self) -> None:
        for uid in list(self._processes):
            self.kill(uid, None)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.kill_grace_seconds + 3)

    def _on_pod(self, event_type: str, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        if event_type == "DELETED":
            self.kill(uid, None)
            self.logs.pop(uid, None)
            self._started.discard(uid)
            return
        if uid in self._started or pod.get("status", {}).get("phase") != "Pending":
            return
        self._started.add(uid)
        if pod.get("spec", {}).get("nodeName"):
            # Started by an earlier kubedouble whose process is gone: report it lost.
            self._spawn(self._finish(pod, None, 137, "Error", "kubedouble restarted while the "
                                                                 "container ran"))
        else:
            self._spawn(self._run_pod(pod))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def kill(self, pod_uid: str, reason: tuple[str, str] | None) -> bool:
        """SIGTERM the pod's process group, SIGKILL after the grace; reason = (reason, message).

        False when the pod has no running process (the caller then deletes the pod)."""
        process = self._processes.get(pod_uid)
        if process is None or process.returncode is not None:
            return False
        if reason:
            self._kill_reasons[pod_uid] = reason
        _signal_group(process.pid, signal.SIGTERM)
        self._spawn(self._kill_after_grace(process))
        return True

    async def _kill_after_grace(self, process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), self.settings.kill_grace_seconds)
            return
        _signal_group(process.pid, signal.SIGKILL)

    # One pod -------------------------------------------------------------------------------
    def _event(self, pod: dict[str, Any], kind: str, reason: str, message: str) -> None:
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(pod, kind, reason, message, "kubelet")

    def _status(self, pod: dict[str, Any], status: dict[str, Any]) -> dict[str, Any] | None:
        try:
            current = self.cluster.get(self.pods, pod["metadata"]["namespace"],
                                       pod["metadata"]["name"])
            if current["metadata"]["uid"] != pod["metadata"]["uid"]:
                return None
            return self.cluster.write_status(self.pods, current,
                                             {**current.get("status", {}), **status})
        except errors.ApiError:
            return None  # the pod was deleted meanwhile

    async def _run_pod(self, pod: dict[str, Any]) -> None:
        base_env = {**os.environ, **self.settings.job_env}
        try:
            plan = plan_container(pod, volumes=self.settings.volumes, base_env=base_env,
                                  scratch=self.settings.scratch)
        except NotRunnable as problem:
            self._event(pod, "Warning", problem.reason, problem.message)
            if not problem.waits:
                await self._finish(pod, None, 128, "StartError", problem.message)
            return
        try:
            pod = self.cluster.bind(pod, NODE)
        except errors.ApiError:
            return
        meta = pod["metadata"]
        self._event(pod, "Normal", "Scheduled",
                    f"Successfully assigned {meta['namespace']}/{meta['name']} to {NODE}")
        for folder in plan.empty_dirs:
            folder.mkdir(parents=True, exist_ok=True)
        buffer = self.logs.setdefault(meta["uid"], LogBuffer())
        started = now()
        try:
            process = await asyncio.create_subprocess_exec(
                *plan.argv, cwd=plan.cwd, env=plan.env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True)
        except OSError as problem:
            message = f"failed to start container {plan.name!r}: {problem}"
            buffer.append(message.encode() + b"\n")
            buffer.close()
            self._event(pod, "Warning", "Failed", message)
            await self._finish(pod, started, 128, "StartError", message)
            return
        self._processes[meta["uid"]] = process
        container_id = f"kubedouble://{process.pid}"
        self._status(pod, {
            "phase": "Running", "startTime": started, "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1", "conditions": _conditions(True, started),
            "containerStatuses": [_container_status(pod, plan.name, container_id, True,
                                                    {"running": {"startedAt": started}})],
        })
        self._event(pod, "Normal", "Started", f"Started container {plan.name}")
        try:
            assert process.stdout is not None
            while chunk := await process.stdout.read(65536):
                buffer.append(chunk)
            code = await process.wait()
        finally:
            buffer.close()
            self._processes.pop(meta["uid"], None)
        exit_code = code if code >= 0 else 128 - code
        reason, message = self._kill_reasons.pop(meta["uid"], (None, None))
        await self._finish(pod, started, exit_code, reason, message, container_id)

    async def _finish(self, pod: dict[str, Any], started: str | None, exit_code: int,
                      reason: str | None, message: str | None, container_id: str = "") -> None:
        finished = now()
        terminated = {"exitCode": exit_code, "startedAt": started or finished,
                      "finishedAt": finished,
                      "reason": "Completed" if exit_code == 0 else "Error"}
        if reason == "StartError":
            terminated["reason"] = reason
        if container_id:
            terminated["containerID"] = container_id
        if message and reason not in ("DeadlineExceeded",):
            terminated["message"] = message
        name = (pod.get("spec", {}).get("containers") or [{}])[0].get("name", "")
        status = {
            "phase": "Succeeded" if exit_code == 0 else "Failed",
            "startTime": started or finished, "conditions": _conditions(False, finished),
            "containerStatuses": [_container_status(pod, name, container_id, False,
                                                    {"terminated": terminated})],
        }
        if reason == "DeadlineExceeded":
            status.update(reason=reason, message=message)
        self._status(pod, status)


def _conditions(ready: bool, stamp: str) -> list[dict[str, Any]]:
    flag = "True" if ready else "False"
    return [{"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": stamp}
            for t, s in (("PodReadyToStartContainers", "True"), ("Initialized", "True"),
                         ("Ready", flag), ("ContainersReady", flag), ("PodScheduled", "True"))]


def _container_status(pod: dict[str, Any], name: str, container_id: str, running: bool,
                      state: dict[str, Any]) -> dict[str, Any]:
    image = (pod.get("spec", {}).get("containers") or [{}])[0].get("image", "")
    status = {"name": name, "image": image, "imageID": "", "ready": running, "started": running,
              "restartCount": 0, "state": state}
    if container_id:
        status["containerID"] = container_id
    return clone(status)
