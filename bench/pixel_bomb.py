"""Benchmark: the memory a thumbnail request costs the web worker, for a normal image and for
pixel bombs (a 729 KiB PNG that decodes to 768 MB, lying TIFF/PNG headers).

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.pixel_bomb [--quick] [--json FILE]
        [--workdir DIR] [--unprotected]

Each case runs in a fresh Python process that imports the web app's thumbnail maker
(results.preview.render, what GET /projects/<p>/thumbnail/<path> runs after opening the file by
handle), opens the image, takes its RSS (psutil), makes the thumbnail, and reports its peak RSS
(getrusage ru_maxrss): the rise is peak − RSS before. Target for a refused bomb: < 50 MB.
See bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.figures import table
from bench.output import write_json

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.images import (  # noqa: E402
    write_lying_tiff,
    write_png_bomb,
    write_png_with_big_chunk,
    write_webp_with_tail,
)

DEFAULT_MAX_PIXELS = 50 * 10**6  # THUMBNAIL_MAX_MEGAPIXELS' default
TARGET_MB = 50.0
DEFAULT_MEMORY = 320 * 2**20  # THUMBNAIL_MAX_MEMORY's default
_WORKER = """
import json, os, resource, sys
sys.path.insert(0, {web!r})
import psutil
from results.contained import render_contained
from results.preview import NotAnImage, render
path, max_pixels, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as handle:
    before = psutil.Process().memory_info().rss
    try:
        made = (render_contained(handle, max_pixels, memory_bytes=memory) if memory
                else render(handle, max_pixels))
        outcome = "thumbnail of %d bytes" % len(made)
    except NotAnImage as error:
        outcome = "refused: %s: %s" % (type(error).__name__, str(error)[:80])
# VmHWM: this process image's peak RSS (ru_maxrss would carry the forking parent's over exec)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({{"before": before, "peak": peak, "child": child, "outcome": outcome}}))
"""


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "normal"; "bomb" (refused from its header); "heavy" (costly to parse at all)
    file_bytes: int
    claimed: str  # width×height from the header
    max_pixels: int
    memory: int  # the decoding child's limit; 0: decoded in the worker itself (as before #7)


@dataclass
class Result:
    case: str
    kind: str
    file_kib: float
    claimed: str
    max_megapixels: float
    outcome: str
    rss_before_mb: float
    peak_rise_mb: float  # the worker's own peak RSS − its RSS before
    child_peak_rise_mb: float | None  # the decoding child's peak RSS − the worker's RSS before
    target_met: bool | None  # bombs and heavy files: the worker's rise < TARGET_MB


def write_noise_png(path: Path, width: int, height: int) -> Path:
    """A photo-like (incompressible) RGB PNG."""
    from PIL import Image

    noise = random.Random(7).randbytes(width * height * 3)
    Image.frombytes("RGB", (width, height), noise).save(path)
    return path


def make_cases(workdir: Path, quick: bool, unprotected: bool) -> list[tuple[Case, Path]]:
    level = 1 if quick else 9
    heavy = (64 if quick else 300) * 2**20
    made: list[tuple[Case, Path]] = []

    def add(name: str, kind: str, path: Path, claimed: str, *, memory: int = DEFAULT_MEMORY,
            max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        made.append((Case(name, kind, path.stat().st_size, claimed, max_pixels, memory), path))

    add("normal 1000x1000 RGB PNG", "normal",
        write_noise_png(workdir / "normal.png", 1000, 1000), "1000×1000")
    if not quick:
        add("largest allowed 7000x7000 RGB PNG (49 MP)", "normal",
            write_png_bomb(workdir / "largest.png", 7000, 7000, "RGB"), "7000×7000")
    bomb = write_png_bomb(workdir / "bomb.png", 16000, 16000, "RGB", level=level)
    add("pixel bomb: 16000x16000 RGB PNG", "bomb", bomb, "16000×16000")
    add("pixel bomb: 10000x5001 RGB PNG (just over the limit)", "bomb",
        write_png_bomb(workdir / "over.png", 10000, 5001, "RGB", level=level), "10000×5001")
    add("lying TIFF header: 16000x16000", "bomb",
        write_lying_tiff(workdir / "lying.tif", 16000, 16000), "16000×16000")
    chunk = write_png_with_big_chunk(workdir / "chunk.png", heavy)
    add(f"8x8 PNG with a {heavy >> 20} MiB ancillary chunk", "heavy", chunk, "8×8")
    tail = write_webp_with_tail(workdir / "tail.webp", heavy)
    add(f"8x8 WebP with {heavy >> 20} MiB after it", "heavy", tail, "8×8")
    if unprotected:
        add("pixel bomb, limit off, in the worker (as before #7)", "unprotected", bomb,
            "16000×16000", memory=0, max_pixels=10**12)
        add(f"PNG with a {heavy >> 20} MiB chunk, in the worker", "unprotected", chunk, "8×8",
            memory=0)
    return made


def measure(case: Case, path: Path) -> Result:
    worker = _WORKER.format(web=str(REPO / "web"))
    done = subprocess.run(
        [sys.executable, "-c", worker, str(path), str(case.max_pixels), str(case.memory)],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{case.name}: the worker failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    rise = max(0, figures["peak"] - figures["before"]) / 2**20
    child = max(0, figures["child"] - figures["before"]) / 2**20 if case.memory else None
    return Result(
        case=case.name, kind=case.kind, file_kib=round(case.file_bytes / 1024, 1),
        claimed=case.claimed, max_megapixels=case.max_pixels / 10**6,
        outcome=figures["outcome"], rss_before_mb=round(figures["before"] / 2**20, 1),
        peak_rise_mb=round(rise, 1),
        child_peak_rise_mb=None if child is None else round(child, 1),
        target_met=(rise < TARGET_MB) if case.kind in ("bomb", "heavy") else None,
    )


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the 49 MP image; compress the bombs fast (~10 s)")
    parser.add_argument("--unprotected", action="store_true",
                        help="also decode the bomb in the worker with the limit off (~1 GB!)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--workdir", type=Path, help="keep the images here")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pixel-bomb-") as scratch:
        workdir = options.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        results = [measure(case, path)
                   for case, path in make_cases(workdir, options.quick, options.unprotected)]
    print(f"Thumbnail memory (fresh worker process per case; target for bombs and heavy files: "
          f"worker peak RSS rise < {TARGET_MB:.0f} MB)\n")
    print(table(["case", "file KiB", "claims", "outcome", "worker RSS before MB",
                 "worker peak rise MB", "decoder child peak rise MB", "target"],
                [[r.case, r.file_kib, r.claimed, r.outcome[:60], r.rss_before_mb,
                  r.peak_rise_mb, r.child_peak_rise_mb,
                  {True: "met", False: "MISSED", None: "-"}[r.target_met]]
                 for r in results]))
    write_json(options.json, [asdict(r) for r in results])
    return results


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
