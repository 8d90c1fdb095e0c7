"""The runs-at-scale benchmark runs end to end on a small namespace and writes every figure.

No thresholds: the machine is shared and noisy, so speed is reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.runs_at_scale import PAGES, main
from tests.bench.test_bench_smoke import processes_using, venv_env

REPO = Path(__file__).resolve().parents[2]


def assert_latency(latency: dict[str, float]) -> None:
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]


def test_runs_at_scale_small_prints_and_writes_every_figure(tmp_path: Path) -> None:
    figures, workdir = tmp_path / "figures.json", tmp_path / "work"
    done = subprocess.run(
        [sys.executable, "-m", "bench.runs_at_scale", "--runs", "200", "--owners", "30",
         "--seconds", "5", "--folder-files", "300", "--lag-seconds", "3", "--json", str(figures),
         "--workdir", str(workdir)],
        cwd=REPO, env=venv_env(), capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    assert "Pages under Locust" in done.stdout and "Archive lag" in done.stdout
    assert processes_using(workdir) == []
    results = json.loads(figures.read_text())
    small, large = results["scenarios"]
    # 1 run in 10 queued, the rest Succeeded, in the API and in the archive alike.
    assert small["in_api"] == small["in_archive"] == {"Queued": 2, "Succeeded": 18}
    assert large["in_api"] == large["in_archive"] == {"Queued": 20, "Succeeded": 180}
    for scenario in (small, large):
        served = scenario["api_requests"]
        # Every page is either served and measured, or named as skipped with the reason.
        assert sorted([*served, *scenario["skipped_pages"]]) == sorted(page for page, *_ in PAGES)
        assert {"queue", "queue refresh", "project"} <= set(served)
        for page, counted in served.items():
            assert set(counted["statuses"]) <= {200, 304}, (page, counted)
            assert counted["per_view"] == pytest.approx(sum(counted["by_kind_per_view"].values()),
                                                        abs=0.05)
            assert counted["list_or_watch_per_view"] <= counted["per_view"]
            seen = scenario["pages"][page]
            assert seen["views"] > 0 and seen["errors"] == 0, (page, seen)
            assert_latency(seen["latency"])
        for why in scenario["skipped_pages"].values():
            assert why.startswith("skipped: no URL named ")
        assert len(scenario["worker_rss_mb"]) == 2  # the chart's two gthread workers
        assert scenario["worker_rss_total_mb"] == pytest.approx(sum(scenario["worker_rss_mb"]),
                                                                abs=0.2)
    assert results["rss_ratio"] > 0
    folder = results["folder"]
    assert folder["files"] == 300 and folder["statuses"] == [200]
    assert 0 < folder["p50_ms"] <= folder["p99_ms"]
    lag = results["archive_lag"]
    if lag["skipped"]:
        assert lag["skipped"] in ("skipped: no watch_runs command",
                                  "skipped: the chart has no watcher account")
    else:  # 19 queued runs (one more is the probe) x 2 changes each, at most rate x seconds
        assert lag["changes"] == 38 and lag["rows_seen"] == lag["changes"]
        assert_latency(lag["lag"])


@pytest.mark.parametrize("argv, message", [
    (["--runs", "10"], "--runs must be at least 20"),
    (["--users", "0"], "--users must be between 1 and --owners"),
    (["--owners", "5", "--users", "6"], "--users must be between 1 and --owners"),
    (["--seconds", "0"], "--seconds and --lag-rate must be positive"),
    (["--folder-files", "-1"], "--folder-files must not be negative"),
])
def test_runs_at_scale_refuses_bad_options(argv: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
