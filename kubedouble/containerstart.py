"""How the kubelet starts one container (kuberuntime_container.go startContainer): its process
planned (env, mounts, the pod's network stand-in; CreateContainerConfigError while it cannot
be), launched in its filesystem view, its output logged and its probes run until it ends."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import fsview, images, launch, podnet, probes
from .clock import now
from .containers import ConfigError, ContainerPlan, MountError, plan_container
from .incluster import master_service_env
from .logbuffer import LogBuffer
from .podrun import PodRun
from .podstatus import ContainerState, terminated
from .termination import signal_group

if TYPE_CHECKING:
    from .kubelet import Kubelet


async def plan(kubelet: Kubelet, run: PodRun, spec: dict[str, Any], state: ContainerState,
               image: images.Image, folders: dict[str, Path]) -> ContainerPlan | None:
    """The container's process, retried while its env or mounts cannot be made."""
    meta = run.pod["metadata"]
    address = kubelet.settings.api_address
    base_env = {**os.environ, **(master_service_env(*address) if address else {}),
                **kubelet.settings.job_env}
    names = podnet.names_file(kubelet.settings.scratch)
    # The netns stand-in and its names file stay visible to the pod even under a /tmp volume.
    names.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            made = plan_container(
                run.with_addresses(), spec, image, folders=folders,
                lookup=kubelet._lookup_in(meta["namespace"]), base_env=base_env,
                rootfs=kubelet.settings.scratch / "rootfs" / run.uid / state.name,
                sandbox=fsview.available(), needed=(names.parent, podnet.NETNS_DIR))
            return podnet.in_pod_network(made, run.pod_ip, meta["namespace"], names)
        except (ConfigError, MountError) as problem:
            kubelet._event(run, "Warning", "Failed", f"Error: {problem.message}")
            state.state = {"waiting": {"reason": "CreateContainerConfigError",
                                       "message": problem.message}}
            kubelet._publish(run)
        await kubelet._pause(run, kubelet.settings.retry_seconds)
        if not kubelet._wanted(run):
            return None


async def execute(kubelet: Kubelet, run: PodRun, spec: dict[str, Any], state: ContainerState,
                  plan: ContainerPlan, image: images.Image) -> int:
    """Run the process to its end, its output into the container's log; its exit code."""
    buffer = kubelet.logs.setdefault((run.uid, state.name),
                                     LogBuffer(kubelet.settings.container_log_max_bytes))
    kubelet._event(run, "Normal", "Created", f"Created container: {state.name}")
    started = now()
    try:
        process = await launch.start(plan)
    except OSError as problem:
        message = f"failed to start container {plan.name!r}: {problem}"
        buffer.append(message.encode() + b"\n")
        buffer.close()
        kubelet._event(run, "Warning", "Failed", f"Error: {message}")
        state.state = terminated(128, started, reason="StartError", message=message)
        return 128
    kubelet._processes.setdefault(run.uid, {})[state.name] = process
    if run.termination is not None:
        signal_group(process.pid, signal.SIGKILL)  # the stop began while it started
    lifetime = kubelet.lifetimes.started(run.pod, state.name, process.pid, plan.cwd)
    state.container_id = f"kubedouble://{process.pid}"
    state.state = {"running": {"startedAt": started}}
    prober = _probe(kubelet, run, spec, state, plan, image, process)
    kubelet._publish(run)
    kubelet._event(run, "Normal", "Started", f"Started container {state.name}")
    try:
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            buffer.append(chunk)
        code = await process.wait()
    finally:
        await probes.cancel(prober)
        buffer.close()
        kubelet.lifetimes.ended(lifetime, process.returncode)
    exit_code = code if code >= 0 else 128 - code
    state.state = terminated(exit_code, started, container_id=state.container_id)
    return exit_code


def _probe(kubelet: Kubelet, run: PodRun, spec: dict[str, Any], state: ContainerState,
           plan: ContainerPlan, image: images.Image,
           process: asyncio.subprocess.Process) -> asyncio.Task[None]:
    """This run's probes: started/ready into the status, a failed liveness or startup
    probe stops the process with its grace (the restart loop then restarts it)."""
    def changed() -> None:
        state.probe_started, state.probe_ready = worker.started, worker.ready
        kubelet._publish(run)

    worker = probes.for_container(
        spec, run.pod, run.pod_ip, plan, image.program, process, changed,
        lambda kind, reason, message: kubelet._event(run, kind, reason, message))
    state.probe_started, state.probe_ready = worker.started, worker.ready
    return kubelet._spawn(worker.run())
