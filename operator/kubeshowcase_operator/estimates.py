"""When queued runs will start and finish: p50 and p90 from a seeded Monte-Carlo of the queue.

Each draw resamples the recorded durations of recent runs of each pipeline (a smoothed
bootstrap: a recorded duration times a log-normal jitter of Silverman's bandwidth, since 50
recorded runs rarely hold the tail's worst one) and plays the dispatch rule forwards: runs start in queue order, each as soon as one of the
`slots` is free. The running runs hold their slots for a remaining time drawn from the
durations longer than what they have already run. The bands are the 50th and 90th
percentiles of the draws. What the estimate ignores, on purpose: project-folder overlaps and
any per-owner cap (both can only hold a run back, so the true start may be later), and runs
that join the queue ahead of it later (fair ordering may put them there).

A run of a pipeline with no finished run yet is "unknown", and so is every run queued after
it: its duration decides when they start, and nothing honest can be said about it. A
running run of such a pipeline makes the whole queue unknown for the same reason."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .status import timestamp
from .views import parse_time

SEED = 12  # a fixed seed: the same picture always gives the same estimate (no churn)
DRAWS = 200  # draws for a short queue; ...
WORK = 100_000  # ... a long one gets fewer, so that 1,000 queued runs cost well under 100 ms
MIN_DRAWS = 50
POOL_BITS = 10  # 2**10 smoothed durations drawn once per pipeline, which the draws pick from
POOL = 1 << POOL_BITS


@dataclass(frozen=True)
class Running:
    pipeline: str
    started_at: datetime


@dataclass(frozen=True)
class Waiting:
    name: str
    pipeline: str


@dataclass(frozen=True)
class Band:
    """Seconds from `now`: when a run starts and finishes, p50 and p90, and the samples."""
    start_p50: float
    start_p90: float
    finish_p50: float
    finish_p90: float
    basis: int


def draws_for(queued: int) -> int:
    return max(MIN_DRAWS, min(DRAWS, WORK // max(1, queued)))


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def unknown_reasons(running: Sequence[Running], queued: Sequence[Waiting],
                    samples: Mapping[str, Sequence[float]]) -> dict[str, str]:
    """Why each run that cannot be estimated cannot: a pipeline without history holds it."""
    blocker = next((f"a running run of pipeline {run.pipeline} has no finished runs to "
                    "go by yet" for run in running if not samples.get(run.pipeline)), None)
    reasons: dict[str, str] = {}
    for run in queued:
        if blocker is None and not samples.get(run.pipeline):
            reasons[run.name] = f"no finished runs of pipeline {run.pipeline} yet"
            blocker = (f"it waits behind {run.name}, a run of pipeline {run.pipeline}, "
                       "which has no finished runs yet")
        elif blocker is not None:
            reasons[run.name] = blocker
    return reasons


def smoothed_pool(rng: random.Random, durations: Sequence[float], size: int = POOL
                  ) -> list[float]:
    """`size` draws of a smoothed bootstrap of the durations: each a recorded duration times
    exp(h·z), h Silverman's rule-of-thumb bandwidth of the logarithms (0 for one sample)."""
    logs = [math.log(max(duration, 1e-3)) for duration in durations]
    mean = sum(logs) / len(logs)
    spread = math.sqrt(sum((value - mean) ** 2 for value in logs) / max(1, len(logs) - 1))
    width = 1.06 * spread * len(logs) ** -0.2
    return [rng.choice(durations) * math.exp(width * rng.gauss(0.0, 1.0)) for _ in range(size)]


def _remaining(rng: random.Random, durations: Sequence[float], elapsed: float) -> float:
    """A draw of how long a run that has run `elapsed` seconds still needs: one of the
    recorded durations longer than that, less the elapsed time; 0 (due now) when it has
    outrun every recorded one."""
    longer = [d for d in durations if d > elapsed]
    return rng.choice(longer) - elapsed if longer else 0.0


def simulate(now: datetime, slots: int, running: Sequence[Running], queued: Sequence[Waiting],
             samples: Mapping[str, Sequence[float]], draws: int, seed: int = SEED
             ) -> list[Band]:
    """The bands of `queued` (every pipeline there and among `running` has samples)."""
    if not queued:
        return []
    rng = random.Random(seed)
    slots = max(1, slots)
    elapsed = [(samples[run.pipeline], max(0.0, (now - run.started_at).total_seconds()))
               for run in running]
    smoothed = {pipeline: smoothed_pool(rng, samples[pipeline])
                for pipeline in sorted({run.pipeline for run in queued})}
    pools = [smoothed[run.pipeline] for run in queued]
    drawn_starts: list[list[float]] = []
    drawn_durations: list[list[float]] = []
    bits, replace = rng.getrandbits, heapq.heapreplace
    for _ in range(draws):
        busy = sorted(_remaining(rng, durations, spent) for durations, spent in elapsed)
        # With more runs going than slots (the limit was lowered), the first queued run
        # starts once all but slots-1 of them have ended: keep the `slots` longest.
        heap = [0.0] * max(0, slots - len(busy)) + busy[max(0, len(busy) - slots):]
        heapq.heapify(heap)
        durations = [pool[bits(POOL_BITS)] for pool in pools]
        starts: list[float] = []
        keep = starts.append
        for duration in durations:  # the hot loop: 1,000 runs x 100 draws
            start = heap[0]
            replace(heap, start + duration)
            keep(start)
        drawn_starts.append(starts)
        drawn_durations.append(durations)
    bands = []
    for run, run_starts, run_durations in zip(queued, zip(*drawn_starts),
                                              zip(*drawn_durations)):
        finishes = sorted(map(float.__add__, run_starts, run_durations))
        ordered = sorted(run_starts)
        bands.append(Band(percentile(ordered, 0.5), percentile(ordered, 0.9),
                          percentile(finishes, 0.5), percentile(finishes, 0.9),
                          len(samples[run.pipeline])))
    return bands


def entry(now: datetime, band: Band) -> dict[str, Any]:
    """One run's estimate as status.estimate and the queue ConfigMap carry it."""
    def at(seconds: float) -> str:
        return timestamp(now + timedelta(seconds=round(seconds)))
    return {"startP50": at(band.start_p50), "startP90": at(band.start_p90),
            "finishP50": at(band.finish_p50), "finishP90": at(band.finish_p90),
            "basis": band.basis}


def estimate_entries(now: datetime, slots: int, running: Sequence[Running],
                     queued: Sequence[Waiting], samples: Mapping[str, Sequence[float]],
                     seed: int = SEED) -> dict[str, dict[str, Any]]:
    """The `estimates` map of the queue ConfigMap: run name -> its estimate, or
    {"unknown": why} for the runs nothing honest can be said of."""
    reasons = unknown_reasons(running, queued, samples)
    known = [run for run in queued if run.name not in reasons]
    bands = simulate(now, slots, running, known, samples, draws_for(len(known)), seed)
    entries: dict[str, dict[str, Any]] = {
        run.name: entry(now, band) for run, band in zip(known, bands)}
    entries.update({name: {"unknown": why} for name, why in reasons.items()})
    return {run.name: entries[run.name] for run in queued}


MOVE_SECONDS = 60.0  # an estimate is rewritten when a time in it moves more than this ...
MOVE_SHARE = 0.1  # ... and more than this share of the time from now until it


def estimate_moved(shown: Mapping[str, Any] | None, wanted: Mapping[str, Any] | None,
                   now: datetime) -> bool:
    """Whether a shown estimate is stale enough to be rewritten: it appears, disappears or
    turns (un)known, its basis changes, or one of its times moved by more than a minute and
    10 % of the time until it (so that a long queue's estimates are not rewritten twice a
    second as they drift)."""
    if not shown or not wanted:
        return bool(shown) != bool(wanted)
    if ("unknown" in shown) != ("unknown" in wanted):
        return True
    if "unknown" in wanted:
        return shown.get("unknown") != wanted.get("unknown")
    if shown.get("basis") != wanted.get("basis"):
        return True
    for key in ("startP50", "startP90", "finishP50", "finishP90"):
        before, after = parse_time(shown.get(key)), parse_time(wanted.get(key))
        if before is None or after is None:
            return True
        ahead = max(0.0, (after - now).total_seconds())
        if abs((after - before).total_seconds()) > max(MOVE_SECONDS, MOVE_SHARE * ahead):
            return True
    return False

