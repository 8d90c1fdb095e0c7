"""Stands in for the kubelet of node `kubedouble`: runs each bound Pod's containers as processes.

A pod the scheduler bound goes through the kubelet's stages, each written to its status:
ContainerCreating while its volumes are set up (FailedMount while one cannot be), then its init
containers one by one, then every container at once: its image is "pulled" (only images the
double was given: ErrImagePull and ImagePullBackOff otherwise), it runs (Running) and ends
(Succeeded/Failed), or restarts as its restartPolicy says (CrashLoopBackOff in between).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import apply, errors, images
from .clock import now
from .containers import ConfigError, ContainerPlan, MountError, plan_container
from .images import ImageStore
from .lifetimes import Lifetimes
from .logbuffer import DEFAULT_MAX_BYTES, LogBuffer
from .operations import Cluster
from .podstatus import TERMINAL, ContainerState, pod_status, terminated
from .scheduler import NODE
from .selectors import Selector
from .store import Watcher
from .volumes import MountFailed, TokenIssuer, VolumeWriter, pod_folders

LOST = "kubedouble restarted while the container ran"


@dataclass
class KubeletSettings:
    volumes: dict[str, Path] = field(default_factory=dict)  # PVC claim → local folder
    job_env: dict[str, str] = field(default_factory=dict)
    scratch: Path = Path("/tmp/kubedouble")
    images: ImageStore = field(default_factory=ImageStore)
    kill_grace_seconds: float = 2.0
    container_log_max_bytes: int = DEFAULT_MAX_BYTES
    retry_seconds: float = 1.0  # how soon a pod that cannot start yet is tried again
    image_pull_backoff_seconds: float = 10.0  # the kubelet's: 10 s doubling up to 300 s
    image_pull_backoff_max_seconds: float = 300.0
    crash_loop_backoff_seconds: float = 10.0  # restarts: 10 s doubling up to 300 s
    crash_loop_backoff_max_seconds: float = 300.0


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass
class PodRun:
    """What the kubelet knows of one pod it runs."""

    pod: dict[str, Any]
    containers: list[ContainerState]
    init: list[ContainerState] = field(default_factory=list)
    start_time: str = field(default_factory=now)
    sandbox: bool = False
    reason: tuple[str, str] | None = None  # pod-level (reason, message), e.g. DeadlineExceeded
    events: set[tuple[str, str]] = field(default_factory=set)

    @property
    def uid(self) -> str:
        return str(self.pod["metadata"]["uid"])


class Kubelet:
    def __init__(self, cluster: Cluster, settings: KubeletSettings,
                 issue_token: TokenIssuer | None = None) -> None:
        self.cluster = cluster
        self.settings = settings
        self.pods = cluster.resource("", "v1", "pods")
        self.logs: dict[tuple[str, str], LogBuffer] = {}  # (pod uid, container) → its log
        self.previous_logs: dict[tuple[str, str], LogBuffer] = {}  # the run before a restart
        self._stopping: set[str] = set()  # pods being killed: their containers do not restart
        self._processes: dict[str, dict[str, asyncio.subprocess.Process]] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._seen: set[str] = set()  # pods taken on (a late event must not start them again)
        self._kill_reasons: dict[str, tuple[str, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._writer = VolumeWriter(settings.scratch / "volumes", issue_token)
        self.lifetimes = Lifetimes()  # every process spawned and reaped, for soak tests

    # Lifecycle -----------------------------------------------------------------------------
    async def run(self) -> None:
        apply.act_as("kubelet")
        watcher = Watcher(self.pods.qualified, None, Selector())
        self.cluster.store.subscribe(watcher, None)
        for pod in self.cluster.store.items(self.pods.qualified):
            self._on_pod("ADDED", pod, listed=True)
        try:
            while True:
                for event in await watcher.next_batch():
                    self._on_pod(event.type, event.obj)
        finally:
            self.cluster.store.unsubscribe(watcher)

    async def shutdown(self) -> None:
        for uid in list(self._runs):
            if not self.kill(uid, None):
                self._runs[uid].cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.kill_grace_seconds + 3)

    def _on_pod(self, event_type: str, pod: dict[str, Any], listed: bool = False) -> None:
        uid = pod["metadata"]["uid"]
        if event_type == "DELETED":
            if not self.kill(uid, None) and uid in self._runs:
                self._runs[uid].cancel()
            for logs in (self.logs, self.previous_logs):
                for key in [k for k in logs if k[0] == uid]:
                    del logs[key]
            if uid not in self._runs:
                self._clean(uid)  # else the run cleans up once its processes are gone
            self._seen.discard(uid)
            return
        status = pod.get("status") or {}
        if (uid in self._seen or pod["spec"].get("nodeName") != NODE
                or status.get("phase") in TERMINAL):
            return
        self._seen.add(uid)
        states = [s.get("state") or {} for s in status.get("containerStatuses") or []]
        if listed and any("running" in s for s in states):
            # Started by an earlier kubedouble whose processes are gone: report them lost.
            self._start(pod, self._lose(pod))
        else:
            self._start(pod, self._run_pod(pod))

    def _start(self, pod: dict[str, Any], coro: Any) -> None:
        task = self._spawn(coro)
        uid = pod["metadata"]["uid"]
        self._runs[uid] = task
        task.add_done_callback(lambda _: self._runs.pop(uid, None))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def kill(self, pod_uid: str, reason: tuple[str, str] | None) -> bool:
        """SIGTERM the pod's processes, SIGKILL after the grace; reason = (reason, message).

        False when the pod has no running process (the caller then deletes the pod)."""
        running = [p for p in (self._processes.get(pod_uid) or {}).values()
                   if p.returncode is None]
        if not running:
            return False
        self._stopping.add(pod_uid)
        if reason:
            self._kill_reasons[pod_uid] = reason
        for process in running:
            _signal_group(process.pid, signal.SIGTERM)
            self._spawn(self._kill_after_grace(process))
        return True

    async def _kill_after_grace(self, process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), self.settings.kill_grace_seconds)
            return
        _signal_group(process.pid, signal.SIGKILL)

    # Reading and writing the API -----------------------------------------------------------
    def _lookup_in(self, namespace: str) -> Any:
        return lambda plural, name: self.cluster.store.get(plural, namespace, name)

    def _event(self, run: PodRun, kind: str, reason: str, message: str,
               once: bool = True) -> None:
        if once and (reason, message) in run.events:
            return  # the real recorder folds repeats into one Event with a count
        run.events.add((reason, message))
        with contextlib.suppress(errors.ApiError):
            self.cluster.record_event(run.pod, kind, reason, message, "kubelet")

    def _exists(self, run: PodRun) -> bool:
        meta = run.pod["metadata"]
        current = self.cluster.store.get(self.pods.qualified, meta["namespace"], meta["name"])
        return current is not None and current["metadata"]["uid"] == run.uid

    def _publish(self, run: PodRun) -> None:
        """Write the pod's status from what the kubelet knows now."""
        meta = run.pod["metadata"]
        try:
            current = self.cluster.get(self.pods, meta["namespace"], meta["name"])
            if current["metadata"]["uid"] != run.uid:
                return
            reason, message = run.reason or (None, None)
            status = pod_status(current, run.containers, sandbox=run.sandbox, init=run.init,
                                start_time=run.start_time, reason=reason, message=message)
            self.cluster.write_status(self.pods, current, status)
        except errors.ApiError:
            pass  # the pod was deleted meanwhile

    # One pod -------------------------------------------------------------------------------
    async def _lose(self, pod: dict[str, Any]) -> None:
        run = self._new_run(pod)
        run.start_time = (pod.get("status") or {}).get("startTime") or run.start_time
        for container in run.containers:
            container.state = terminated(137, None, message=LOST)
        self._publish(run)

    def _new_run(self, pod: dict[str, Any]) -> PodRun:
        spec = pod["spec"]
        init = [ContainerState(c.get("name", ""), c.get("image", ""), init=True)
                for c in spec.get("initContainers") or []]
        waiting = {"waiting": {"reason": "PodInitializing" if init else "ContainerCreating"}}
        return PodRun(pod, [ContainerState(c.get("name", ""), c.get("image", ""), dict(waiting))
                            for c in spec.get("containers") or []], init)

    def _clean(self, pod_uid: str) -> None:
        """Unmount: the pod's volumes and its containers' own folders go."""
        self._writer.remove(pod_uid)
        shutil.rmtree(self.settings.scratch / "rootfs" / pod_uid, ignore_errors=True)

    async def _run_pod(self, pod: dict[str, Any]) -> None:
        run = self._new_run(pod)
        try:
            await self._run_stages(run)
        finally:
            self._processes.pop(run.uid, None)
            self._kill_reasons.pop(run.uid, None)
            self._stopping.discard(run.uid)
            if not self._exists(run):
                self._clean(run.uid)

    async def _run_stages(self, run: PodRun) -> None:
        pod = run.pod
        self._publish(run)  # ContainerCreating
        folders = await self._mount(run)
        if folders is None:
            return
        run.sandbox = True
        self._publish(run)
        for spec, state in zip(pod["spec"].get("initContainers") or [], run.init, strict=True):
            # One at a time, each to success (pkg/kubelet/kuberuntime computeInitContainerActions).
            await self._run_container(run, spec, state, folders)
            if (state.state.get("terminated") or {}).get("exitCode") != 0:
                self._publish(run)  # failed (or the pod went): the app containers never start
                return
        for state in run.containers:
            state.state = {"waiting": {"reason": "ContainerCreating"}}
        specs = pod["spec"].get("containers") or []
        await asyncio.gather(*(self._run_container(run, spec, state, folders)
                               for spec, state in zip(specs, run.containers, strict=True)))
        if self._exists(run):
            run.reason = self._kill_reasons.pop(run.uid, None)
            if run.reason and run.reason[0] != "DeadlineExceeded":
                run.reason = None  # only the deadline is the pod's own reason
            self._publish(run)

    async def _mount(self, run: PodRun) -> dict[str, Path] | None:
        """The pod's volumes, retried until they can be set up (None: the pod went)."""
        lookup = self._lookup_in(run.pod["metadata"]["namespace"])
        while self._exists(run):
            try:
                return pod_folders(run.pod, self._writer, self.settings.volumes, lookup)
            except MountFailed as problem:
                self._event(run, "Warning", "FailedMount", problem.message)
            await asyncio.sleep(self.settings.retry_seconds)
        return None

    async def _pull(self, run: PodRun, spec: dict[str, Any],
                    state: ContainerState) -> images.Image | None:
        """The container's image as EnsureImageExists finds it, backing off while it cannot."""
        reference = spec.get("image", "")
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        delay = self.settings.image_pull_backoff_seconds
        while self._exists(run):
            found = self.settings.images.find(reference)
            if found is not None:
                if policy == "Always":
                    self._event(run, "Normal", "Pulling", images.pulling(reference))
                    self._event(run, "Normal", "Pulled", images.pulled(reference))
                else:
                    self._event(run, "Normal", "Pulled", images.present(reference))
                state.pulled = True
                return found
            if policy == "Never":
                message = images.never_pull(reference)
                self._event(run, "Warning", "ErrImageNeverPull", message)
                state.state = {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
                self._publish(run)
                await asyncio.sleep(self.settings.retry_seconds)
                continue
            self._event(run, "Normal", "Pulling", images.pulling(reference), once=False)
            problem = images.pull_error(reference)
            self._event(run, "Warning", "Failed",
                        f'Failed to pull image "{reference}": {problem}', once=False)
            self._event(run, "Warning", "Failed", "Error: ErrImagePull", once=False)
            state.state = {"waiting": {"reason": "ErrImagePull", "message": problem}}
            self._publish(run)
            shown = min(self.settings.retry_seconds, delay / 2)
            await asyncio.sleep(shown)  # the next sync finds the pull in back-off
            if not self._exists(run):
                break
            message = images.back_off(reference)
            self._event(run, "Normal", "BackOff", message, once=False)
            self._event(run, "Warning", "Failed", "Error: ImagePullBackOff", once=False)
            state.state = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
            self._publish(run)
            await asyncio.sleep(delay - shown)
            delay = min(delay * 2, self.settings.image_pull_backoff_max_seconds)
        return None

    async def _run_container(self, run: PodRun, spec: dict[str, Any], state: ContainerState,
                             folders: dict[str, Path]) -> None:
        """Pull, start, wait; restart as restartPolicy says (an init container only on
        failure), backing off 10 s doubling to 300 s (CrashLoopBackOff)."""
        image = await self._pull(run, spec, state)
        if image is None:
            return
        policy = run.pod["spec"].get("restartPolicy", "Always")
        delay = self.settings.crash_loop_backoff_seconds
        while True:
            plan = await self._plan(run, spec, state, image, folders)
            if plan is None:
                return
            code = await self._execute(run, state, plan)
            again = policy == "Always" and not state.init or (policy != "Never" and code != 0)
            if not again or run.uid in self._stopping or not self._exists(run):
                break
            meta = run.pod["metadata"]
            pod = f"{meta['name']}_{meta['namespace']}({run.uid})"
            self.previous_logs[(run.uid, state.name)] = self.logs.pop((run.uid, state.name))
            state.last_state, state.restart_count = state.state, state.restart_count + 1
            state.state = {"waiting": {"reason": "CrashLoopBackOff", "message": (
                f"back-off {delay:g}s restarting failed container={state.name} pod={pod}")}}
            self._event(run, "Warning", "BackOff", f"Back-off restarting failed container "
                                                   f"{state.name} in pod {pod}", once=False)
            self._publish(run)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.crash_loop_backoff_max_seconds)
            if run.uid in self._stopping or not self._exists(run):
                return
        if not all(c.state.get("terminated") for c in run.containers):
            self._publish(run)  # the last one to end writes the pod's final status

    async def _plan(self, run: PodRun, spec: dict[str, Any], state: ContainerState,
                    image: images.Image, folders: dict[str, Path]) -> ContainerPlan | None:
        """The container's process, retried while its env or mounts cannot be made."""
        meta = run.pod["metadata"]
        base_env = {**os.environ, **self.settings.job_env}
        while True:
            try:
                return plan_container(
                    run.pod, spec, image, folders=folders,
                    lookup=self._lookup_in(meta["namespace"]), base_env=base_env,
                    rootfs=self.settings.scratch / "rootfs" / run.uid / state.name)
            except (ConfigError, MountError) as problem:
                self._event(run, "Warning", "Failed", f"Error: {problem.message}")
                state.state = {"waiting": {"reason": "CreateContainerConfigError",
                                           "message": problem.message}}
                self._publish(run)
            await asyncio.sleep(self.settings.retry_seconds)
            if not self._exists(run):
                return None

    async def _execute(self, run: PodRun, state: ContainerState, plan: ContainerPlan) -> int:
        """Run the process to its end, its output into the container's log; its exit code."""
        buffer = self.logs.setdefault((run.uid, state.name),
                                      LogBuffer(self.settings.container_log_max_bytes))
        self._event(run, "Normal", "Created", f"Created container: {state.name}")
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
            self._event(run, "Warning", "Failed", f"Error: {message}")
            state.state = terminated(128, started, reason="StartError", message=message)
            return 128
        self._processes.setdefault(run.uid, {})[state.name] = process
        lifetime = self.lifetimes.started(run.pod, state.name, process.pid, plan.cwd)
        state.container_id = f"kubedouble://{process.pid}"
        state.state = {"running": {"startedAt": started}}
        self._publish(run)
        self._event(run, "Normal", "Started", f"Started container {state.name}")
        try:
            assert process.stdout is not None
            while chunk := await process.stdout.read(65536):
                buffer.append(chunk)
            code = await process.wait()
        finally:
            buffer.close()
            self.lifetimes.ended(lifetime, process.returncode)
        exit_code = code if code >= 0 else 128 - code
        state.state = terminated(exit_code, started, container_id=state.container_id)
        return exit_code
