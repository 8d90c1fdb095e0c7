"""Benchmark: the inputs manifest a run submission makes in its request (runs.inputs.collect).

    .venv/bin/python -m bench.inputs_manifest [--json FILE] [--repeat N] [--quick] [--workdir D]

Times the manifest of a project of 10,000 small files (4 KiB: the entry cap, every file hashed)
and of one at the hash budget (4 files of 64 MiB = RUN_INPUTS_HASH_BUDGET's 256 MiB, each at
RUN_INPUTS_HASH_FILE_MAX), with the default bounds. The second is what a submission may cost at
most in hashing; its files are read from the page cache after the first repeat. --quick: 200
files and 4 of 1 MiB, for the smoke test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench.figures import latency_summary
from bench.output import scratch, write_json

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "web"))
MiB = 2**20


def fill(folder: Path, files: int, size: int) -> None:
    """`files` files of `size` random bytes, spread over up to 100 sub-folders."""
    block = os.urandom(min(size, MiB))
    for number in range(files):
        sub = folder / f"sub{number % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        with open(sub / f"f{number:06d}.bin", "wb") as handle:
            left = size
            while left > 0:
                handle.write(block[:left])
                left -= len(block)


def measure(folder: Path, files: int, size: int, repeat: int) -> dict[str, object]:
    from projects.safefs import open_root
    from runs.inputs import Bounds, collect

    fill(folder, files, size)
    times, hashed = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        with open_root(folder) as project:
            manifest = collect(project, {}, Bounds())
        times.append(time.perf_counter() - started)
        assert len(manifest.files) == files and manifest.complete
        hashed = sum(1 for item in manifest.files if "sha256" in item)
    return {"files": files, "file_bytes": size, "hashed": hashed,
            "hashed_mib": round(hashed * size / MiB, 1), **latency_summary(times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workdir", type=Path)
    options = parser.parse_args(argv)
    cases = [(200, 4096), (4, MiB)] if options.quick else [(10_000, 4096), (4, 64 * MiB)]
    results = []
    with scratch(options.workdir, "ksc-bench-inputs-") as folder:
        for number, (files, size) in enumerate(cases):
            results.append(measure(folder / f"case{number}", files, size, options.repeat))
    for result in results:
        print(f"{result['files']:>6} files of {result['file_bytes']:>9} B "
              f"({result['hashed_mib']} MiB hashed): p50 {result['p50_ms']} ms, "
              f"max {result['max_ms']} ms")
    write_json(options.json, {"inputs_manifest": results})


if __name__ == "__main__":
    main()
