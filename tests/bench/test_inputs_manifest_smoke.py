"""bench.inputs_manifest runs in --quick mode and writes its figures (speed is never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.inputs_manifest import main


def test_the_inputs_bench_prints_and_writes_its_figures(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    main(["--quick", "--repeat", "2", "--json", str(tmp_path / "out.json"),
          "--workdir", str(tmp_path / "work")])
    figures = json.loads((tmp_path / "out.json").read_text())["inputs_manifest"]
    assert [(case["files"], case["hashed"]) for case in figures] == [(200, 200), (4, 4)]
    assert all(case["p50_ms"] > 0 for case in figures)
    assert "200 files of" in capsys.readouterr().out
