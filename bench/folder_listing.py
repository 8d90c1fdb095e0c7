"""Benchmark: the volume work of one page of a big folder (list names, sort, stat one page).

    .venv/bin/python -m bench.folder_listing [--json FILE] [--repeat N]

A folder page lists every name without stat (scandir's d_type), sorts folders first by name,
and stats only the 200 entries it shows (projects.storage.sorted_names, Dir.entry). This times
that part for folders of 10,000 and 100,000 empty files, first and last page. It is not the HTTP
page (templates, database, middleware): the Locust benchmarks time those. The issue's target for
the whole first page of 10,000 files is p50 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import latency_summary
from bench.output import write_json

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "web"))
PAGE = 200  # projects.views.browse.PAGE_SIZE


def fill(folder: Path, files: int) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for number in range(files):
            os.close(os.open(f"f{number:06d}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


def one_page(folder: Path, page: int) -> int:
    from projects.safefs import open_root
    from projects.storage import sorted_names

    with open_root(folder) as opened:
        names = sorted_names(opened)[page * PAGE:(page + 1) * PAGE]
        return len([entry for name, _ in names if (entry := opened.entry(name)) is not None])


def measure(files: int, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ksc-bench-folder-") as scratch:
        folder = Path(scratch)
        fill(folder, files)
        figures: dict[str, object] = {"files": files}
        for label, page in (("first_page", 0), ("last_page", files // PAGE - 1)):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                assert one_page(folder, page) == PAGE
                times.append(time.perf_counter() - started)
            figures[label] = latency_summary(times)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    results = [measure(files, options.repeat) for files in (10_000, 100_000)]
    for result in results:
        print(f"{result['files']:>7} files: first page {result['first_page']}, "
              f"last page {result['last_page']}")
    write_json(options.json, {"folder_listing": results})


if __name__ == "__main__":
    main()
