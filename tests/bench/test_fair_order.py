"""bench.fair_order runs in --quick mode and writes well-formed figures (never asserted fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.fair_order import main


def test_it_prints_and_writes_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--runs", "200", "--json", str(tmp_path / "fair.json")]) == 0
    figures = json.loads((tmp_path / "fair.json").read_text())
    assert [row["policy"] for row in figures["results"]] == ["RoundRobin", "FIFO"]
    for row in figures["results"]:
        assert row["queued"] == 200 and row["owners"] == 21
        assert all(row[key] >= 0 for key in ("from_scratch_ms", "cached_read_ms", "one_joins_ms"))
    assert "from_scratch_ms" in capsys.readouterr().out


def test_it_refuses_bad_options() -> None:
    with pytest.raises(SystemExit):
        main(["--runs", "0"])
