"""The pyramid cache itself (deepzoom.tiffcache), with real libvips and real files: its tiles,
its key, its lock, how it treats a broken pyramid, and its eviction."""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import pyvips
from PIL import Image

from deepzoom import tiffcache, tiles
from deepzoom.levels import Pyramid
from projects.safefs import Dir, open_root

NOISY = (5001, 301)  # deep shrunk levels (2501 > OVERVIEW_SIDE) and odd edges, 1.5 megapixels


@pytest.fixture(scope="module")
def noisy_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A noisy RGB PNG (hard for JPEG, as a micrograph is), every band its own noise."""
    path = tmp_path_factory.mktemp("noisy") / "noisy.png"
    bands = [pyvips.Image.gaussnoise(*NOISY, sigma=50, mean=128, seed=seed).cast("uchar")
             for seed in (1, 2, 3)]
    bands[0].bandjoin(bands[1:]).copy(interpretation="srgb").pngsave(str(path), compression=1)
    return path


def noisy_png(noisy_source: Path, path: Path) -> Path:
    shutil.copyfile(noisy_source, path)
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Dir]:
    (tmp_path / "cache").mkdir()
    with open_root(tmp_path / "cache") as folder:
        yield folder


def opened(path: Path) -> tuple[io.FileIO, tiles.Header, str]:
    handle = open(path, "rb", buffering=0)
    return handle, tiles.read_header(handle, 10**9), tiffcache.key_of(os.fstat(handle.fileno()))


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as tile:
        return np.asarray(tile.convert("RGB")).astype(int)


def test_tiles_from_the_pyramid_match_the_slow_ones(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        assert tiffcache.wanted(header)
        assert tiffcache.build(handle.fileno(), header, cache, key, 2**30) == "built"
        pages = tiffcache.open_pages(cache, key, header)
        assert pages is not None and pages.count >= 3
        pyramid, top = Pyramid(*NOISY), Pyramid(*NOISY).max_level
        for level in (top, top - 1, top - 2, 4):
            columns, rows = pyramid.tiles(level)
            for col, row in {(0, 0), (columns // 2, rows // 2), (columns - 1, rows - 1)}:
                tiles._overviews.clear()  # each path makes its own overview
                slow = tiles.render_tile(handle, header, f"slow-{key}", level, col, row)
                fast = tiles.render_tile(handle, header, f"fast-{key}", level, col, row, pages)
                if level == top:  # page 0 holds the very pixels: the same JPEG
                    assert fast == slow, (level, col, row)
                    continue
                # A page is the 2×2 mean of the one above, each rounded: pixels ±1 before the
                # JPEG, which on noise moves more, but not on average.
                difference = np.abs(pixels(fast) - pixels(slow))
                assert pixels(fast).shape == pixels(slow).shape
                assert difference.mean() < 2.5, (level, col, row, difference.mean())
        pages.close()


def test_a_pyramid_not_of_its_source_is_removed_as_absent(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        pyvips.Image.black(64, 64).tiffsave(str(tmp_path / "cache" / f"{key}.tif"), tile=True)
        assert tiffcache.open_pages(cache, key, header) is None
        assert not cache.exists(f"{key}.tif")
        (tmp_path / "cache" / f"{key}.tif").write_bytes(b"II*\x00 not a TIFF at all")
        assert tiffcache.open_pages(cache, key, header) is None
        assert not cache.exists(f"{key}.tif")
        os.symlink(tmp_path / "noisy.png", tmp_path / "cache" / f"{key}.tif")
        assert tiffcache.open_pages(cache, key, header) is None  # never followed
        assert not cache.exists(f"{key}.tif") and (tmp_path / "noisy.png").exists()


def test_a_damaged_page_fails_the_tile_as_broken_pages(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        assert tiffcache.build(handle.fileno(), header, cache, key, 2**30) == "built"
        pyramid_file = tmp_path / "cache" / f"{key}.tif"
        size = pyramid_file.stat().st_size
        with open(pyramid_file, "r+b") as damaged:  # page 0's tiles, not the directories
            damaged.seek(size // 8)
            damaged.write(bytes(size // 4))
        pages = tiffcache.open_pages(cache, key, header)
        assert pages is not None  # its header still reads
        top = Pyramid(*NOISY).max_level
        with pytest.raises(tiles.BrokenPages):
            for col in range(Pyramid(*NOISY).tiles(top)[0]):
                tiles.render_tile(handle, header, key, top, col, 0, pages)
        pages.close()


def test_one_build_of_a_key_at_a_time(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        with tiffcache.build_lock(cache, key) as held:
            assert held
            assert tiffcache.build(handle.fileno(), header, cache, key, 2**30) == "busy"
        assert not cache.exists(f"{key}.lock")  # the holder removes it
        start, outcomes = threading.Barrier(2), []

        def build() -> None:
            with open(tmp_path / "noisy.png", "rb", buffering=0) as own:
                start.wait()
                outcomes.append(tiffcache.build(own.fileno(), header, cache, key, 2**30))

        racers = [threading.Thread(target=build) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert sorted(outcomes) in (["built", "busy"], ["built", "present"])
        assert sorted(name for name in os.listdir(tmp_path / "cache")) == [f"{key}.tif"]


def test_a_source_changed_during_its_build_is_not_cached(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        os.utime(tmp_path / "noisy.png", ns=(1, 1))  # as a pipeline writing it would
        assert tiffcache.key_of(os.fstat(handle.fileno())) != key
        assert tiffcache.build(handle.fileno(), header, cache, key, 2**30) == "changed"
        assert os.listdir(tmp_path / "cache") == []


def test_a_pyramid_larger_than_the_bound_is_never_built(tmp_path: Path, cache: Dir,
        noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    with handle:
        bound = tiffcache.largest_bytes(header) - 1
        assert tiffcache.build(handle.fileno(), header, cache, key, bound) == "too big"
        assert os.listdir(tmp_path / "cache") == []


def test_no_pyramid_is_built_that_would_leave_the_volume_too_little_free(
        tmp_path: Path, cache: Dir, noisy_source: Path) -> None:
    handle, header, key = opened(noisy_png(noisy_source, tmp_path / "noisy.png"))
    volume = os.statvfs(tmp_path)
    free_percent = 100 * volume.f_bavail / volume.f_blocks
    with handle:
        assert tiffcache.leaves_too_little(cache, 0, int(free_percent) + 1)
        assert not tiffcache.leaves_too_little(cache, 0, max(int(free_percent) - 1, 0))
        assert tiffcache.build(handle.fileno(), header, cache, key, 2**30,
                               min_free_percent=int(free_percent) + 1) == "volume nearly full"
        assert os.listdir(tmp_path / "cache") == []
        assert tiffcache.build(handle.fileno(), header, cache, key, 2**30,
                               min_free_percent=0) == "built"


def test_eviction_drops_the_least_recently_used_and_dead_builds(tmp_path: Path,
                                                                cache: Dir) -> None:
    folder = tmp_path / "cache"
    for age, name in enumerate(("newest", "middle", "oldest", "kept")):
        (folder / f"{name}.tif").write_bytes(b"x" * 1000)
        os.utime(folder / f"{name}.tif", (10**9 - age * 100, 10**9 - age * 100))
    for name in (".dead.1.partial", "dead.lock", ".live.2.partial", ".fresh.3.partial"):
        (folder / name).write_bytes(b"")
        os.utime(folder / name, (10**9 - 7200, 10**9 - 7200))
    os.utime(folder / ".fresh.3.partial", (10**9, 10**9))
    with tiffcache.build_lock(cache, "live") as held:  # "live" is being built
        assert held
        removed = tiffcache.evict(cache, 2000, keep="kept", now=10**9)
    assert sorted(removed) == [".dead.1.partial", "dead.lock", "middle.tif", "oldest.tif"]
    assert sorted(os.listdir(folder)) == [".fresh.3.partial", ".live.2.partial", "kept.tif",
                                          "newest.tif"]
