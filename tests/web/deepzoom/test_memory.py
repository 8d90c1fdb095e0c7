"""Tiles of a big image cost bounded memory: the peak RSS of a process rendering tiles of a
16384² RGB PNG (768 MB decoded whole) stays far below what decoding it whole takes."""

from __future__ import annotations

from pathlib import Path

from bench.deepzoom import make_image, measure
from deepzoom.levels import Pyramid

SIDE = 16384
WHOLE_MB = SIDE * SIDE * 3 / 2**20  # 768
BOUND_MB = 300  # generous: the interpreter, libvips and its buffers; not the image


def test_tiles_of_a_big_png_never_decode_it_whole(tmp_path: Path) -> None:
    image = tmp_path / "big.png"
    make_image(image, SIDE, block=64)  # flat squares: seconds to write, the same size decoded
    pyramid = Pyramid(SIDE, SIDE)
    top = pyramid.max_level
    columns, rows = pyramid.tiles(top)
    wanted = [(top, columns - 1, rows - 1),  # the far corner: every row above it decoded
              (top - 1, 20, 30), (top - 2, 15, 15),  # shrunk from their full-size regions
              (top - 4, 3, 3), (8, 0, 0), (0, 0, 0)]  # from the overview
    found = measure(image, wanted)
    assert sum(len(times) for times in found["times"].values()) == len(wanted)
    assert found["peak_mb"] < BOUND_MB < WHOLE_MB, found
