"""bench.pixel_bomb runs end to end in --quick mode and prints well-formed figures.

No thresholds on memory here: the benchmark prints whether the target was met; this test checks
that it measured what it says (a thumbnail for the normal image, a refusal for every bomb)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_pixel_bomb_quick_prints_and_writes_figures(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    env = {**os.environ, "PATH": os.pathsep.join([str(REPO / ".venv" / "bin"),
                                                  os.environ.get("PATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "bench.pixel_bomb", "--quick", "--json", str(figures),
         "--workdir", str(tmp_path / "images")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Thumbnail memory" in done.stdout and "| case |" in done.stdout
    results = json.loads(figures.read_text())
    assert [r["kind"] for r in results] == ["normal", "bomb", "bomb", "bomb", "heavy", "heavy"]
    assert results[0]["outcome"].startswith("thumbnail of ")
    assert results[0]["target_met"] is None
    for result in results[1:4]:
        assert result["outcome"].startswith("refused: TooLarge"), result
    for result in results[1:]:
        assert isinstance(result["target_met"], bool)
    for result in results:
        assert result["rss_before_mb"] > 0 and result["peak_rise_mb"] >= 0
        assert result["child_peak_rise_mb"] >= 0  # every case decodes in a child
    assert results[1]["claimed"] == "16000×16000"
    assert "8x8 PNG with a 64 MiB ancillary chunk" in done.stdout
