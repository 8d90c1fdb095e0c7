"""Stands in for the kubelet of node `kubedouble`: runs each bound Pod's containers as processes.

A pod the scheduler bound goes through the kubelet's stages, each written to its status:
ContainerCreating while its volumes are set up (FailedMount while one cannot be), then its init
containers one by one, then every container at once: its image is "pulled" (only images the
double was given: ErrImagePull and ImagePullBackOff otherwise), it runs (Running) and ends
(Succeeded/Failed), or restarts as its restartPolicy says (CrashLoopBackOff in between).
Each container gets the `kubernetes` Service's env vars (kubedouble/incluster.py) and, when
the double runs as root, its own filesystem view (kubedouble/fsview.py, launch.py).

A pod marked for deletion (deletionTimestamp) is stopped as kubedouble/termination.py says,
within its deletionGracePeriodSeconds; once its processes are gone the kubelet writes its
terminal status and deletes it with grace 0 (pkg/kubelet/status/status_manager.go
`canBeDeleted` / `deletePod`), and only then does the pod object go.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import apply, containerstart, errors, imagepull, podnet, tokenrefresh
from .clock import parse_time
from .lifetimes import Lifetimes
from .logbuffer import LogBuffer
from .operations import Cluster
from .podrun import KubeletSettings, PodRun
from .podstatus import TERMINAL, ContainerState, pod_status, terminated
from .scheduler import NODE
from .selectors import Selector
from .store import Watcher
from .termination import Termination, signal_group
from .volumebinding import claim_folders
from .volumes import MountFailed, TokenIssuer, VolumeWriter, pod_folders

LOST = "kubedouble restarted while the container ran"
POD_DEADLINE = ("DeadlineExceeded", "Pod was active on the node longer than the specified deadline")


class Kubelet:
    def __init__(self, cluster: Cluster, settings: KubeletSettings,
                 issue_token: TokenIssuer | None = None,
                 addresses: podnet.AddressPool | None = None) -> None:
        self.cluster = cluster
        self.settings = settings
        self.addresses = addresses or podnet.AddressPool()  # pod IPs
        self.pods = cluster.resource("", "v1", "pods")
        self.logs: dict[tuple[str, str], LogBuffer] = {}  # (pod uid, container) → its log
        self.previous_logs: dict[tuple[str, str], LogBuffer] = {}  # the run before a restart
        self._processes: dict[str, dict[str, asyncio.subprocess.Process]] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._pod_runs: dict[str, PodRun] = {}
        self._seen: set[str] = set()  # pods taken on (a late event must not start them again)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
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
        self._closing = True
        for run in self._pod_runs.values():
            run.stop.set()
            for process in self._running(run):
                signal_group(process.pid, signal.SIGTERM)
        for uid, task in list(self._runs.items()):
            run = self._pod_runs.get(uid)
            if run is None or not self._running(run):
                task.cancel()  # nothing runs: waiting for an image, a mount, a back-off
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.shutdown_grace_seconds)
        for processes in self._processes.values():
            for process in processes.values():
                signal_group(process.pid, signal.SIGKILL)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=3)

    def _on_pod(self, event_type: str, pod: dict[str, Any], listed: bool = False) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        if event_type == "DELETED":
            self._on_deleted(uid)
            return
        status = pod.get("status") or {}
        if pod["spec"].get("nodeName") != NODE:
            return
        if uid not in self._seen:
            if status.get("phase") in TERMINAL:
                return
            self._seen.add(uid)
            states = [s.get("state") or {} for s in status.get("containerStatuses") or []]
            if listed and any("running" in s for s in states):
                # Started by an earlier kubedouble whose processes are gone: report them lost.
                self._start(uid, self._lose(pod))
                return
            run = PodRun.new(pod)
            self._pod_runs[uid] = run
            self._start(uid, self._run_pod(run))
        if not meta.get("deletionTimestamp") or status.get("phase") in TERMINAL:
            return
        run = self._pod_runs.get(uid)
        if run is not None:
            self._terminate(run, meta.get("deletionGracePeriodSeconds") or 0)
        elif uid not in self._runs:
            self._start(uid, self._lose(pod))  # nothing of it runs here: it ends as lost

    def _on_deleted(self, uid: str) -> None:
        run = self._pod_runs.get(uid)
        if run is not None:
            # Gone from the API before its processes (a force deletion: gracePeriodSeconds=0):
            # the kubelet still stops them with the runtime's minimum grace (2 s), so they may
            # outlive the pod object, as on a real node. After the kubelet's own delete there
            # is nothing left to stop.
            self._terminate(run, 0)
        for logs in (self.logs, self.previous_logs):
            for key in [k for k in logs if k[0] == uid]:
                del logs[key]
        if uid not in self._runs:
            self._clean(uid)  # else the run cleans up once its processes are gone
        self._seen.discard(uid)

    def _start(self, uid: str, coro: Any) -> None:
        task = self._spawn(coro)
        self._runs[uid] = task
        task.add_done_callback(lambda _: self._runs.pop(uid, None))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _running(self, run: PodRun) -> list[asyncio.subprocess.Process]:
        return [p for p in (self._processes.get(run.uid) or {}).values() if p.returncode is None]

    def _terminate(self, run: PodRun, grace_seconds: float) -> None:
        """Begin stopping the pod (or shorten the stop under way: the grace only shrinks)."""
        if run.termination is not None:
            run.termination.shorten(grace_seconds)
            return
        run.termination = Termination(grace_seconds)
        run.stop.set()
        for name, process in (self._processes.get(run.uid) or {}).items():
            if process.returncode is None:
                self._event(run, "Normal", "Killing", f"Stopping container {name}")
        self._spawn(run.termination.stop(
            lambda: self._running(run),
            lambda: list((self._processes.get(run.uid) or {}).values())))

    def _wanted(self, run: PodRun) -> bool:
        """Whether the pod should go on starting and running containers."""
        return not self._closing and run.termination is None and self._exists(run)

    async def _pause(self, run: PodRun, seconds: float) -> None:
        """Wait between stages; a stop of the pod ends the wait."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(run.stop.wait(), seconds)

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

    def _current(self, run: PodRun) -> dict[str, Any] | None:
        """The pod as the API has it now, if it is still this run's (same uid)."""
        meta = run.pod["metadata"]
        current = self.cluster.store.get(self.pods.qualified, meta["namespace"], meta["name"])
        return current if current is not None and current["metadata"]["uid"] == run.uid else None

    def _exists(self, run: PodRun) -> bool:
        return self._current(run) is not None

    def _publish(self, run: PodRun) -> None:
        """Write the pod's status from what the kubelet knows now."""
        meta = run.pod["metadata"]
        try:
            current = self.cluster.get(self.pods, meta["namespace"], meta["name"])
            if current["metadata"]["uid"] != run.uid:
                return
            reason, message = run.reason or (None, None)
            status = pod_status(current, run.containers, sandbox=run.sandbox, init=run.init,
                                start_time=run.start_time, terminal=run.terminal,
                                reason=reason, message=message, pod_ip=run.pod_ip,
                                host_ip=podnet.NODE_IP)
            self.cluster.write_status(self.pods, current, status)
        except errors.ApiError:
            pass  # the pod was deleted meanwhile

    # One pod -------------------------------------------------------------------------------
    async def _lose(self, pod: dict[str, Any]) -> None:
        run = PodRun.new(pod)
        run.start_time = (pod.get("status") or {}).get("startTime") or run.start_time
        for container in run.containers:
            container.state = terminated(137, None, message=LOST)
        run.terminal = bool(pod["metadata"].get("deletionTimestamp"))
        self._publish(run)
        if run.terminal:
            self._delete(run)

    def _deleting(self, run: PodRun) -> bool:
        current = self._current(run)
        return bool(current and current["metadata"].get("deletionTimestamp"))

    def _delete(self, run: PodRun) -> None:
        """The status manager's delete once the pod is terminal: grace 0, this uid only."""
        meta = run.pod["metadata"]
        with contextlib.suppress(errors.ApiError):
            self.cluster.delete(self.pods, meta["namespace"], meta["name"], grace_period=0,
                                preconditions={"uid": run.uid})

    def _clean(self, pod_uid: str) -> None:
        """Unmount: the pod's volumes and its containers' own folders go."""
        self._writer.remove(pod_uid)
        shutil.rmtree(self.settings.scratch / "rootfs" / pod_uid, ignore_errors=True)

    async def _run_pod(self, run: PodRun) -> None:
        deadline = self._spawn(self._enforce_deadline(run))
        lookup = self._lookup_in(run.pod["metadata"]["namespace"])
        tokens = self._spawn(tokenrefresh.keep_fresh(
            run.pod, lambda volume: self._writer.write(run.pod, volume, lookup),
            self.settings.token_refresh_seconds))
        try:
            await self._run_stages(run)
            if run.termination is not None and self._exists(run):
                # Every process is gone: the terminal status, the volumes unmounted, then the
                # pod object goes (if it is being deleted; past its own deadline it stays).
                run.terminal = True
                self._publish(run)
                self._clean(run.uid)
                if self._deleting(run):
                    self._delete(run)
        finally:
            deadline.cancel()
            tokens.cancel()
            if run.pod_ip:
                self.addresses.free(run.pod_ip)
            self._processes.pop(run.uid, None)
            self._pod_runs.pop(run.uid, None)
            if not self._exists(run):
                self._clean(run.uid)

    async def _enforce_deadline(self, run: PodRun) -> None:
        """spec.activeDeadlineSeconds, counted from the pod's startTime (pkg/kubelet/
        active_deadline.go): past it the kubelet stops the pod, Failed with DeadlineExceeded."""
        seconds = run.pod["spec"].get("activeDeadlineSeconds")
        if seconds is None:
            return
        end = parse_time(run.start_time) + timedelta(seconds=seconds)
        await asyncio.sleep(max((end - datetime.now(UTC)).total_seconds(), 0))
        if run.termination is None and self._exists(run):
            # killPodNow with the pod's own grace; the pod stays, Failed, with this reason.
            run.reason = POD_DEADLINE
            self._terminate(run, run.pod["spec"].get("terminationGracePeriodSeconds", 30))

    async def _run_stages(self, run: PodRun) -> None:
        pod = run.pod
        self._publish(run)  # ContainerCreating
        folders = await self._mount(run)
        if folders is None:
            return
        run.pod_ip, run.sandbox = self.addresses.allocate(), True
        self._publish(run)
        for spec, state in zip(pod["spec"].get("initContainers") or [], run.init, strict=True):
            # One at a time, each to success (pkg/kubelet/kuberuntime computeInitContainerActions).
            if not self._wanted(run):
                return
            await self._run_container(run, spec, state, folders)
            if (state.state.get("terminated") or {}).get("exitCode") != 0:
                self._publish(run)  # failed (or the pod went): the app containers never start
                return
        if not self._wanted(run):
            return
        for state in run.containers:
            state.state = {"waiting": {"reason": "ContainerCreating"}}
        specs = pod["spec"].get("containers") or []
        await asyncio.gather(*(self._run_container(run, spec, state, folders)
                               for spec, state in zip(specs, run.containers, strict=True)))
        if self._exists(run):
            self._publish(run)

    async def _mount(self, run: PodRun) -> dict[str, Path] | None:
        """The pod's volumes, retried until they can be set up (None: the pod went)."""
        lookup = self._lookup_in(run.pod["metadata"]["namespace"])
        while self._wanted(run):
            try:
                claims = claim_folders(self.cluster, run.pod["metadata"]["namespace"])
                return pod_folders(run.pod, self._writer, claims, lookup)
            except MountFailed as problem:
                self._event(run, "Warning", "FailedMount", problem.message)
            await self._pause(run, self.settings.retry_seconds)
        return None

    async def _run_container(self, run: PodRun, spec: dict[str, Any], state: ContainerState,
                             folders: dict[str, Path]) -> None:
        """Pull, start, wait; restart as restartPolicy says (an init container only on
        failure), backing off 10 s doubling to 300 s (CrashLoopBackOff)."""
        image = await imagepull.pull(self, run, spec, state)
        if image is None:
            return
        policy = run.pod["spec"].get("restartPolicy", "Always")
        delay = self.settings.crash_loop_backoff_seconds
        while True:
            plan = await containerstart.plan(self, run, spec, state, image, folders)
            if plan is None or not self._wanted(run):
                return
            code = await containerstart.execute(self, run, spec, state, plan, image)
            again = policy == "Always" and not state.init or (policy != "Never" and code != 0)
            if not again or not self._wanted(run):
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
            await self._pause(run, delay)
            delay = min(delay * 2, self.settings.crash_loop_backoff_max_seconds)
            if not self._wanted(run):
                return
        if not all(c.state.get("terminated") for c in run.containers):
            self._publish(run)  # the last one to end writes the pod's final status
