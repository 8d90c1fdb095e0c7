"""What really happens to a queue: runs dispatched by the operator's own rule, in simulated time.

The truth the run-start estimates are checked against (tests/operator/test_estimates.py and
bench/estimates.py): every run has a true duration; runs start in queue order as
`next_runs_to_start` picks them whenever a slot frees, each in a project of its own."""

from __future__ import annotations

import heapq
import math
import random
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operator"))

from kubeshowcase_operator.queue import Candidate, next_runs_to_start  # noqa: E402


@dataclass(frozen=True)
class Arrival:
    name: str
    pipeline: str
    at: float  # seconds, on the simulation's clock
    duration: float  # how long it really runs


@dataclass(frozen=True)
class Outcome:
    start: float
    finish: float


def replay(arrivals: Sequence[Arrival], slots: int,
           busy_until: Sequence[float] = ()) -> dict[str, Outcome]:
    """When each run really starts and finishes. `arrivals` are in queue order (by `at`);
    `busy_until`: when the runs already going at the start free their slots."""
    busy = list(busy_until)
    heapq.heapify(busy)
    waiting: deque[Arrival] = deque()
    outcomes: dict[str, Outcome] = {}
    upcoming = 0
    while upcoming < len(arrivals) or waiting:
        next_arrival = arrivals[upcoming].at if upcoming < len(arrivals) else math.inf
        now = min(next_arrival, busy[0] if busy else math.inf)
        while busy and busy[0] <= now:
            heapq.heappop(busy)
        while upcoming < len(arrivals) and arrivals[upcoming].at <= now:
            waiting.append(arrivals[upcoming])
            upcoming += 1
        chosen = next_runs_to_start((Candidate(run.name, run.name) for run in waiting),
                                    len(busy), slots)
        for name in chosen:
            run = waiting.popleft()
            assert run.name == name, "the dispatch rule took a run out of queue order"
            outcomes[name] = Outcome(now, now + run.duration)
            heapq.heappush(busy, now + run.duration)
    return outcomes


Sampler = Callable[[random.Random], float]


def lognormal(median_s: float, sigma: float) -> Sampler:
    """Durations around a median, with a long right tail (as pipeline runs have)."""
    mu = math.log(median_s)
    return lambda rng: rng.lognormvariate(mu, sigma)


def longer_than(sampler: Sampler, rng: random.Random, elapsed: float) -> float:
    """A true duration for a run that has already run `elapsed` seconds (by rejection)."""
    for _ in range(10_000):
        duration = sampler(rng)
        if duration > elapsed:
            return duration
    return elapsed + 1.0
