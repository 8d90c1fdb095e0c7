"""The transfer benchmark runs end to end on 16 MiB: the tus upload lands byte for byte, the zip
lists every file as written, and every figure is in its JSON.

No thresholds: the machine is shared and noisy, so speed is reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from bench.transfers import DOWNLOAD_FOLDER, UPLOAD_NAME, main, sha256_of, zip_listing
from tests.bench.test_bench_smoke import processes_using, venv_env

REPO = Path(__file__).resolve().parents[2]
SIZE_MB = 16


def assert_transfer_figures(figures: dict, size: int) -> None:
    assert figures["bytes"] >= size and figures["seconds"] > 0
    # seconds are printed to 0.01 s: mb_per_s (from the unrounded time) lies within its bounds.
    slowest = figures["bytes"] / (figures["seconds"] + 0.005) / 1e6
    fastest = figures["bytes"] / max(figures["seconds"] - 0.005, 1e-9) / 1e6
    assert slowest * 0.99 <= figures["mb_per_s"] <= fastest * 1.01
    assert figures["ratio_to_dd"] > 0
    assert isinstance(figures["throughput_goal_met"], bool)
    rss = figures["rss"]
    assert rss["samples"] > 0
    assert len(rss["peak_mb_by_worker"]) == 2  # the chart's two gthread workers
    assert rss["peak_mb"] == max(rss["peak_mb_by_worker"].values()) > 10
    for pid, hwm in rss["hwm_mb_by_worker"].items():
        # The kernel's RSS counters are per-CPU caches summed on read: a sample may pass
        # VmHWM by a little, never by much.
        assert hwm >= 0.9 * rss["peak_mb_by_worker"][pid]
    assert isinstance(figures["rss_goal_met"], bool)
    # A stored zip of 16 MiB costs the client next to nothing (0.0 s at this rounding).
    assert figures["workers_cpu_s"] >= 0 and figures["client_cpu_s"] >= 0
    for page in (figures["page_idle"], figures["page_during"]):
        assert page["views"] >= 1 and page["errors"] == 0 and page["first_error"] is None
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]


def test_transfers_small_lands_the_upload_and_lists_the_zip(tmp_path: Path) -> None:
    figures, workdir = tmp_path / "figures.json", tmp_path / "work"
    done = subprocess.run(
        [sys.executable, "-m", "bench.transfers", "--size-mb", str(SIZE_MB), "--chunk-mb", "4",
         "--file-mb", "5", "--idle-views", "3", "--json", str(figures),
         "--workdir", str(workdir)],
        cwd=REPO, env=venv_env(), capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    assert "| transfer | MB |" in done.stdout and "load average" in done.stdout
    assert processes_using(workdir) == []
    results = json.loads(figures.read_text())
    size = SIZE_MB * 2**20
    assert results["failures"] == []
    assert results["dd"]["bytes"] == size and results["dd"]["mb_per_s"] > 0
    assert not (workdir / "data" / "dd.bin").exists()
    assert results["deflate_level1_mb_per_s"] > 0
    assert len(results["load_average_start"]) == len(results["load_average_end"]) == 3

    sent = results["upload"]
    assert sent["skipped"] is None and sent["error"] is None
    assert_transfer_figures(sent, size)
    assert sent["workers_cpu_s"] > 0  # the upload's bytes pass through the workers
    assert sent["patches"] == 4  # 16 MiB in 4 MiB PATCHes
    assert sent["outcome"]["state"] == "landed"
    assert sent["outcome"]["offset"] == sent["outcome"]["length"] == size
    assert sent["outcome"]["paths"] == [UPLOAD_NAME]
    # The landed file is the source, byte for byte (hashed here, not by the benchmark).
    landed = workdir / "data" / sent["landed_path"]
    assert sha256_of(landed) == sha256_of(workdir / "upload-source.bin") \
        == sent["source_sha256"] == sent["landed_sha256"]

    got = results["download"]
    assert got["status"] == 200
    assert_transfer_figures(got, size)
    # 16 MiB in files of 5 MiB: 4 files, every one listed with the size and CRC written.
    assert got["files"] == got["entries_listed"] == 4 and got["file_bytes"] == size
    assert got["entries_match"] is True and got["listing_error"] is None
    folder = workdir / "data" / Path(sent["landed_path"]).parent / DOWNLOAD_FOLDER
    assert got["listed"] == {
        f"{DOWNLOAD_FOLDER}/{written.name}": {"size": written.stat().st_size,
                                             "crc": zlib.crc32(written.read_bytes())}
        for written in folder.iterdir()}


def test_zip_listing_reads_the_directory_from_the_tail_alone(tmp_path: Path) -> None:
    import io
    import zipfile

    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(3):
            archive.writestr(f"set/file-{index}.bin", bytes([index]) * 300_000)
    whole = body.getvalue()

    listed = zip_listing(whole[-2000:])  # the members' bytes are not there

    assert listed == {f"set/file-{index}.bin": {"size": 300_000,
                                                "crc": zlib.crc32(bytes([index]) * 300_000)}
                      for index in range(3)}


@pytest.mark.parametrize("argv", [["--size-mb", "0"], ["--chunk-mb", "0"], ["--file-mb", "0"],
                                  ["--idle-views", "0"]])
def test_transfers_refuses_bad_options(argv: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
