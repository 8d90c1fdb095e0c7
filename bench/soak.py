"""Soak: hundreds of PipelineRuns through two operator replicas SIGKILLed at random, with the
API double failing (500, 429 Retry-After), slowing (seconds), cutting and expiring (410) its
answers throughout and some runs cancelled while running; then every run is checked against
the double's own record of Jobs and pipeline processes.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.soak        # make soak: 200 + 200 runs
    # options: --runs N (per limit) --limits 1,3 --kills N (per limit) --seed N --json FILE
    #          --workdir DIR (keep the operators' logs)

Exits 1 when an invariant breaks (the figures say which). See bench/README.md."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.figures import table
from bench.harness import double, running_operator
from bench.soak_driver import PhaseFigures, SoakSettings, soak
from tests.fixtures.operator import TEST_PIPELINE, KscCluster

WATCH_HISTORY_SECONDS = 5.0  # the double compacts after 5 s: every watch gap ends in 410
COLUMNS = ("limit", "runs", "seconds", "kills", "leader_kills", "cancels_sent", "fault_rules",
           "lost", "wrong", "doubled", "succeeded_without_one_job", "most_alive",
           "crowded_starts", "crowded_beside_cancelled", "most_in_one_folder",
           "shared_folder_starts", "shared_beside_cancelled", "unreaped")


def report(results: list[PhaseFigures]) -> str:
    rows = [[getattr(result, column) for column in COLUMNS] for result in results]
    lines = [table(list(COLUMNS), rows), ""]
    for result in results:
        faults = ", ".join(f"{kind} {count}" for kind, count in result.faults.items())
        phases = ", ".join(f"{phase} {count}" for phase, count in result.phases.items())
        lines += [f"limit {result.limit}: phases {phases}", f"  faults injected: {faults}"]
        lines += [f"  e.g. {example}" for example in result.examples]
    problems = [problem for result in results for problem in result.problems()]
    lines.append("INVARIANTS BROKEN:\n  " + "\n  ".join(problems) if problems
                 else "every invariant held")
    return "\n".join(lines)


@contextlib.contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    folder = Path(tempfile.mkdtemp(prefix="ksc-soak-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(settings: SoakSettings, workdir: Path) -> tuple[list[PhaseFigures], list[str]]:
    """The phases' figures, and every request of the operator's account the double denied."""
    with double(workdir, WATCH_HISTORY_SECONDS) as (handle, data_root), \
            contextlib.ExitStack() as operators:
        def launch(**env: str) -> Any:
            return operators.enter_context(running_operator(
                handle, data_root, workdir, log_name=f"{env['POD_NAME']}.log", **env))
        script = workdir / "test_pipeline.py"
        script.write_text(TEST_PIPELINE)
        client = handle.api_client()
        try:
            results = soak(KscCluster(client, handle.namespace, data_root), handle, launch,
                           script, settings)
        finally:
            client.close()
        operators.close()  # stopped: their last requests are in the record
        denied = [f"{d.user} {d.verb} {d.resource}{'/' + d.subresource if d.subresource else ''}"
                  for d in handle.decisions.denied()]
        return results, denied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per limit")
    parser.add_argument("--limits", default="1,3", help="MAX_CONCURRENT_RUNS, one phase each")
    parser.add_argument("--kills", type=int, default=12, help="SIGKILLs per limit")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--workdir", type=Path, help="keep the operators' logs here")
    options = parser.parse_args(argv)
    settings = SoakSettings(runs=options.runs, kills=options.kills, seed=options.seed,
                            limits=tuple(int(part) for part in options.limits.split(",")))
    with workspace(options.workdir) as workdir:
        results, denied = run(settings, workdir)
    print(report(results))
    for denial in denied:
        print(f"denied by the chart's RBAC: {denial}")
    if options.json:
        options.json.write_text(json.dumps(
            {"settings": {"runs": settings.runs, "limits": settings.limits,
                          "kills": settings.kills, "seed": settings.seed},
             "phases": [result.as_json() for result in results], "denied": denied},
            indent=2, default=str))
    return 1 if denied or any(result.problems() for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
