"""The upload-bombs benchmark runs in --quick mode, refuses every bomb and writes its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.upload_bombs import CASES, TARGET_MB, main

REPO = Path(__file__).resolve().parents[2]


def test_upload_bombs_quick_prints_and_writes_figures(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.upload_bombs", "--quick", "--json", str(figures)],
        cwd=REPO, capture_output=True, text=True, timeout=240)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "| case | input |" in done.stdout
    results = {result["case"]: result for result in json.loads(figures.read_text())}
    assert list(results) == [case.name for case in CASES]
    for case in CASES:
        result = results[case.name]
        assert result["peak_mb"] > 0 and result["seconds"] >= 0
        if case.reference:
            assert result["outcome"].startswith("zipfile parsed 40000 entries")
        elif case.bomb:
            assert result["outcome"].startswith("refused: "), result
            # Far from the line (a refused bomb costs about 1 MB), so not a flaky threshold.
            assert result["peak_rise_mb"] < TARGET_MB
            assert result["verdict"] == "met"
        else:
            assert result["outcome"].startswith("unpacked "), result


def test_upload_bombs_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--repeat", "0"])
    assert stopped.value.code == 2
    assert "--repeat must be at least 1" in capsys.readouterr().err
