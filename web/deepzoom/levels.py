"""Deep Zoom (DZI) geometry: the levels of an image, the box of each tile, the descriptor, the URLs.

Level `max_level` is the image at full size, each level below it half the one above (rounded
up), level 0 is one pixel. A tile is TILE_SIZE square plus OVERLAP pixels on each side that has
a neighbour, as OpenSeadragon's DziTileSource and Microsoft's Deep Zoom format expect.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

TILE_SIZE = 254  # + 2 × OVERLAP = 256 for an inner tile
OVERLAP = 1
FORMATS = ("jpeg", "png")
DZI_NS = "http://schemas.microsoft.com/deepzoom/2008"

_TILE_PATH = re.compile(r"^(?P<image>[\s\S]+)_files/(?P<level>\d{1,2})/(?P<col>\d{1,7})_"
                        r"(?P<row>\d{1,7})\.(?P<format>jpeg|png)$")


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class Pyramid:
    width: int
    height: int

    @property
    def max_level(self) -> int:
        return max(0, math.ceil(math.log2(max(self.width, self.height))))

    def scale(self, level: int) -> int:
        """How many full-size pixels one pixel of `level` stands for, along each side."""
        return 2 ** (self.max_level - level)

    def size(self, level: int) -> tuple[int, int]:
        scale = self.scale(level)
        return -(-self.width // scale), -(-self.height // scale)

    def tiles(self, level: int) -> tuple[int, int]:
        """(columns, rows) of tiles at this level."""
        width, height = self.size(level)
        return -(-width // TILE_SIZE), -(-height // TILE_SIZE)

    def box(self, level: int, col: int, row: int) -> Box | None:
        """The pixels of tile (col, row) in level coordinates, overlap included; None if the
        level or tile does not exist."""
        if not 0 <= level <= self.max_level:
            return None
        columns, rows = self.tiles(level)
        if not (0 <= col < columns and 0 <= row < rows):
            return None
        width, height = self.size(level)
        left = max(0, col * TILE_SIZE - OVERLAP)
        top = max(0, row * TILE_SIZE - OVERLAP)
        right = min(width, (col + 1) * TILE_SIZE + OVERLAP)
        bottom = min(height, (row + 1) * TILE_SIZE + OVERLAP)
        return Box(left, top, right - left, bottom - top)


def descriptor(pyramid: Pyramid, tile_format: str) -> str:
    """The .dzi XML OpenSeadragon reads first."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Image xmlns={quoteattr(DZI_NS)} Format={quoteattr(tile_format)} '
            f'Overlap="{OVERLAP}" TileSize="{TILE_SIZE}">\n'
            f'  <Size Width="{pyramid.width}" Height="{pyramid.height}"/>\n'
            f'</Image>\n')


@dataclass(frozen=True)
class TileRequest:
    image: str  # the image's path in the project
    level: int
    col: int
    row: int
    format: str


def parse_tile_path(path: str) -> TileRequest | None:
    """`<image>_files/<level>/<col>_<row>.<jpeg|png>` as asked for, or None for anything else."""
    found = _TILE_PATH.match(path)
    if found is None:
        return None
    return TileRequest(found["image"], int(found["level"]), int(found["col"]), int(found["row"]),
                       found["format"])
