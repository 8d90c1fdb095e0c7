"""The kubelet's prober (pkg/kubelet/prober): startup, readiness and liveness probes.

One worker per probe of a running container (worker.go): it waits initialDelaySeconds from the
container's start, then probes every periodSeconds with timeoutSeconds; successThreshold
successes in a row or failureThreshold failures in a row change its result. Until the startup
probe succeeds the other two do not run; once it has, it stops. A readiness probe starts
"not ready", a liveness probe "alive". Each failed probe is an Unhealthy Event
("Readiness probe failed: <output>"); a liveness or startup probe past its threshold kills the
container ("Container x failed liveness probe, will be restarted") and waits on hold for the
restart. httpGet, tcpSocket and exec are run; grpc is not (the probe reports an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .containers import ContainerPlan
from .termination import Termination

USER_AGENT = "kube-probe/1.37"
KINDS = (("startupProbe", "Startup"), ("readinessProbe", "Readiness"),
         ("livenessProbe", "Liveness"))
# pkg/apis/core/v1/defaults.go SetDefaults_Probe and SetDefaults_HTTPGetAction
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}


def default_probes(container: dict[str, Any]) -> None:
    """Fill in what the API server defaults in a container's probes."""
    for key, _ in KINDS:
        probe = container.get(key)
        if not isinstance(probe, dict):
            continue
        for name, value in PROBE_DEFAULTS.items():
            probe.setdefault(name, value)
        http = probe.get("httpGet")
        if isinstance(http, dict):
            http.setdefault("path", "/")
            http.setdefault("scheme", "HTTP")


def resolve_port(port: Any, container: dict[str, Any]) -> int | None:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    return None


@dataclass
class ProbeRecord:
    """One worker's result and its run of equal results (worker.go lastResult/resultRun)."""

    success: bool | None  # readiness starts False, liveness True, startup unknown (None)
    threshold_success: int
    threshold_failure: int
    run: int = 0
    last: bool | None = None

    def observe(self, ok: bool) -> bool:
        """Take one probe's outcome; whether the worker's result changed."""
        self.run = self.run + 1 if ok == self.last else 1
        self.last = ok
        threshold = self.threshold_success if ok else self.threshold_failure
        if self.run < threshold or ok == self.success:
            return False
        self.success = ok
        return True


@dataclass(frozen=True)
class Outcome:
    ok: bool
    output: str = ""


async def http_get(action: dict[str, Any], host: str, port: int, timeout: float) -> Outcome:
    """GET as the kubelet's HTTP prober: 200-399 succeeds (redirects are not followed)."""
    scheme = str(action.get("scheme", "HTTP")).lower()
    target = action.get("host") or host
    path = action.get("path") or "/"
    url = f"{scheme}://{target}:{port}{path}"
    headers = {"Host": f"{target}:{port}", "User-Agent": USER_AGENT, "Accept": "*/*"}
    for header in action.get("httpHeaders") or []:
        headers[header.get("name", "")] = header.get("value", "")
    context = None
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # as the kubelet
    writer = None
    try:
        async with asyncio.timeout(timeout):
            try:
                reader, writer = await asyncio.open_connection(target, port, ssl=context)
            except OSError as problem:
                return Outcome(False, f'Get "{url}": {_dial_error(target, port, problem)}')
            lines = [f"GET {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()),
                     "Connection: close", "", ""]
            writer.write("\r\n".join(lines).encode("latin-1"))
            status_line = await reader.readline()
    except TimeoutError:
        return Outcome(False, f'Get "{url}": context deadline exceeded (Client.Timeout '
                              f"exceeded while awaiting headers)")
    except OSError as problem:
        return Outcome(False, f'Get "{url}": {problem}')
    finally:
        if writer is not None:
            writer.close()
    parts = status_line.decode("latin-1").split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if 200 <= code < 400:
        return Outcome(True)
    if not code:
        return Outcome(False, f'Get "{url}": EOF')
    return Outcome(False, f"HTTP probe failed with statuscode: {code}")


def _dial_error(host: str, port: int, problem: OSError) -> str:
    if isinstance(problem, ConnectionRefusedError):
        return f"dial tcp {host}:{port}: connect: connection refused"
    return f"dial tcp {host}:{port}: {problem.strerror or problem}"


async def tcp_socket(action: dict[str, Any], host: str, port: int, timeout: float) -> Outcome:
    target = action.get("host") or host
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(target, port)
    except TimeoutError:
        return Outcome(False, f"dial tcp {target}:{port}: i/o timeout")
    except OSError as problem:
        return Outcome(False, _dial_error(target, port, problem))
    writer.close()
    return Outcome(True)


Exec = Callable[[list[str], float], Awaitable[Outcome]]  # the container's own exec


async def run_command(argv: list[str], env: dict[str, str], cwd: str,
                      timeout: float) -> Outcome:
    """An exec probe's command with the container's environment and folder: exit 0 succeeds."""
    if not argv:
        return Outcome(False, "no command specified")
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
    except OSError as problem:
        return Outcome(False, str(problem))
    try:
        async with asyncio.timeout(timeout):
            output, _ = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return Outcome(False, f"command {' '.join(argv)!r} timed out")
    except asyncio.CancelledError:  # the container stopped meanwhile: so does its probe
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        with contextlib.suppress(asyncio.CancelledError):
            await process.wait()
        raise
    text = output[-10240:].decode(errors="replace")
    return Outcome(process.returncode == 0, text)


@dataclass
class ProbeTarget:
    """What a worker probes: the container's spec, its pod's address and how to exec in it."""

    container: dict[str, Any]
    pod_ip: str
    exec_in: Exec


async def run_once(probe: dict[str, Any], target: ProbeTarget) -> Outcome:
    timeout = float(probe.get("timeoutSeconds", 1))
    for key, check in (("httpGet", http_get), ("tcpSocket", tcp_socket)):
        if key in probe:
            action = probe[key] or {}
            port = resolve_port(action.get("port"), target.container)
            if port is None:
                return Outcome(False, f"unknown port: {action.get('port')!r}")
            return await check(action, target.pod_ip, port, timeout)
    if "exec" in probe:
        return await target.exec_in(list((probe["exec"] or {}).get("command") or []), timeout)
    return Outcome(False, "probe type not supported by kubedouble (grpc)")


@dataclass
class ContainerProbes:
    """The probes of one container's run: its started/ready flags and the workers' loop.

    `changed` is called when started or ready changes (the kubelet then writes the status),
    `event(type, reason, message)` records an Event, `kill(grace)` stops the container."""

    container: dict[str, Any]
    pod_grace: int
    target: ProbeTarget
    changed: Callable[[], None]
    event: Callable[[str, str, str], None]
    kill: Callable[[float], Awaitable[None]]
    started: bool = field(init=False)
    ready: bool = field(init=False)
    _started_event: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.started = "startupProbe" not in self.container
        self.ready = "readinessProbe" not in self.container
        if self.started:
            self._started_event.set()

    async def run(self) -> None:
        workers = [asyncio.ensure_future(self._worker(key, word))
                   for key, word in KINDS if isinstance(self.container.get(key), dict)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self, key: str, word: str) -> None:
        probe = self.container[key]
        initial = {"livenessProbe": True, "readinessProbe": False}.get(key)
        record = ProbeRecord(success=initial,
                             threshold_success=int(probe.get("successThreshold", 1)),
                             threshold_failure=int(probe.get("failureThreshold", 3)))
        if key != "startupProbe":
            await self._started_event.wait()
        await asyncio.sleep(float(probe.get("initialDelaySeconds", 0)))
        while True:
            outcome = await run_once(probe, self.target)
            if not outcome.ok:
                self.event("Warning", "Unhealthy", f"{word} probe failed: {outcome.output}")
            if record.observe(outcome.ok):
                if key == "readinessProbe":
                    self.ready = bool(record.success)
                    self.changed()
                elif key == "startupProbe" and record.success:
                    self.started = True
                    self._started_event.set()
                    self.changed()
                    return  # a startup probe stops once it has succeeded
                elif not record.success:
                    name = self.container.get("name", "")
                    self.event("Normal", "Killing",
                               f"Container {name} failed {word.lower()} probe, will be restarted")
                    grace = probe.get("terminationGracePeriodSeconds", self.pod_grace)
                    await self.kill(float(grace))
                    return  # on hold until the container restarts (a new run, new workers)
            await asyncio.sleep(float(probe.get("periodSeconds", 10)))


async def cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


def for_container(container: dict[str, Any], pod: dict[str, Any], pod_ip: str,
                  plan: ContainerPlan, program: Callable[[str], str],
                  process: asyncio.subprocess.Process, changed: Callable[[], None],
                  event: Callable[[str, str, str], None]) -> ContainerProbes:
    """The probes of one run of a container the kubelet started as `process`: exec probes run
    as the container's own process would (its programs, env and folder), a kill is the
    kubelet's (SIGTERM as PID 1 gets it, SIGKILL at the end of the grace)."""
    async def kill(grace: float) -> None:
        alive = lambda: [process] if process.returncode is None else []  # noqa: E731
        # Shielded: the probes are cancelled once the process ends, the stop must still end.
        await asyncio.shield(asyncio.ensure_future(
            Termination(grace).stop(alive, lambda: [process])))

    async def exec_in(argv: list[str], timeout: float) -> Outcome:
        argv = [program(argv[0]), *argv[1:]] if argv else argv
        return await run_command(argv, plan.env, str(plan.cwd), timeout)

    return ContainerProbes(container, pod["spec"].get("terminationGracePeriodSeconds", 30),
                           ProbeTarget(container, pod_ip, exec_in), changed, event, kill)
