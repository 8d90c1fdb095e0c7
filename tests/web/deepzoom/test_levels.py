"""Deep Zoom geometry (deepzoom.levels): levels, tile boxes with their overlap, the descriptor
and the tile paths, as OpenSeadragon's DziTileSource computes them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepzoom.levels import (
    DZI_NS,
    OVERLAP,
    TILE_SIZE,
    Box,
    Pyramid,
    TileRequest,
    descriptor,
    parse_tile_path,
)


@pytest.mark.parametrize(("width", "height", "max_level", "sizes"), [
    (1, 1, 0, {0: (1, 1)}),
    (2, 1, 1, {0: (1, 1), 1: (2, 1)}),
    (1000, 600, 10, {10: (1000, 600), 9: (500, 300), 8: (250, 150), 1: (2, 2), 0: (1, 1)}),
    (1025, 3, 11, {11: (1025, 3), 10: (513, 2), 0: (1, 1)}),  # halves round up
])
def test_levels_halve_rounding_up(width: int, height: int, max_level: int,
                                  sizes: dict[int, tuple[int, int]]) -> None:
    pyramid = Pyramid(width, height)
    assert pyramid.max_level == max_level
    for level, size in sizes.items():
        assert pyramid.size(level) == size


@pytest.mark.parametrize(("level", "col", "row", "box"), [
    (10, 0, 0, Box(0, 0, TILE_SIZE + OVERLAP, TILE_SIZE + OVERLAP)),  # corner: overlap inside
    (10, 1, 1, Box(TILE_SIZE - OVERLAP, TILE_SIZE - OVERLAP, TILE_SIZE + 2 * OVERLAP,
                   TILE_SIZE + 2 * OVERLAP)),  # inner: 256 square
    (10, 3, 2, Box(3 * TILE_SIZE - 1, 2 * TILE_SIZE - 1, 1000 - 3 * TILE_SIZE + 1,
                   600 - 2 * TILE_SIZE + 1)),  # the last tiles: cut at the edge
    (10, 4, 0, None), (10, 0, 3, None), (11, 0, 0, None), (-1, 0, 0, None),
    (8, 0, 0, Box(0, 0, 250, 150)),  # a level smaller than a tile is one tile
])
def test_tile_boxes(level: int, col: int, row: int, box: Box | None) -> None:
    assert Pyramid(1000, 600).box(level, col, row) == box


@given(st.integers(1, 40_000), st.integers(1, 40_000), st.data())
def test_tiles_cover_each_level_exactly(width: int, height: int, data: st.DataObject) -> None:
    pyramid = Pyramid(width, height)
    level = data.draw(st.integers(0, pyramid.max_level))
    level_width, level_height = pyramid.size(level)
    columns, rows = pyramid.tiles(level)
    last = pyramid.box(level, columns - 1, rows - 1)
    assert last is not None
    assert last.left + last.width == level_width and last.top + last.height == level_height
    assert pyramid.box(level, columns, 0) is None and pyramid.box(level, 0, rows) is None


def test_the_descriptor_says_size_tile_size_overlap_and_format() -> None:
    root = ET.fromstring(descriptor(Pyramid(20000, 300), "jpeg"))
    assert root.tag == f"{{{DZI_NS}}}Image"
    assert root.attrib == {"Format": "jpeg", "Overlap": "1", "TileSize": "254"}
    size = root.find(f"{{{DZI_NS}}}Size")
    assert size is not None and size.attrib == {"Width": "20000", "Height": "300"}


@pytest.mark.parametrize(("path", "parsed"), [
    ("a/b.tif_files/14/3_7.jpeg", TileRequest("a/b.tif", 14, 3, 7, "jpeg")),
    ("x_files/y.png_files/0/0_0.png", TileRequest("x_files/y.png", 0, 0, 0, "png")),
    ("a.png_files/1/0_0.gif", None), ("a.png_files/1/0-0.png", None), ("a.png", None),
    ("_files/1/0_0.png", None), ("a.png_files/123/0_0.png", None),
])
def test_tile_paths(path: str, parsed: TileRequest | None) -> None:
    assert parse_tile_path(path) == parsed
