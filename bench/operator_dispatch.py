"""Benchmark: how fast the operator turns PipelineRuns into Jobs, and whether that cost grows
with the number of runs in the namespace.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.operator_dispatch [--runs N] [--quick]

See bench/README.md for what each figure means."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.figures import latency_summary, median_ms, rate, ratio, table
from bench.harness import (
    REPO,
    Moments,
    OperatorProcess,
    Watches,
    WriteCounter,
    double,
    running_operator,
)
from bench.output import scratch, write_json
from kubedouble.testing import ApiServerHandle

sys.path.insert(0, str(REPO / "operator"))  # the operator's status builders, for background runs

from kubeshowcase_operator.status import Outcome, finished_status, now_utc  # noqa: E402
from kubeshowcase_operator.views import RunView  # noqa: E402
from tests.fixtures.operator import GROUP, TEST_PIPELINE, VERSION, KscCluster  # noqa: E402

PROJECT = "bench/queue"
PIPELINE = "instant"
BACKGROUND_WORKERS = 4
STARTUP_TIMEOUT = 900.0  # seconds; the operator reads every run before it dispatches one
LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
SUCCEEDED = Outcome("Succeeded", "Succeeded", "written by the benchmark as history")


@dataclass(frozen=True)
class Plan:
    finished: tuple[int, ...]  # Succeeded runs already in the namespace, one scenario each
    latency_runs: int
    throughput_runs: int
    waiting: int  # queued runs behind the measured ones, in the largest scenario
    max_concurrent_runs: str = "1"


FULL = Plan(finished=(0, 1000, 5000), latency_runs=200, throughput_runs=300, waiting=2000)
QUICK = Plan(finished=(0, 30), latency_runs=5, throughput_runs=8, waiting=15)


@dataclass
class Result:
    scenario: str
    finished: int
    waiting: int
    runs: int
    latency: dict[str, float] | None = None  # created -> Job ADDED, client-side
    runs_per_second: float | None = None  # first Succeeded to last, serial queue
    startup_s: float | None = None  # operator launched -> its first run Succeeded
    startup_cpu_s: float | None = None  # the operator's CPU seconds until then
    # Where a serial run's time goes (medians, as the watches saw it): previous run Succeeded ->
    # this run's Job ADDED (the operator starts it), Job ADDED -> Job Complete (the double's Job
    # runner and the pipeline process), Job Complete -> run Succeeded (the operator finishes it).
    start_p50_ms: float | None = None
    job_p50_ms: float | None = None
    finish_p50_ms: float | None = None
    operator_cpu_ms_per_run: float = 0.0
    api_writes_per_run: float = 0.0
    writes_by_kind_per_run: dict[str, float] = field(default_factory=dict)


class Bench:
    """One scenario: a fresh double holding `finished` Succeeded runs, and the operator on it."""

    def __init__(self, ksc: KscCluster, watches: Watches, counter: WriteCounter,
                 operator: OperatorProcess, workdir: Path) -> None:
        self.ksc, self.watches, self.counter = ksc, watches, counter
        self.operator, self.workdir = operator, workdir

    @contextlib.contextmanager
    def costs(self, runs: int, own_writes: int, into: Result) -> Iterator[None]:
        """Operator CPU and API writes over the block, per run (minus the benchmark's writes)."""
        cpu, writes = self.operator.cpu_seconds, self.counter.snapshot()
        yield
        cpu, writes = self.operator.cpu_seconds - cpu, self.counter.snapshot() - writes
        writes["POST pipelineruns"] -= own_writes
        into.operator_cpu_ms_per_run = round(cpu * 1000 / runs, 2)
        into.api_writes_per_run = round(sum(writes.values()) / runs, 2)
        into.writes_by_kind_per_run = {kind: round(count / runs, 2)
                                       for kind, count in sorted(writes.items()) if count}

    def wait(self, moments: Moments, names: list[str], timeout: float, what: str) -> list[float]:
        return moments.wait_for(names, timeout, what, check=self.require_watching)

    def require_watching(self) -> None:
        """Give up at once when no answer can come: the operator or a watch is gone."""
        if self.watches.failures:
            raise RuntimeError(f"a watch broke: {self.watches.failures[0]!r}")
        if self.operator.process.poll() is not None:
            raise RuntimeError(f"the operator exited with {self.operator.process.returncode}:\n"
                               f"{self.operator.log_tail()}")

    def start_up(self, scenario: str, finished: int, started: float) -> Result:
        """From the operator's launch to its first run Succeeded: it must take in every run in
        the namespace before it dispatches anything."""
        result = Result(scenario, finished, 0, 1)
        self.ksc.create_run("first", pipeline=PIPELINE, project=PROJECT)
        [done] = self.wait(self.watches.runs_finished, ["first"], STARTUP_TIMEOUT,
                           "the operator's first run to finish")
        self.require_succeeded(["first"])
        result.startup_s = round(done - started, 2)
        result.startup_cpu_s = round(self.operator.cpu_seconds, 2)
        return result

    def require_succeeded(self, names: list[str]) -> None:
        failed = [name for name in names if self.watches.phases.get(name) != "Succeeded"]
        if failed:
            raise RuntimeError(f"{len(failed)} run(s) did not succeed, e.g. {failed[0]} "
                               f"({self.watches.phases.get(failed[0])}); operator log:\n"
                               f"{self.operator.log_tail()}")

    def latency(self, scenario: str, finished: int, runs: int) -> Result:
        """Runs created one at a time on an idle queue, each finishing before the next."""
        result = Result(scenario, finished, 0, runs)
        names = [f"lat-{index:05d}" for index in range(runs)]
        delays: list[float] = []
        with self.costs(runs, own_writes=runs, into=result):
            for name in names:
                self.ksc.create_run(name, pipeline=PIPELINE, project=PROJECT)
                returned = time.monotonic()
                [added] = self.wait(self.watches.jobs_added, [name], 60, f"the Job of {name}")
                delays.append(added - returned)
                self.wait(self.watches.runs_finished, [name], 60, f"run {name} to finish")
        self.require_succeeded(names)
        result.latency = latency_summary(delays)
        return result

    def throughput(self, scenario: str, finished: int, runs: int, waiting: int,
                   prefix: str) -> Result:
        """`runs` instant runs (then `waiting` more) queued behind a held run, then released
        together: the serial queue's pace from the first Succeeded to the last."""
        result = Result(scenario, finished, waiting, runs)
        release = self.workdir / f"release-{prefix}"
        gate = f"{prefix}-gate"
        self.ksc.create_run(gate, pipeline=PIPELINE, project=PROJECT,
                            args={"hold_file": str(release)})
        self.wait(self.watches.jobs_added, [gate], 60, "the gate run to start")
        names = [f"{prefix}-run-{index:05d}" for index in range(runs)]
        # "wait" sorts after "run": in the same creationTimestamp second too, they queue last.
        behind = [f"{prefix}-wait-{index:05d}" for index in range(waiting)]
        for name in names + behind:
            self.ksc.create_run(name, pipeline=PIPELINE, project=PROJECT)
        self.wait(self.watches.runs_queued, names + behind, 120 + len(behind) / 10,
                  "the burst to be Queued")
        time.sleep(1.0)  # let the queue-position rewrites of the burst settle
        with self.costs(runs, own_writes=0, into=result):
            release.touch()
            moments = self.wait(self.watches.runs_finished, names, 120 + runs, "the burst")
        self.require_succeeded(names)
        result.runs_per_second = round(rate(moments), 1)
        added = self.wait(self.watches.jobs_added, names, 10, "the burst's Jobs")
        complete = self.wait(self.watches.jobs_finished, names, 10, "the burst's Jobs to finish")
        result.start_p50_ms = median_ms(added[1:], moments[:-1])
        result.job_p50_ms = median_ms(complete, added)
        result.finish_p50_ms = median_ms(moments, complete)
        return result


def create_history(handle: ApiServerHandle, data_root: Path, count: int) -> None:
    """`count` Succeeded runs written straight through the API (spec, then /status)."""
    from kubernetes import client

    local = threading.local()
    clients: list[Any] = []

    def one(index: int) -> None:
        if not hasattr(local, "ksc"):  # the kubernetes client is not shared across threads
            clients.append(handle.api_client())
            local.ksc = KscCluster(clients[-1], handle.namespace, data_root)
            local.custom = client.CustomObjectsApi(clients[-1])
        body = local.ksc.create_run(f"done-{index:05d}", pipeline=PIPELINE, project=PROJECT)
        now = now_utc()
        local.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, handle.namespace, "pipelineruns", body["metadata"]["name"],
            finished_status(RunView.from_body(body), SUCCEEDED, now, None, now))

    try:
        with ThreadPoolExecutor(BACKGROUND_WORKERS) as pool:
            list(pool.map(one, range(count)))
    finally:
        for api_client in clients:
            api_client.close()


def scenario(plan: Plan, finished: int, waiting: int, root: Path) -> list[Result]:
    workdir = root / f"finished-{finished}"
    workdir.mkdir(parents=True)
    label = f"{finished} finished"
    results: list[Result] = []
    with double(workdir) as (handle, data_root):
        counter = WriteCounter()
        handle.faults.add(counter)
        watches = Watches(handle)
        watches.start()
        client = handle.api_client()
        try:
            ksc = KscCluster(client, handle.namespace, data_root)
            ksc.project(PROJECT)
            script = workdir / "instant_pipeline.py"
            script.write_text(TEST_PIPELINE)
            # -I -S: the pipeline needs only the standard library; skip site's start-up cost.
            ksc.create_pipeline(PIPELINE, command=[sys.executable, "-I", "-S", str(script)])
            started = time.monotonic()
            create_history(handle, data_root, finished)
            history = time.monotonic() - started
            if finished:
                print(f"  {label}: wrote {finished} Succeeded runs in {history:.1f}s",
                      flush=True)
            launched = time.monotonic()
            with running_operator(handle, data_root, workdir,
                                  MAX_CONCURRENT_RUNS=plan.max_concurrent_runs) as operator:
                bench = Bench(ksc, watches, counter, operator, workdir)
                results.append(bench.start_up(label, finished, launched))
                print(f"  {label}: first run Succeeded {results[-1].startup_s}s after the "
                      f"operator's launch ({results[-1].startup_cpu_s} CPU s)", flush=True)
                results.append(bench.latency(label, finished, plan.latency_runs))
                print(f"  {label}: latency {results[-1].latency}", flush=True)
                results.append(bench.throughput(label, finished, plan.throughput_runs, 0,
                                                "tp"))
                print(f"  {label}: {results[-1].runs_per_second} runs/s", flush=True)
                if waiting:
                    results.append(bench.throughput(f"{label} + {waiting} queued", finished,
                                                    plan.throughput_runs, waiting, "tq"))
                    print(f"  {label} + {waiting} queued: {results[-1].runs_per_second} runs/s",
                          flush=True)
        finally:
            watches.stop()
            client.close()
    return results


def report(results: list[Result]) -> str:
    timed = [(r, r.latency) for r in results if r.latency is not None]
    base_p99 = timed[0][1]["p99_ms"] if timed else None
    base_rate = next(r for r in results if r.runs_per_second is not None)
    latency_rows = [
        [r.scenario, r.runs, *(latency[key] for key in LATENCY_KEYS), r.operator_cpu_ms_per_run,
         r.api_writes_per_run, ratio(latency["p99_ms"], base_p99)]
        for r, latency in timed]
    rate_rows = [
        [r.scenario, r.runs, r.runs_per_second, r.start_p50_ms, r.job_p50_ms, r.finish_p50_ms,
         r.operator_cpu_ms_per_run, r.api_writes_per_run,
         ratio(r.runs_per_second, base_rate.runs_per_second),
         ratio(r.operator_cpu_ms_per_run, base_rate.operator_cpu_ms_per_run)]
        for r in results if r.runs_per_second is not None]
    startup_rows = [[r.scenario, r.startup_s, r.startup_cpu_s] for r in results
                    if r.startup_s is not None]
    return "\n".join([
        "Operator start-up (launch -> first run Succeeded)",
        table(["namespace", "seconds", "operator CPU s"], startup_rows),
        "",
        "Created -> Job ADDED (idle queue, one run at a time; target p99 < 250 ms)",
        table(["namespace", "runs", "p50 ms", "p95 ms", "p99 ms", "max ms",
               "operator CPU ms/run", "API writes/run", "p99 vs first"], latency_rows),
        "",
        "Serial queue throughput (MAX_CONCURRENT_RUNS=1, instant runs; target >= 20 runs/s)",
        table(["namespace", "runs", "runs/s", "start p50 ms", "Job p50 ms", "finish p50 ms",
               "operator CPU ms/run", "API writes/run",
               "runs/s vs first", "CPU/run vs first"], rate_rows),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.operator_dispatch",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts: checks the benchmark works, measures nothing")
    parser.add_argument("--runs", type=int, help="runs per latency and throughput measurement")
    parser.add_argument("--finished", help="comma-separated Succeeded-run counts, one "
                                           "scenario each (default 0,1000,5000)")
    parser.add_argument("--waiting", type=int,
                        help="queued runs behind the measured ones, largest scenario only")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workdir", type=Path,
                        help="scratch folder (default: a temporary one, removed afterwards)")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL
    if options.runs is not None:
        if options.runs < 2:
            parser.error("--runs must be at least 2")
        plan = Plan(plan.finished, options.runs, options.runs, plan.waiting)
    if options.finished:
        try:
            counts = tuple(int(part) for part in options.finished.split(","))
        except ValueError:
            parser.error(f"--finished must be comma-separated integers, got {options.finished!r}")
        if any(count < 0 for count in counts):
            parser.error("--finished counts must not be negative")
        plan = Plan(counts, plan.latency_runs, plan.throughput_runs, plan.waiting)
    if options.waiting is not None:
        if options.waiting < 0:
            parser.error("--waiting must not be negative")
        plan = Plan(plan.finished, plan.latency_runs, plan.throughput_runs, options.waiting)

    print(f"operator dispatch benchmark: {plan}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start", flush=True)
    results: list[Result] = []
    with scratch(options.workdir, "bench-dispatch-") as root:
        for finished in plan.finished:
            waiting = plan.waiting if finished == max(plan.finished) else 0
            results += scenario(plan, finished, waiting, root)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (other work on this machine "
          "skews every figure)")
    print(report(results))
    write_json(options.json, [asdict(r) for r in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
