"""Drives one soak: two operator replicas killed and restarted at random, runs fed to them and
cancelled while running, fault rules added to the API double throughout; then figures.

Works with whatever starts an operator (`launch(**env) -> handle with .process`): the
`operator_factory` fixture in tests, `bench.harness.running_operator` from the command line."""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.soak_checks import (FINAL, crowding, describe_crowding, only_beside_cancelled,
                               verdicts)
from bench.soak_plan import Mix, RunPlan, draw_fault, kill_points, plan_runs
from kubedouble.faults import FaultRule
from kubedouble.lifetimes import Lifetime
from kubedouble.testing import ApiServerHandle
from tests.fixtures.operator import KscCluster

RUN_LABEL = "kubeshowcase.io/run"  # kubeshowcase_operator.jobs.RUN_LABEL: our names fit as is
PIPELINE = "soak"
TRANSIENT = frozenset({429, 500, 502, 503, 504})
Launch = Callable[..., Any]
# The Pipeline's terminationGracePeriodSeconds: a cancelled pipeline that ignores SIGTERM
# (Python as PID 1 without a handler) lives this long before the kubelet's SIGKILL, holding
# its slot and folder (Kubernetes' default would be 30 s).
GRACE_SECONDS = 3


@dataclass(frozen=True)
class SoakSettings:
    runs: int = 200  # per limit
    limits: tuple[int, ...] = (1, 3)
    kills: int = 12  # per limit, at random moments
    seed: int = 8
    lease_seconds: int = 6  # LEASE_DURATION_SECONDS: requests time out at 1.6 s
    fault_every: float = 1.5  # mean seconds between two fault rules
    fault_lifetime: float = 20.0  # a rule not used up by then is taken out
    latencies: tuple[float, ...] = (1.0, 2.0, 3.0)  # seconds a slowed request waits
    restart_after: tuple[float, float] = (0.5, 4.0)  # seconds a killed replica stays down
    mix: Mix = field(default_factory=Mix)
    phase_timeout: float = 3600.0  # seconds for a limit's runs to be fed and finish
    settle_seconds: float = 180.0  # then, without faults or kills, for the rest to finish


def retried(call: Callable[[], Any], what: str, attempts: int = 40, creates: bool = False) -> Any:
    """The soak's own requests meet the same faults: retry them as a careful client would
    (`creates`: a 409 after a retry is our own earlier attempt that went through)."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    for attempt in range(attempts):
        try:
            return call()
        except ApiException as error:
            if creates and attempt and error.status == 409:
                return None
            if error.status not in TRANSIENT:
                raise
        except (HTTPError, ConnectionError):
            pass
        time.sleep(min(0.05 * 2 ** attempt, 2.0))
    raise RuntimeError(f"{what}: still failing after {attempts} attempts")


class Replica:
    """One operator replica, as a Deployment's pod: a new name after every restart."""

    def __init__(self, slot: str, launch: Launch, env: dict[str, str]) -> None:
        self.slot, self._launch, self._env = slot, launch, env
        self.starts = 0
        self.handle: Any = None
        self.restart_at: float | None = None

    @property
    def identity(self) -> str:
        return f"operator-{self.slot}-{self.starts}"

    @property
    def alive(self) -> bool:
        return self.handle is not None and self.handle.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        self.handle = self._launch(POD_NAME=self.identity, **self._env)
        self.restart_at = None

    def kill(self, restart_at: float) -> None:
        """SIGKILL, as when its node dies: no lease handed over, nothing cleaned up."""
        self._signal(signal.SIGKILL)
        self.restart_at = restart_at

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, number: int) -> None:
        if self.alive:
            os.killpg(self.handle.process.pid, number)
            self.handle.process.wait(30)


class FaultInjector(threading.Thread):
    """Adds a drawn fault rule every `every` seconds on average; each goes once used up or
    after `lifetime` seconds."""

    def __init__(self, handle: ApiServerHandle, rng: random.Random, settings: SoakSettings):
        super().__init__(name="soak faults", daemon=True)
        self._faults, self._rng, self._settings = handle.faults, rng, settings
        self._stopping = threading.Event()
        self.added = 0

    def run(self) -> None:
        live: deque[tuple[float, FaultRule]] = deque()
        while not self._stopping.wait(self._rng.expovariate(1 / self._settings.fault_every)):
            while live and live[0][0] < time.monotonic():
                self._faults.remove(live.popleft()[1])
            rule = self._faults.add(draw_fault(self._rng, self._settings.latencies))
            live.append((time.monotonic() + self._settings.fault_lifetime, rule))
            self.added += 1

    def stop(self) -> None:
        self._stopping.set()
        self.join(30)
        self._faults.clear()


class Every(threading.Thread):
    """Calls `step` every `seconds` in its own thread until stopped: the soak's cancels go
    on while its main loop waits on a slowed request."""

    def __init__(self, seconds: float, step: Callable[[], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._seconds, self._step = seconds, step
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self._seconds):
            self._step()

    def stop(self) -> None:
        self._stopping.set()
        self.join(120)


@dataclass
class PhaseFigures:
    limit: int
    runs: int
    seconds: float = 0.0
    kills: int = 0
    leader_kills: int = 0
    cancels_sent: int = 0
    fault_rules: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # injected, by kind
    phases: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # not final at the end
    wrong: int = 0  # final, but not what its plan and cancel allow
    doubled: int = 0  # more than one Job, or its pipeline ran twice
    succeeded_without_one_job: int = 0
    most_alive: int = 0  # pipeline processes alive at once, grace periods included
    crowded_starts: int = 0  # processes started with `limit` already alive
    most_in_one_folder: int = 0
    shared_folder_starts: int = 0
    # Of those crowded and shared-folder starts, the ones beside processes of cancelled runs only.
    crowded_beside_cancelled: int = 0
    shared_beside_cancelled: int = 0
    unreaped: int = 0  # pipeline processes still alive after the operators stopped
    examples: list[str] = field(default_factory=list)  # the first runs that went wrong
    timeline: list[str] = field(default_factory=list)  # kills, restarts, cancels (JSON only)

    def problems(self) -> list[str]:
        """Every invariant the soak checks that this phase broke, worded with its figures."""
        found = [f"{count} run(s) {what}" for count, what in (
            (self.lost, "not final"), (self.wrong, "final but wrong"),
            (self.doubled, "with more than one Job or pipeline process"),
            (self.succeeded_without_one_job, "Succeeded without exactly one Job"),
            (self.unreaped, "still running a pipeline process at the end")) if count]
        if self.most_alive > self.limit:
            found.append(f"{self.most_alive} pipeline processes alive at once (limit "
                         f"{self.limit}; {self.crowded_starts} started over it, "
                         f"{self.crowded_beside_cancelled} only beside cancelled runs' ones)")
        if self.most_in_one_folder > 1:
            found.append(f"{self.most_in_one_folder} pipeline processes at once in one project "
                         f"folder ({self.shared_folder_starts} started beside another, "
                         f"{self.shared_beside_cancelled} only beside cancelled runs' ones)")
        return [f"limit {self.limit}: {problem}" for problem in found]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Phase:
    """One limit's runs, start to verdict."""

    def __init__(self, ksc: KscCluster, handle: ApiServerHandle, launch: Launch, limit: int,
                 plans: list[RunPlan], settings: SoakSettings) -> None:
        self.ksc, self.handle, self.limit, self.plans = ksc, handle, limit, plans
        self.settings = settings
        # One generator per thread of decisions: what one draws never shifts another's.
        self.rng = random.Random(f"{settings.seed}/kills/{limit}")
        self.fault_rng = random.Random(f"{settings.seed}/faults/{limit}")
        env = {"MAX_CONCURRENT_RUNS": str(limit),
               "LEASE_DURATION_SECONDS": str(settings.lease_seconds)}
        self.replicas = [Replica(f"l{limit}{slot}", launch, env) for slot in ("a", "b")]
        self.by_name = {plan.name: plan for plan in plans}
        self.phases: dict[str, str | None] = {}
        self.uids: dict[str, str] = {}
        self.cancels: set[str] = set()
        self.figures = PhaseFigures(limit, len(plans))
        self.started = time.monotonic()

    # What the double and the API say ---------------------------------------------------------
    def processes(self) -> dict[str, list[Lifetime]]:
        found: dict[str, list[Lifetime]] = {}
        for record in self.handle.lifetimes.all():
            name = record.labels.get(RUN_LABEL)
            if name in self.by_name:
                found.setdefault(name, []).append(record)
        return found

    def read_runs(self) -> None:
        for run in retried(self.ksc.runs, "list runs"):
            name = run["metadata"]["name"]
            if name in self.by_name:
                self.uids[name] = run["metadata"]["uid"]
                self.phases[name] = (run.get("status") or {}).get("phase")

    def finished(self) -> int:
        return sum(self.phases.get(name) in FINAL for name in self.by_name)

    # What the soak does ----------------------------------------------------------------------
    def create(self, plan: RunPlan) -> None:
        self.ksc.project(plan.project)
        retried(lambda: self.ksc.create_run(plan.name, pipeline=PIPELINE, project=plan.project,
                                            args=plan.args), f"create {plan.name}", creates=True)
        self.phases.setdefault(plan.name, None)

    def send_due_cancels(self) -> None:
        """Cancel each run planned so once its process has run its time, while it still runs
        (read from the double's own record: no API request that a fault could slow)."""
        now = time.monotonic()
        for name, records in self.processes().items():
            plan = self.by_name[name]
            due = plan.cancel_after is not None and now - records[0].start >= plan.cancel_after
            if due and name not in self.cancels and records[-1].end is None:
                self.cancels.add(name)
                self.note(f"cancelled {name}")
                retried(lambda name=name: self.ksc.cancel(name), f"cancel {name}")

    def kill_one(self, now: float) -> bool:
        """SIGKILL a replica that is up (False: both are down, try again later)."""
        alive = [replica for replica in self.replicas if replica.alive]
        if not alive:
            return False
        victim = self.rng.choice(alive)
        holder = retried(self.ksc.lease_holder, "read the lease")
        victim.kill(now + self.rng.uniform(*self.settings.restart_after))
        self.figures.kills += 1
        self.figures.leader_kills += holder == victim.identity
        self.note(f"killed {victim.identity}" + (" (the leader)" if holder == victim.identity
                                                 else f" (the leader: {holder})"))
        return True

    def restart_due(self, now: float) -> None:
        for replica in self.replicas:
            if replica.restart_at is not None and replica.restart_at <= now:
                replica.start()
                self.note(f"started {replica.identity}")

    def note(self, what: str) -> None:
        self.figures.timeline.append(f"{time.monotonic() - self.started:.2f}s {what}")

    # The phase ---------------------------------------------------------------------------------
    def run(self) -> PhaseFigures:
        self.started = started = time.monotonic()
        faults_before = Counter(self.handle.faults.tally())
        for replica in self.replicas:
            replica.start()
        injector = FaultInjector(self.handle, self.fault_rng, self.settings)
        injector.start()
        canceller = Every(0.05, self.send_due_cancels, "soak cancels")
        canceller.start()
        try:
            self._feed(started + self.settings.phase_timeout)
        finally:
            injector.stop()
        try:
            self._settle(time.monotonic() + self.settings.settle_seconds)
        finally:
            canceller.stop()
        for replica in self.replicas:
            replica.stop()
        self._reaped(time.monotonic() + 60)
        self.figures.seconds = round(time.monotonic() - started, 1)
        self.figures.fault_rules = injector.added
        tally = Counter(self.handle.faults.tally()) - faults_before
        self.figures.faults = dict(sorted(tally.items()))
        self._judge()
        return self.figures

    def _feed(self, deadline: float) -> None:
        pending = deque(self.plans)
        kills = deque(kill_points(self.rng, len(self.plans), self.settings.kills))
        kill_at: float | None = None
        window = self.limit * 2 + 2  # runs created but not final, so the queue always moves
        next_read = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_read:
                self.read_runs()
                next_read = now + 0.5
            done = self.finished()
            if not pending and not kills and kill_at is None and done == len(self.plans):
                return
            while pending and len(self.phases) - done < window:
                self.create(pending.popleft())
            if kill_at is None and kills and kills[0] <= done:
                kills.popleft()
                kill_at = now + self.rng.uniform(0.0, 1.5)
            if kill_at is not None and now >= kill_at and self.kill_one(now):
                kill_at = None
            self.restart_due(now)
            time.sleep(0.1)

    def _settle(self, deadline: float) -> None:
        """No more faults or kills: every replica up, and time for the last runs to end."""
        for replica in self.replicas:
            if not replica.alive:
                replica.start()
        while time.monotonic() < deadline:
            self.read_runs()
            if self.finished() == len(self.plans):
                return
            time.sleep(0.5)

    def _reaped(self, deadline: float) -> None:
        while time.monotonic() < deadline and any(
                record.end is None for records in self.processes().values()
                for record in records):
            time.sleep(0.5)

    def _judge(self) -> None:
        self.read_runs()
        processes = self.processes()
        found = verdicts(self.plans, self.phases, self.uids, self.cancels, processes,
                         self.handle.job_creations.all())
        figures = self.figures
        figures.cancels_sent = len(self.cancels)
        figures.phases = dict(sorted(Counter(str(v.phase) for v in found).items()))
        figures.lost = sum(v.lost for v in found)
        figures.wrong = sum(v.wrong for v in found)
        figures.doubled = sum(v.doubled for v in found)
        figures.succeeded_without_one_job = sum(v.succeeded_without_one_job for v in found)
        spans = [record for records in processes.values() for record in records]
        figures.unreaped = sum(record.end is None for record in spans)
        crowd = crowding(spans, self.limit)
        figures.most_alive, figures.crowded_starts = crowd.most_alive, len(crowd.crowded_starts)
        figures.most_in_one_folder = crowd.most_in_one_folder
        figures.shared_folder_starts = len(crowd.shared_folder_starts)
        figures.crowded_beside_cancelled = only_beside_cancelled(
            crowd.crowded_starts, self.cancels, self.limit)
        figures.shared_beside_cancelled = only_beside_cancelled(
            crowd.shared_folder_starts, self.cancels, 1)
        origin = self.started
        figures.examples = [describe_crowding(span, alive, origin)
                            for span, alive in crowd.crowded_starts[:5]]
        figures.examples += [
            f"{v.name}: {v.phase} (allowed {'/'.join(sorted(v.allowed))}; {v.jobs} Job(s), "
            f"{v.processes} process(es); plan {self.by_name[v.name]})"
            for v in found if v.lost or v.wrong or v.doubled or v.succeeded_without_one_job][:5]


def soak(ksc: KscCluster, handle: ApiServerHandle, launch: Launch, pipeline_script: Path,
         settings: SoakSettings) -> list[PhaseFigures]:
    """Every limit in turn on one double, each with its own replicas and runs."""
    retried(lambda: ksc.create_pipeline(PIPELINE, command=[sys.executable, str(pipeline_script)],
                                        terminationGracePeriodSeconds=GRACE_SECONDS),
            "create the Pipeline", creates=True)
    results = []
    for limit in settings.limits:
        plans = plan_runs(random.Random(f"{settings.seed}/runs/{limit}"), f"l{limit}",
                          settings.runs, settings.mix)
        results.append(Phase(ksc, handle, launch, limit, plans, settings).run())
    return results
