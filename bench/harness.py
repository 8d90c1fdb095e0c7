"""What a benchmark runs on: the API-server double, the real operator process, Watches that
time what happens, and a counter of the API writes made to the double."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from kubedouble.faults import FaultRule
from kubedouble.store import DEFAULT_HISTORY_SECONDS
from kubedouble.testing import ApiServerHandle, start_apiserver
from tests.fixtures import chart_accounts
from tests.fixtures.apiserver import DATA_CLAIM, node_images
from tests.fixtures.operator import GROUP, VERSION

REPO = Path(__file__).resolve().parents[1]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FINAL_PHASES = frozenset({"Succeeded", "Failed", "Cancelled"})


class WriteCounter(FaultRule):
    """Counts write requests by kind of object and never fails one.

    kubedouble exposes no request counts; its fault rules are the one hook that sees every
    request. `Faults.failure_for` asks `matches` of each rule that has a status, so a rule that
    counts and answers False sees all traffic without changing any answer."""

    def __init__(self) -> None:
        super().__init__(path=".*", status=599)
        self.counts: Counter[str] = Counter()

    def matches(self, method: str, path: str) -> bool:
        if method in WRITES:
            self.counts[f"{method} {kind_of(path)}"] += 1
        return False

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)


def kind_of(path: str) -> str:
    """`pipelineruns/status`, `jobs`, `events`, `leases`... from a request path."""
    parts = [part for part in path.split("/") if part]
    # /api/<version>/... or /apis/<group>/<version>/...
    parts = parts[2:] if parts[:1] == ["api"] else parts[3:] if parts[:1] == ["apis"] else []
    if parts[:1] == ["namespaces"] and len(parts) > 2:
        parts = parts[2:]
    if not parts:
        return path
    return parts[0] + ("/" + parts[2] if len(parts) > 2 else "")


class Moments:
    """The first moment (time.monotonic) each object was seen in a wanted state, per name."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._changed = threading.Condition()

    def note(self, name: str) -> None:
        with self._changed:
            if name not in self._seen:
                self._seen[name] = time.monotonic()
                self._changed.notify_all()

    def get(self, name: str) -> float | None:
        with self._changed:
            return self._seen.get(name)

    def wait_for(self, names: list[str], timeout: float, what: str,
                 check: Callable[[], None] = lambda: None) -> list[float]:
        """The moments of all `names`, waiting for the missing ones up to `timeout` seconds;
        `check` runs every second meanwhile and may raise to give up early."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                check()
                missing = [name for name in names if name not in self._seen]
                if not missing:
                    return [self._seen[name] for name in names]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what} "
                                       f"({len(missing)} of {len(names)} missing, e.g. "
                                       f"{missing[0]})")
                self._changed.wait(min(left, 1.0))


@dataclass
class Watches:
    """Watch threads on Jobs and PipelineRuns (their own API clients, so timing is client-side)."""

    handle: ApiServerHandle
    jobs_added: Moments = field(default_factory=Moments)  # by owning run's name
    jobs_finished: Moments = field(default_factory=Moments)  # Complete or Failed, by run name
    runs_queued: Moments = field(default_factory=Moments)
    runs_finished: Moments = field(default_factory=Moments)
    phases: dict[str, str] = field(default_factory=dict)
    failures: list[BaseException] = field(default_factory=list)  # a watch that broke early
    _stopping: bool = False
    _watches: list[Any] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for name, plural, group, version, on_event in (
                ("jobs", "jobs", "batch", "v1", self._on_job),
                ("runs", "pipelineruns", GROUP, VERSION, self._on_run)):
            thread = threading.Thread(target=self._follow, name=f"watch {name}", daemon=True,
                                      args=(group, version, plural, on_event))
            thread.start()
            self._threads.append(thread)

    def _follow(self, group: str, version: str, plural: str,
                on_event: Callable[[str, dict[str, Any]], None]) -> None:
        from kubernetes import client, watch

        api_client = self.handle.api_client()
        stream = watch.Watch()
        self._watches.append(stream)
        try:
            for event in stream.stream(client.CustomObjectsApi(api_client).
                                       list_namespaced_custom_object,
                                       group, version, self.handle.namespace, plural):
                on_event(event["type"], event["object"])
        except Exception as error:
            if not self._stopping:  # else the double stopping under us ended it: no news
                self.failures.append(error)
        finally:
            api_client.close()

    def _on_job(self, kind: str, job: dict[str, Any]) -> None:
        owner = next((reference["name"] for reference in job["metadata"].get("ownerReferences")
                      or () if reference.get("kind") == "PipelineRun"), None)
        if owner is None:
            return
        if kind == "ADDED":
            self.jobs_added.note(owner)
        if any(condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True"
               for condition in (job.get("status") or {}).get("conditions") or ()):
            self.jobs_finished.note(owner)

    def _on_run(self, kind: str, run: dict[str, Any]) -> None:
        name = run["metadata"]["name"]
        phase = (run.get("status") or {}).get("phase")
        if phase:
            self.phases[name] = phase
        if phase == "Queued":
            self.runs_queued.note(name)
        elif phase in FINAL_PHASES:
            self.runs_finished.note(name)

    def stop(self) -> None:
        self._stopping = True
        for stream in self._watches:
            stream.stop()


@dataclass
class OperatorProcess:
    """`kopf run --standalone` of kubeshowcase_operator in its own process group."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the operator hands its lease over), then SIGKILL; never leaves it behind."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@contextlib.contextmanager
def running_operator(handle: ApiServerHandle, data_root: Path, workdir: Path,
                     log_name: str = "operator.log", **settings: str) -> Iterator[OperatorProcess]:
    env = dict(os.environ)
    env.update({
        "KUBECONFIG": str(handle.kubeconfigs["operator"]),  # the chart's operator account
        "PYTHONPATH": os.pathsep.join([str(REPO / "operator"), env.get("PYTHONPATH", "")]),
        "KUBE_NAMESPACE": handle.namespace,
        "DATA_ROOT": str(data_root),
        "POD_NAME": "operator-bench",
    })
    env.update(settings)
    log_path = workdir / log_name
    command = [sys.executable, "-m", "kopf", "run", "--standalone",
               "--namespace", handle.namespace, "-m", "kubeshowcase_operator"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    operator = OperatorProcess(process, log_path)
    try:
        yield operator
    finally:
        operator.stop()


@contextlib.contextmanager
def double(workdir: Path, watch_history_seconds: float = DEFAULT_HISTORY_SECONDS,
           ) -> Iterator[tuple[ApiServerHandle, Path]]:
    """A fresh API-server double whose Job runner maps the data claim to `workdir`/data;
    its watch history is compacted after `watch_history_seconds`."""
    data_root = workdir / "data"
    data_root.mkdir(parents=True, exist_ok=True)
    # The node has the images the test suite's pods use (the operator fixture's Pipelines);
    # the chart's accounts and Roles are there, the operator runs with its own.
    accounts = chart_accounts.write_manifests(workdir / "chart-accounts")
    with start_apiserver(crd_dir=REPO / "crds", volumes={DATA_CLAIM: data_root},
                         images=node_images(), tmp_dir=workdir / "kubedouble",
                         watch_history_seconds=watch_history_seconds,
                         apply_files=[accounts]) as handle:
        chart_accounts.issue_kubeconfigs(handle, workdir / "accounts")
        yield handle, data_root
