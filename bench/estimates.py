"""How right the run-start estimates are on a replayed queue, and what they cost to compute.

Seeded synthetic arrivals (Poisson, about 90 % load) of three pipelines with different
duration distributions go through the operator's dispatch rule (bench/queue_replay.py) with
2, 3 and 4 slots. At each arrival that has to wait, the estimate the operator would publish
is recorded (its picture then: the runs going and their start times, the queue ahead, the last
50 finished durations of each pipeline); the replay says what actually happened. Pure and
in-process: no servers.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.estimates [--json FILE] [--quick]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.figures import latency_summary, table
from bench.output import write_json
from bench.queue_replay import Arrival, Outcome, Sampler, lognormal, replay
from kubeshowcase_operator.estimates import Running, Waiting, estimate_entries
from kubeshowcase_operator.views import parse_time

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# name: (median seconds, log-normal sigma, share of arrivals)
PIPELINES = {"nuclei": (240.0, 0.35, 0.5), "segment": (600.0, 0.6, 0.3),
             "track": (1500.0, 0.8, 0.2)}
LOAD = 0.9
KEEP = 50  # the operator's RecentDurations.KEEP


def arrivals(count: int, slots: int, seed: int) -> list[Arrival]:
    rng = random.Random(seed)
    samplers: dict[str, Sampler] = {name: lognormal(median, sigma)
                                    for name, (median, sigma, _) in PIPELINES.items()}
    mean = sum(share * median * math.exp(sigma ** 2 / 2)
               for median, sigma, share in PIPELINES.values())
    rate = LOAD * slots / mean
    names, shares = list(PIPELINES), [share for *_, share in PIPELINES.values()]
    moment, made = 0.0, []
    for number in range(count):
        moment += rng.expovariate(rate)
        pipeline = rng.choices(names, shares)[0]
        made.append(Arrival(f"run-{number:05d}", pipeline, moment, samplers[pipeline](rng)))
    return made


def picture(runs: list[Arrival], truth: dict[str, Outcome], upto: int
            ) -> tuple[list[Running], list[Waiting], dict[str, list[float]]]:
    """What the operator knows when runs[upto] arrives: the runs going, the queue ahead of it
    (and it) in order, and the last KEEP finished durations of each pipeline."""
    now = runs[upto].at
    going, waiting = [], []
    finished: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for run in runs[:upto + 1]:
        outcome = truth[run.name]
        if outcome.finish <= now:
            finished[run.pipeline].append((outcome.finish, run.duration))
        elif outcome.start <= now:
            going.append(Running(run.pipeline, EPOCH + timedelta(seconds=outcome.start)))
        else:
            waiting.append(Waiting(run.name, run.pipeline))
    samples = {pipeline: [duration for _, duration in sorted(done)[-KEEP:]]
               for pipeline, done in finished.items()}
    return going, waiting, samples


def replayed(count: int, slots: int, seed: int) -> dict[str, Any]:
    runs = arrivals(count, slots, seed)
    truth = replay(runs, slots)
    errors, relative, waits = [], [], []
    under = {"start_p50": 0, "start_p90": 0, "finish_p50": 0, "finish_p90": 0}
    unknown = 0
    for index, run in enumerate(runs):
        actual = truth[run.name]
        if actual.start <= run.at:
            continue  # started at once: nothing to estimate
        going, waiting, samples = picture(runs, truth, index)
        now = EPOCH + timedelta(seconds=run.at)
        entry = estimate_entries(now, slots, going, waiting, samples)[run.name]
        if "unknown" in entry:
            unknown += 1
            continue
        at = {key: (parse_time(entry[key]) - EPOCH).total_seconds()  # type: ignore[operator]
              for key in ("startP50", "startP90", "finishP50", "finishP90")}
        wait = actual.start - run.at
        errors.append(abs(at["startP50"] - actual.start))
        relative.append(abs(at["startP50"] - actual.start) / wait)
        waits.append(wait)
        under["start_p50"] += actual.start <= at["startP50"] + 1
        under["start_p90"] += actual.start <= at["startP90"] + 1
        under["finish_p50"] += actual.finish <= at["finishP50"] + 1
        under["finish_p90"] += actual.finish <= at["finishP90"] + 1
    estimated = len(errors)
    return {
        "slots": slots, "arrivals": count, "waited": estimated + unknown, "unknown": unknown,
        "median_wait_min": round(statistics.median(waits) / 60, 2) if waits else None,
        "median_abs_error_min": round(statistics.median(errors) / 60, 2) if errors else None,
        "median_relative_error": round(statistics.median(relative), 3) if relative else None,
        **{f"coverage_{key}": round(count / estimated, 3) if estimated else None
           for key, count in under.items()},
    }


def compute_seconds(queued: int, slots: int, repeats: int) -> list[float]:
    """estimate_entries for `queued` runs of the three pipelines behind `slots` going ones."""
    rng = random.Random(7)
    samples = {name: [lognormal(median, sigma)(rng) for _ in range(KEEP)]
               for name, (median, sigma, _) in PIPELINES.items()}
    names = list(PIPELINES)
    going = [Running(names[n % 3], EPOCH - timedelta(seconds=60 * n)) for n in range(slots)]
    waiting = [Waiting(f"run-{n}", names[n % 3]) for n in range(queued)]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        estimate_entries(EPOCH, slots, going, waiting, samples)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.estimates")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a tiny replay: checks it works")
    parser.add_argument("--arrivals", type=int, default=600, help="arrivals per replay")
    parser.add_argument("--seed", type=int, default=12)
    options = parser.parse_args(argv)
    count = 40 if options.quick else options.arrivals
    replays = [replayed(count, slots, options.seed + slots) for slots in (2, 3, 4)]
    print(f"Replayed queues ({count} arrivals each, load {LOAD:.0%}; estimates of the runs "
          "that had to wait, made as they arrived):")
    print(table(["slots", "waited", "unknown", "median wait min", "median |error| p50 min",
                 "median relative error", "≤ start p50", "≤ start p90", "≤ finish p50",
                 "≤ finish p90"],
                [[r["slots"], r["waited"], r["unknown"], r["median_wait_min"],
                  r["median_abs_error_min"], r["median_relative_error"],
                  r["coverage_start_p50"], r["coverage_start_p90"], r["coverage_finish_p50"],
                  r["coverage_finish_p90"]] for r in replays]))
    queued = 100 if options.quick else 1000
    compute = []
    for slots in (2, 4):
        summary = latency_summary(compute_seconds(queued, slots, 3 if options.quick else 20))
        compute.append({"queued": queued, "slots": slots, **summary})
    print(f"\nestimate_entries for {queued} queued runs (one process, pure Python):")
    print(table(["slots", "p50 ms", "p95 ms", "max ms"],
                [[c["slots"], c["p50_ms"], c["p95_ms"], c["max_ms"]] for c in compute]))
    figures = {"replays": replays, "compute": compute}
    write_json(options.json, figures)
    return figures


if __name__ == "__main__":
    main()
