"""The soak's short version (bench/soak.py runs the full one: `make soak`): two real operator
replicas SIGKILLed at random, API faults throughout (500, 429 Retry-After, seconds of latency,
dropped watches, 410 Expired and a 3 s watch history), runs cancelled while running; then every
run is final and right, each Succeeded run had one Job, and the double's record of pipeline
processes never shows more alive than the limit (grace periods included) nor two in one
project folder. No timing is asserted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.soak import report
from bench.soak_driver import SoakSettings, soak
from bench.soak_plan import Mix
from tests.fixtures.apiserver import DATA_CLAIM, REPO, audited_apiserver, node_images
from tests.fixtures.operator import KscCluster

SHORT = SoakSettings(runs=8, limits=(1, 2), kills=2, seed=8, fault_every=1.0,
                     mix=Mix(sleeps=(0.0, 0.3, 0.8, 1.5), cancel_share=0.3),
                     phase_timeout=150.0, settle_seconds=60.0)


@pytest.fixture
def apiserver(request: pytest.FixtureRequest, chart_accounts_file: Path, tmp_path: Path,
              data_root: Path, crd_dir: Path) -> Iterator[Any]:
    """The usual double, its watch history compacted after 3 s (a watch gap ends in 410)."""
    with audited_apiserver(request, chart_accounts_file, tmp_path, crd_dir=crd_dir,
                           volumes={DATA_CLAIM: data_root}, job_env={"PYTHONPATH": str(REPO)},
                           images=node_images(), watch_history_seconds=3.0) as handle:
        yield handle


@pytest.mark.timeout(600)
def test_a_short_soak_ends_every_run_right_once_and_never_over_the_limit(
        operator_factory, ksc: KscCluster, apiserver: Any, pipeline_script: Path) -> None:
    results = soak(ksc, apiserver, operator_factory, pipeline_script, SHORT)
    print(report(results))
    assert [result.limit for result in results] == [1, 2]
    assert sum(result.kills for result in results) >= 4
    assert all(result.cancels_sent and result.faults for result in results)
    assert [problem for result in results for problem in result.problems()] == []
