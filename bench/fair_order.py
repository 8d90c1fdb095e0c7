"""Benchmark: the cost of the queue's fair order (operator fairness.py) at 1,000+ queued runs,
made from scratch, read from the model's cache, and made again after one run joins the queue.

    .venv/bin/python -m bench.fair_order [--runs N] [--owners K] [--quick] [--json FILE]

In process, no API server: it measures the pure function and the model's caching of it."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.figures import table
from bench.harness import REPO
from bench.output import write_json

sys.path.insert(0, str(REPO / "operator"))

from kubeshowcase_operator.fairness import FIFO, ROUND_ROBIN  # noqa: E402
from kubeshowcase_operator.model import Model  # noqa: E402
from kubeshowcase_operator.views import RunView  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def run_view(index: int, owner: str) -> RunView:
    return RunView.from_body({
        "metadata": {"name": f"run-{index:05d}", "uid": f"uid-{index}", "resourceVersion": "1",
                     "creationTimestamp": (T0 + timedelta(seconds=index)).isoformat()},
        "spec": {"pipeline": "p", "owner": owner, "project": f"{owner}/p",
                 "priority": 5 if index % 50 == 0 else 0},
        "status": {"phase": "Queued"}})


def model_with(runs: int, owners: int, policy: str) -> Model:
    model = Model(policy)
    for index in range(runs):
        # One heavy user with half the queue, the rest spread over the other owners.
        owner = "heavy" if index % 2 else f"user-{(index // 2) % owners}"
        model.put_run(run_view(index, owner))
    return model


def median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def measure(runs: int, owners: int, policy: str, repeats: int) -> dict[str, object]:
    model = model_with(runs, owners, policy)
    next_index = [runs]

    def from_scratch() -> None:
        model._order = None  # noqa: SLF001 (what any change to the queue does)
        model.queue_order()

    def one_joins() -> None:
        model.put_run(run_view(next_index[0], "late"))
        next_index[0] += 1
        model.queue_order()

    model.queue_order()
    return {"policy": policy, "queued": runs, "owners": owners + 1,
            "from_scratch_ms": median_ms(from_scratch, repeats),
            "cached_read_ms": median_ms(model.queue_order, repeats),
            "one_joins_ms": median_ms(one_joins, repeats)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fair_order", description=__doc__)
    parser.add_argument("--runs", type=int, default=1000, help="queued runs (default 1000)")
    parser.add_argument("--owners", type=int, default=20, help="owners besides the heavy one")
    parser.add_argument("--quick", action="store_true", help="few repeats (the smoke test)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)
    if options.runs < 1 or options.owners < 1:
        parser.error("--runs and --owners must be at least 1")
    repeats = 3 if options.quick else 30
    sizes = [options.runs] if options.quick else [options.runs, options.runs * 10]
    figures = [measure(size, options.owners, policy, repeats)
               for size in sizes for policy in (ROUND_ROBIN, FIFO)]
    keys = list(figures[0])
    print(table(keys, [[row[key] for key in keys] for row in figures]))
    write_json(options.json, {"benchmark": "fair_order", "repeats": repeats, "results": figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
