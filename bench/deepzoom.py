"""Benchmark: deep-zoom tiles of a big generated image: latency per level and the peak memory.

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.deepzoom [--quick] [--side N]
        [--json FILE] [--workdir DIR]

Makes a SIDE×SIDE RGB PNG (16384 by default: 768 MB once decoded) with libvips, then in a fresh
Python process renders tiles with the web app's own code (deepzoom.tiles, what
GET /projects/<p>/dzi/<path>_files/<level>/<col>_<row>.jpeg runs after opening the file by
handle): for each measured level, tiles spread over it, the first one making the overview of
the low levels. It reports each level's p50/p99 and the process's peak RSS (VmHWM), against
what decoding the whole image would take. The PNG is then converted once into its cached
pyramid (deepzoom.tiffcache, in a process of its own: the build's time and peak RSS) and the
same tiles measured again from it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.figures import latency_summary, table
from bench.output import scratch, write_json

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SIDE = 16384
TILES_PER_LEVEL = 12
_WORKER = """
import json, os, sys, time
sys.path.insert(0, {web!r})
from deepzoom import tiles
def high_water_mb():  # VmHWM: this program's own peak (ru_maxrss keeps a forking parent's)
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
path, wanted, cache = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
times, built_s = {{}}, None
with open(path, "rb", buffering=0) as handle:
    header = tiles.read_header(handle, 10**12)
    version = str(os.fstat(handle.fileno()).st_mtime_ns)
    before_mb = high_water_mb()
    pages = None
    if cache:
        from deepzoom import tiffcache
        from projects.safefs import open_root
        key = tiffcache.key_of(os.fstat(handle.fileno()))
        with open_root(cache) as folder:
            if wanted:
                pages = tiffcache.open_pages(folder, key, header)
                assert pages is not None
            else:
                start = time.perf_counter()
                assert tiffcache.build(handle.fileno(), header, folder, key, 2**40) == "built"
                built_s = time.perf_counter() - start
    for level, col, row in wanted:
        start = time.perf_counter()
        data = tiles.render_tile(handle, header, version, level, col, row, pages)
        times.setdefault(str(level), []).append(time.perf_counter() - start)
        assert data[:3] == b"\\xff\\xd8\\xff", data[:8]
print(json.dumps({{"times": times, "before_mb": before_mb, "peak_mb": high_water_mb(),
                  "built_s": built_s}}))
"""


def make_image(path: Path, side: int, *, block: int = 1) -> None:
    """An RGB image of side² pixels (a PNG, or a deflated 256² tiled TIFF for `.tif`), written
    by libvips a strip at a time. block=1 changes every pixel (hard to compress: slow to decode,
    as a noisy micrograph is); a larger block makes flat squares (fast to write and read)."""
    import pyvips

    xy = pyvips.Image.xyz(side, side)
    red, green = (xy[0] // block % 256).cast("uchar"), (xy[1] // block % 256).cast("uchar")
    blue = ((xy[0] + xy[1]) // (64 * block) % 256).cast("uchar")
    image = red.bandjoin([green, blue]).copy(interpretation="srgb")
    if path.suffix == ".tif":
        image.tiffsave(str(path), tile=True, tile_width=256, tile_height=256,
                       compression="deflate", bigtiff=True)
    else:
        image.pngsave(str(path), compression=1)


def tiles_to_measure(side: int, levels: list[int], per_level: int, seed: int = 7
                     ) -> list[tuple[int, int, int]]:
    """(level, col, row): per level, its last tile (the far corner: the most rows to decode)
    and others at random."""
    sys.path.insert(0, str(REPO / "web"))
    from deepzoom.levels import Pyramid

    pyramid, chosen = Pyramid(side, side), []
    pick = random.Random(seed)
    for level in levels:
        columns, rows = pyramid.tiles(level)
        chosen.append((level, columns - 1, rows - 1))
        chosen += [(level, pick.randrange(columns), pick.randrange(rows))
                   for _ in range(per_level - 1)]
    return chosen


def measure(image: Path, wanted: list[tuple[int, int, int]], cache: Path | None = None
            ) -> dict[str, Any]:
    """Render the tiles in a fresh process: {"times": {level: [s]}, "before_mb", "peak_mb"};
    from the image's pyramid in `cache` if given. No tiles and a cache: build the pyramid
    ("built_s")."""
    done = subprocess.run(
        [sys.executable, "-c", _WORKER.format(web=str(REPO / "web")), str(image),
         json.dumps(wanted), str(cache or "")], capture_output=True, text=True, timeout=900,
        check=False)
    if done.returncode:
        raise RuntimeError(f"the tile worker failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def report(found: dict[str, Any], side: int, levels: list[int], what: str) -> dict[str, Any]:
    """Print one image's figures as a table; return them for the JSON."""
    from deepzoom.levels import Pyramid

    whole_mb = side * side * 3 / 2**20
    rows, figures = [], {"image": what, "decoded_whole_mb": round(whole_mb, 1),
                         "peak_rss_mb": round(found["peak_mb"], 1),
                         "rss_before_mb": round(found["before_mb"], 1), "levels": []}
    for level in levels:
        times = found["times"][str(level)]
        size = Pyramid(side, side).size(level)
        entry = {"level": level, "size": f"{size[0]}×{size[1]}", "tiles": len(times),
                 "first_ms": round(times[0] * 1000, 1), **latency_summary(times)}
        figures["levels"].append(entry)
        rows.append([level, entry["size"], len(times), entry["first_ms"], entry["p50_ms"],
                     entry["p99_ms"]])
    print(f"Deep-zoom tiles of a {side}×{side} {what} ({whole_mb:,.0f} MB decoded whole)")
    print(table(["level", "level size", "tiles", "first ms", "p50 ms", "p99 ms"], rows))
    print(f"peak RSS of the tile process: {found['peak_mb']:.0f} MB "
          f"({found['before_mb']:.0f} MB before the first tile)\n")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 4096² image, 3 tiles a level")
    parser.add_argument("--side", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args(argv)
    side = options.side or (4096 if options.quick else DEFAULT_SIDE)
    per_level = 3 if options.quick else TILES_PER_LEVEL
    sys.path.insert(0, str(REPO / "web"))
    from deepzoom.levels import Pyramid
    from deepzoom.tiles import OVERVIEW_SIDE

    top = Pyramid(side, side).max_level
    levels = [level for level in (top - 11, top - 4, top - 3, top - 2, top - 1, top)
              if level >= 0]
    results, wanted = [], tiles_to_measure(side, levels, per_level)
    with scratch(options.workdir, "bench-deepzoom-") as folder:
        for suffix, what in ((".png", "RGB PNG"), (".tif", "RGB tiled TIFF (deflate, 256²)")):
            image = folder / f"big-{side}{suffix}"
            if not image.exists():
                make_image(image, side)
            results.append(report(measure(image, wanted), side, levels, what))
        cache = folder / f"pyramids-{side}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()
        built = measure(folder / f"big-{side}.png", [], cache)
        build = {"seconds": round(built["built_s"], 2), "peak_rss_mb": round(built["peak_mb"], 1),
                 "pyramid_mb": round(sum(item.stat().st_size for item in cache.iterdir())
                                     / 2**20, 1)}
        print(f"Its cached pyramid (deepzoom.tiffcache), built once: {build['seconds']} s, "
              f"peak RSS {build['peak_rss_mb']:.0f} MB, {build['pyramid_mb']} MB on disk\n")
        from_cache = report(measure(folder / f"big-{side}.png", wanted, cache), side, levels,
                            "RGB PNG from its cached pyramid")
    figures = {"side": side, "overview_side": OVERVIEW_SIDE, "images": results,
               "png_pyramid": {"build": build, **from_cache}}
    write_json(options.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
