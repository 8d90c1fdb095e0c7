"""What a soak does, drawn from its seed before it starts: each run's pipeline behaviour and
cancel, the moments replicas are killed, and the faults the API double injects."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kubedouble.faults import FaultRule

OWNER = "soak"


@dataclass(frozen=True)
class Mix:
    """The shares of each kind of run, and how long pipelines run."""

    sleeps: tuple[float, ...] = (0.0, 0.3, 0.8, 1.5, 3.0)  # seconds a pipeline runs
    fail_share: float = 0.2  # exit with a nonzero code
    cancel_share: float = 0.15  # cancelled while running (their pipeline runs at least 1.5 s)
    ignore_term_share: float = 0.5  # of the cancelled: ignore SIGTERM (the grace runs out)
    projects: int = 4  # runs share this many project folders


@dataclass(frozen=True)
class RunPlan:
    name: str
    project: str
    sleep: float
    exit: int
    cancel_after: float | None  # seconds after its process started; None: never cancelled
    ignore_term: bool

    @property
    def args(self) -> dict[str, object]:
        return {"sleep": self.sleep, "exit": self.exit, "handle_term": not self.ignore_term}

    @property
    def natural_phase(self) -> str:
        """The phase its pipeline earns when nothing stops it."""
        return "Succeeded" if self.exit == 0 else "Failed"


def plan_runs(rng: random.Random, prefix: str, count: int, mix: Mix) -> list[RunPlan]:
    plans = []
    for number in range(count):
        cancelled = rng.random() < mix.cancel_share
        sleep = rng.choice([s for s in mix.sleeps if s >= 1.5] if cancelled else mix.sleeps)
        plans.append(RunPlan(
            name=f"{prefix}-{number:03d}",
            project=f"{OWNER}/p{rng.randrange(mix.projects)}",
            sleep=sleep,
            exit=rng.choice((1, 3)) if rng.random() < mix.fail_share else 0,
            cancel_after=round(rng.uniform(0.2, sleep * 0.6), 2) if cancelled else None,
            ignore_term=cancelled and rng.random() < mix.ignore_term_share))
    return plans


def kill_points(rng: random.Random, runs: int, kills: int) -> list[int]:
    """After how many finished runs each kill comes: spread over the first four fifths of
    the phase (several may fall on one point; each waits for the one before)."""
    return sorted(rng.randrange(max(runs * 4 // 5, 1)) for _ in range(kills))


# Where faults land: the operator's reads and writes of runs, Jobs, pods, Leases and Events.
WRITE_PATHS = (r"/pipelineruns/[^/]+/status$", r"/pipelineruns/[^/]+$", r"/jobs$",
               r"/jobs/[^/]+$", r"/leases/[^/]+$", r"/events$")
READ_PATHS = (r"/pipelineruns$", r"/jobs$", r"/pods$", r"/pipelines$", r"/leases/[^/]+$",
              r"/pods/[^/]+/log$")
WATCHED = (r"/pipelineruns$", r"/jobs$", r"/pods$", r"/pipelines$")
FAULT_KINDS = ("500", "429", "latency", "answer held", "watch dropped", "watch 410")


def draw_fault(rng: random.Random, latencies: tuple[float, ...]) -> FaultRule:
    """One fault rule, used up after a few requests."""
    kind = rng.choice(FAULT_KINDS)
    if kind in ("500", "429"):
        method, paths = rng.choice((("PATCH", WRITE_PATHS), ("POST", WRITE_PATHS),
                                    ("PUT", WRITE_PATHS), ("DELETE", WRITE_PATHS),
                                    ("GET", READ_PATHS)))
        return FaultRule(path=rng.choice(paths), method=method, status=int(kind),
                         retry_after=rng.choice((1, 2)) if kind == "429" else None,
                         times=rng.randint(1, 3))
    if kind == "latency":
        return FaultRule(path=rng.choice(WRITE_PATHS + READ_PATHS),
                         delay_seconds=rng.choice(latencies), times=rng.randint(1, 4))
    if kind == "answer held":  # the write is made, its answer comes after the client gave up
        return FaultRule(path=rng.choice(WRITE_PATHS),
                         method=rng.choice(("PATCH", "POST", "PUT", "DELETE")),
                         answer_delay_seconds=rng.choice(latencies), times=rng.randint(1, 2))
    if kind == "watch dropped":
        return FaultRule(path=rng.choice(WATCHED), drop_watch_after=rng.randint(0, 4),
                         times=rng.randint(1, 2))
    return FaultRule(path=rng.choice(WATCHED), expire_watch=True, times=1)
