"""bench.deepzoom runs end to end in --quick mode and prints and writes well-formed figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_deepzoom_quick_prints_and_writes_figures(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.deepzoom", "--quick", "--side", "2048", "--json",
         str(figures), "--workdir", str(tmp_path / "images")],
        cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Deep-zoom tiles of a 2048×2048 RGB PNG" in done.stdout and "| level |" in done.stdout
    found = json.loads(figures.read_text())
    assert [image["image"].split()[1] for image in found["images"]] == ["PNG", "tiled"]
    pyramid = found["png_pyramid"]
    assert "from its cached pyramid" in done.stdout and pyramid["build"]["seconds"] > 0
    assert pyramid["build"]["peak_rss_mb"] > 0 and pyramid["build"]["pyramid_mb"] > 0
    for image in [*found["images"], pyramid]:
        assert image["peak_rss_mb"] >= image["rss_before_mb"] > 0
        assert [level["level"] for level in image["levels"]] == [0, 7, 8, 9, 10, 11]
        for level in image["levels"]:
            assert level["tiles"] == 3 and 0 < level["p50_ms"] <= level["p99_ms"]
