"""How the kubelet stops a pod's containers: SIGTERM to each main process that would receive it,
then SIGKILL to whatever is left when the grace period ends.

The grace: the pod's deletionGracePeriodSeconds, never below the runtime's 2 s
(pkg/kubelet/kuberuntime/kuberuntime_container.go `minimumGracePeriodInSeconds`), and it can
only shrink once the stop has begun (pkg/kubelet/pod_workers.go
`calculateEffectiveGracePeriod`).

A container's main process is PID 1 of its PID namespace, and the kernel does not deliver a
signal to PID 1 whose action is the default one (pid_namespaces(7)): a SIGTERM reaches it only
if it installed a handler. Here the main process leads its own process group; the double reads
its handler mask (/proc/<pid>/status `SigCgt`) and sends SIGTERM only when it is caught, and to
the leader only, as a runtime signals only the container's PID 1. So a plain `python script.py`
(no handler) runs on until the SIGKILL, exactly as the reference image does on a cluster; a
shell wrapper (`sh -c ...`, no handler either) is treated the same way. The SIGKILL goes to the
whole group: PID 1 gone, the kernel kills every process of the container.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

MIN_GRACE_SECONDS = 2.0

Processes = Callable[[], list[asyncio.subprocess.Process]]


def catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (bit signum-1 of SigCgt)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except (OSError, ValueError, IndexError):
        return False
    return False


def signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def deliver_as_pid1(pid: int, sig: int) -> bool:
    """Send `sig` to the main process if PID 1 would receive it; whether it was sent."""
    if not catches(pid, sig):
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
    return True


class Termination:
    """One pod's stop under way: its deadline (loop time), which only moves earlier."""

    def __init__(self, grace_seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self.deadline = self._loop.time() + max(grace_seconds, MIN_GRACE_SECONDS)
        self._shortened = asyncio.Event()

    def shorten(self, grace_seconds: float) -> None:
        deadline = self._loop.time() + max(grace_seconds, MIN_GRACE_SECONDS)
        if deadline < self.deadline:
            self.deadline = deadline
            self._shortened.set()

    async def stop(self, running: Processes, started: Processes) -> None:
        """SIGTERM (as PID 1 gets it), wait until the processes end or the deadline, SIGKILL
        every group still there. `running`: the main processes alive now; `started`: all the
        pod's main processes, whose groups are killed at the end."""
        for process in running():
            deliver_as_pid1(process.pid, signal.SIGTERM)
        while (alive := running()) and (left := self.deadline - self._loop.time()) > 0:
            self._shortened.clear()
            waits = [asyncio.ensure_future(p.wait()) for p in alive]
            waits.append(asyncio.ensure_future(self._shortened.wait()))
            _, pending = await asyncio.wait(waits, timeout=left,
                                            return_when=asyncio.FIRST_COMPLETED)
            for waiting in pending:
                waiting.cancel()
        for process in started():
            signal_group(process.pid, signal.SIGKILL)
