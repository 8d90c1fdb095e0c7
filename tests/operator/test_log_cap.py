"""Pod logs are streamed to the project with a cap (LOG_MAX_BYTES): cut logs say so, and the
operator's memory stays flat whatever the log's size."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.fixtures.operator import KscCluster

HOSTILE = Path(__file__).with_name("hostile_pipeline.py")
MiB = 1024 * 1024


def printed(run: str, total: int) -> bytes:
    """What hostile_pipeline.py prints for `print_bytes=total`."""
    line = b"x" * 1023 + b"\n"
    return (f"hostile pipeline started for {run}\n".encode() + line * (total // len(line))
            + b"hostile pipeline planted 0 things\n")


def test_a_log_over_the_cap_is_cut_with_a_line_saying_so(
        operator_factory: Any, ksc: KscCluster) -> None:
    project = ksc.project("alice/cells")
    ksc.create_pipeline("hostile", command=[sys.executable, str(HOSTILE)])
    operator_factory(LOG_MAX_BYTES="5000")
    ksc.create_run("chatty-1", pipeline="hostile", args={"print_bytes": 64 * 1024})
    status = ksc.wait_phase("chatty-1", "Succeeded", "Failed", timeout=60)
    assert status["phase"] == "Succeeded", status
    saved = (project / status["logFile"]).read_bytes()
    assert saved == (printed("chatty-1", 64 * 1024)[:5000]
                     + b"\n[kubeshowcase] log truncated at 5000 bytes\n")


def test_a_log_under_the_cap_is_kept_whole(operator_factory: Any, ksc: KscCluster) -> None:
    project = ksc.project("alice/cells")
    ksc.create_pipeline("hostile", command=[sys.executable, str(HOSTILE)])
    operator_factory(LOG_MAX_BYTES="1048576")
    ksc.create_run("quiet-1", pipeline="hostile", args={"print_bytes": 10 * 1024})
    status = ksc.wait_phase("quiet-1", "Succeeded", "Failed", timeout=60)
    assert (project / status["logFile"]).read_bytes() == printed("quiet-1", 10 * 1024)


@pytest.fixture
def container_log_max_bytes() -> int:
    # A node whose kubelet keeps 128 MiB per container (containerLogMaxSize: 128Mi): with the
    # default 10Mi only the newest 10 MiB of a 64 MiB log are left for the operator to read.
    return 128 * MiB


class PeakRss:
    """The highest resident set size of a process, sampled every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def test_saving_a_large_log_keeps_the_operators_memory_flat(
        operator_factory: Any, ksc: KscCluster) -> None:
    project = ksc.project("alice/cells")
    ksc.create_pipeline("hostile", command=[sys.executable, str(HOSTILE)])
    operator = operator_factory(LOG_MAX_BYTES=str(48 * MiB))
    ksc.create_run("warm-1", pipeline="hostile", args={})  # imports and caches warmed up
    ksc.wait_phase("warm-1", "Succeeded", timeout=60)
    baseline = psutil.Process(operator.process.pid).memory_info().rss
    peak = PeakRss(operator.process.pid)
    ksc.create_run("big-1", pipeline="hostile", args={"print_bytes": 64 * MiB})
    status = ksc.wait_phase("big-1", "Succeeded", "Failed", timeout=120)
    rise = peak.stop() - baseline
    print(f"operator RSS rise while saving a 64 MiB log capped at 48 MiB: {rise / MiB:.1f} MiB")
    assert status["phase"] == "Succeeded", status
    log = project / status["logFile"]
    ending = b"\n[kubeshowcase] log truncated at 50331648 bytes\n"  # cut inside a line
    assert log.stat().st_size == 48 * MiB + len(ending)
    with log.open("rb") as handle:
        handle.seek(48 * MiB - 4)
        assert handle.read() == b"xxxx" + ending
    # Holding the log (or its chunks) whole would cost at least 48 MiB.
    assert rise < 24 * MiB, f"{rise / MiB:.1f} MiB"
