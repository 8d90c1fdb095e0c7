"""bench.estimates in --quick mode: a tiny replay prints its figures and writes them as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.estimates import main


def test_a_tiny_replay_prints_errors_coverage_and_compute_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures_file = tmp_path / "estimates.json"
    figures = main(["--quick", "--json", str(figures_file)])

    printed = capsys.readouterr().out
    assert "Replayed queues (40 arrivals each" in printed
    assert "estimate_entries for 100 queued runs" in printed
    assert json.loads(figures_file.read_text()) == figures
    assert [replay["slots"] for replay in figures["replays"]] == [2, 3, 4]
    for replay in figures["replays"]:
        assert 0 < replay["waited"] <= replay["arrivals"] == 40
        estimated = replay["waited"] - replay["unknown"]
        assert estimated > 0 and replay["median_abs_error_min"] >= 0
        for key in ("start_p50", "start_p90", "finish_p50", "finish_p90"):
            assert 0 <= replay[f"coverage_{key}"] <= 1
        assert replay["coverage_start_p50"] <= replay["coverage_start_p90"]
    assert [(c["queued"], c["slots"]) for c in figures["compute"]] == [(100, 2), (100, 4)]
    assert all(c["p50_ms"] > 0 for c in figures["compute"])
