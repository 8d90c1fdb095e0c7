"""What the transfer benchmark measures beside a transfer: the disk's own write speed (`dd`),
the gunicorn workers' resident memory (sampled), and a project page fetched meanwhile."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import psutil

from bench.figures import percentile
from bench.web_client import session_with

# "2147483648 bytes (2.1 GB, 2.0 GiB) copied, 3.21 s, 669 MB/s" (GNU coreutils dd, LANG=C).
DD_LINE = re.compile(r"^(?P<bytes>\d+) bytes .*copied, (?P<seconds>[\d.]+) s, (?P<rate>.+)$",
                     re.MULTILINE)
PAGE_TIMEOUT_S = 30.0


def dd_write(folder: Path, size_mb: int) -> dict[str, Any]:
    """`dd` of `size_mb` MiB of zeros into folder/dd.bin with fdatasync (the data reaches the
    disk before dd reports), then the file is removed. MB/s is 10**6 bytes a second, as dd's."""
    target = folder / "dd.bin"
    try:
        done = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={size_mb}",
                               "conv=fdatasync"], capture_output=True, text=True, check=False,
                              env={"LANG": "C", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    finally:
        target.unlink(missing_ok=True)
    found = DD_LINE.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"dd failed (exit {done.returncode}): {done.stderr.strip()}")
    written, seconds = int(found["bytes"]), float(found["seconds"])
    return {"bytes": written, "seconds": seconds, "mb_per_s": round(written / seconds / 1e6, 1),
            "dd_says": found.group(0)}


def deflate_rate(size: int, level: int = 1) -> float:
    """MB/s of zlib deflating `size` random bytes at `level` in this process (one core): the
    most a zip deflated at that level can stream, whatever the disk and network."""
    data = os.urandom(size)
    started = time.perf_counter()
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    for start in range(0, size, 2**20):
        compressor.compress(data[start:start + 2**20])
    compressor.flush()
    return round(size / (time.perf_counter() - started) / 1e6, 1)


def filesystem_of(folder: Path) -> dict[str, str]:
    """The device and mount point holding `folder` (df)."""
    done = subprocess.run(["df", "-P", str(folder)], capture_output=True, text=True, check=True)
    device, *_, mounted_on = done.stdout.splitlines()[-1].split()
    return {"device": device, "mounted_on": mounted_on}


def status_kb(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB$", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def kb_to_mb(kb: int) -> float:
    return round(kb * 1024 / 1e6, 1)


class Background:
    """A thread that runs `_work` while the `with` block runs; `_work` loops until
    `_stopping` is set."""

    name = "probe"

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)

    def _work(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Background:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join()


class RssSampler(Background):
    """Every `interval` seconds, each live worker (child of the gunicorn master) has its VmRSS
    read; the peak per worker is kept, and each one's VmHWM is read at the end. A worker that
    appears later (restarted) is sampled too."""

    name = "rss sampler"

    def __init__(self, master_pid: int, interval: float = 0.05) -> None:
        super().__init__()
        self._master = psutil.Process(master_pid)
        self._interval = interval
        self._peaks_kb: dict[int, int] = {}
        self._samples = 0

    def _workers(self) -> list[int]:
        try:
            return [child.pid for child in self._master.children()]
        except psutil.Error:
            return []

    def _work(self) -> None:
        while not self._stopping.is_set():
            for pid in self._workers():
                rss = status_kb(pid, "VmRSS")
                if rss is not None:
                    self._peaks_kb[pid] = max(rss, self._peaks_kb.get(pid, 0))
            self._samples += 1
            self._stopping.wait(self._interval)

    def figures(self) -> dict[str, Any]:
        """Peaks in MB (10**6 bytes) by worker pid; call after the `with` block."""
        hwm = {pid: status_kb(pid, "VmHWM") for pid in self._peaks_kb}
        peaks = {str(pid): kb_to_mb(kb) for pid, kb in sorted(self._peaks_kb.items())}
        return {"samples": self._samples, "interval_s": self._interval,
                "peak_mb_by_worker": peaks,
                "peak_mb": max(peaks.values()) if peaks else None,
                "hwm_mb_by_worker": {str(pid): kb_to_mb(kb) if kb is not None else None
                                     for pid, kb in sorted(hwm.items())}}


def page_summary(seconds: list[float], statuses: list[int | str]) -> dict[str, Any]:
    good = [took for took, status in zip(seconds, statuses) if status == 200]
    return {"views": len(statuses), "errors": len(statuses) - len(good),
            "p50_ms": round(percentile(good, 50) * 1000, 1) if good else None,
            "p95_ms": round(percentile(good, 95) * 1000, 1) if good else None,
            "max_ms": round(max(good) * 1000, 1) if good else None,
            "first_error": next((status for status in statuses if status != 200), None)}


class PageProbe(Background):
    """Another signed-in client fetching one page every `interval` seconds (start to start)
    while the `with` block runs; each view's time and status (or error) is kept."""

    name = "page probe"

    def __init__(self, url: str, cookies: dict[str, str], interval: float = 0.5) -> None:
        super().__init__()
        self._url, self._cookies, self._interval = url, cookies, interval
        self.seconds: list[float] = []
        self.statuses: list[int | str] = []

    def _work(self) -> None:
        with session_with(self._cookies) as session:
            while not self._stopping.is_set():
                started = time.perf_counter()
                view_once(session, self._url, self.seconds, self.statuses)
                self._stopping.wait(max(0.0, self._interval - (time.perf_counter() - started)))

    def figures(self) -> dict[str, Any]:
        return page_summary(self.seconds, self.statuses)


def view_once(session: Any, url: str, seconds: list[float], statuses: list[int | str]) -> None:
    """One GET of the page: its time and status, or the error's name (timeout, reset)."""
    started = time.perf_counter()
    try:
        answer = session.get(url, allow_redirects=False, timeout=PAGE_TIMEOUT_S)
        answer.content  # noqa: B018 -- the whole page counts
        statuses.append(answer.status_code)
    except OSError as error:  # requests' errors are OSErrors
        statuses.append(type(error).__name__)
    seconds.append(time.perf_counter() - started)


def idle_page(url: str, cookies: dict[str, str], views: int, interval: float = 0.5
              ) -> dict[str, Any]:
    """The page `views` times, `interval` apart, with nothing else going on."""
    seconds: list[float] = []
    statuses: list[int | str] = []
    with session_with(cookies) as session:
        for _ in range(views):
            started = time.perf_counter()
            view_once(session, url, seconds, statuses)
            time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return page_summary(seconds, statuses)
