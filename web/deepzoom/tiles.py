"""Tiles of an untrusted project image, decoded by libvips a region at a time from a checked handle.

The image is read from the descriptor projects.safefs opened (a regular file, no link on the
way): libvips gets a Source on that descriptor, never a path. Only the PNG, JPEG and TIFF
loaders run (chosen by the file's first bytes; libvips' untrusted loaders are blocked), and the
header alone is read before the pixel limit is checked. Decoding is sequential and demand
driven: a PNG or JPEG tile costs the rows of the image above its bottom edge, a few scanlines of
memory, not the whole image (a TIFF's tiles or strips are read where they lie); a tile of a shrunk level decodes its full-size region and shrinks it. Levels that
fit OVERVIEW_SIDE are cut from one small overview per file version,
made with shrink-on-load (libvips thumbnail) or a streamed shrink and kept in a small LRU, which
also holds the display range of images deeper than 8 bits (16-bit microscopy is stretched
between its 0.5th and 99.5th percentile). libvips' own operation cache is off.

Given the pages of a cached pyramid of the file (deepzoom.tiffcache: page p is the image shrunk
by 2**p), a tile or the overview is cut from the smallest page that covers it instead, read
where it lies; a pyramid that fails to decode raises BrokenPages, for the caller to drop it and
ask again without.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import pyvips

from deepzoom.levels import Pyramid

OVERVIEW_SIDE = 2048  # levels up to this size on both sides are cut from the overview
OVERVIEW_ENTRIES = 4  # overviews kept per process (each at most 2048² × 4 bytes × 2)
LOW_PERCENT, HIGH_PERCENT = 0.5, 99.5
JPEG_QUALITY = 85

pyvips.cache_set_max(0)  # nothing libvips made for one request serves another
pyvips.block_untrusted_set(True)

_LOADERS = (
    (b"\x89PNG\r\n\x1a\n", "pngload_source"),
    (b"\xff\xd8\xff", "jpegload_source"),
    (b"II*\x00", "tiffload_source"),
    (b"MM\x00*", "tiffload_source"),
    (b"II+\x00", "tiffload_source"),  # BigTIFF
    (b"MM\x00+", "tiffload_source"),
)


class Unviewable(Exception):
    """The file cannot be shown as tiles; the message says why, for people."""


class TooManyPixels(Unviewable):
    pass


class BrokenPages(Exception):
    """The cached pyramid could not be decoded; the file itself may well be fine."""


class Pages(Protocol):
    count: int  # pages 0 .. count - 1

    def page(self, number: int) -> pyvips.Image:
        """The image shrunk by 2**number, its sides rounded down."""


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    bands: int
    format: str  # libvips' band format: uchar, ushort, float, ...
    loader: str

    @property
    def pyramid(self) -> Pyramid:
        return Pyramid(self.width, self.height)

    @property
    def tile_format(self) -> str:
        return "png" if self.bands in (2, 4) else "jpeg"  # alpha needs PNG


def _loader(handle: BinaryIO) -> str:
    head = os.pread(handle.fileno(), 8, 0)
    for signature, loader in _LOADERS:
        if head.startswith(signature):
            return loader
    raise Unviewable("Only PNG, JPEG and TIFF images open in the viewer.")


def _access(header: Header) -> str:
    """TIFF tiles and strips are read where they lie; a PNG or JPEG is one stream, decoded
    top to bottom ("random" access would decode all of it, to memory or a temporary file)."""
    return "random" if header.loader == "tiffload_source" else "sequential"


def _load(handle: BinaryIO, loader: str, **options: object) -> pyvips.Image:
    source = pyvips.Source.new_from_descriptor(handle.fileno())
    try:
        return getattr(pyvips.Image, loader)(source, **options)
    except pyvips.Error as error:
        raise Unviewable(f"This image cannot be read: {_first_line(error)}") from None


def _first_line(error: pyvips.Error) -> str:
    return (str(error.detail or error.message).strip().splitlines() or ["unknown error"])[0]


def read_header(handle: BinaryIO, max_pixels: int) -> Header:
    """The image's size from its header alone; TooManyPixels over max_pixels."""
    loader = _loader(handle)
    image = _load(handle, loader)
    width, height = image.width, image.height
    if width * height > max_pixels:
        raise TooManyPixels(f"This image is {width:,} × {height:,} pixels, more than the "
                            f"viewer's limit of {max_pixels // 10**6:,} megapixels.")
    return Header(width, height, image.bands, image.format, loader)


@dataclass(frozen=True)
class Overview:
    image: pyvips.Image  # in memory, the image's format, at most OVERVIEW_SIDE a side
    level: int  # the pyramid level it is
    low: float  # display range (0, 255 for 8-bit images)
    high: float


_overviews: OrderedDict[str, Overview] = OrderedDict()
_overviews_lock = threading.Lock()


def _overview_level(pyramid: Pyramid) -> int:
    level = pyramid.max_level
    while level > 0 and max(pyramid.size(level)) > OVERVIEW_SIDE:
        level -= 1
    return level


def _shrunk(image: pyvips.Image, scale: int, width: int, height: int) -> pyvips.Image:
    """The image shrunk by `scale` (a box filter: libvips' shrink, which pulls its input a few
    rows at a time), made exactly width × height (a level's sides round up, shrink's round)."""
    if scale > 1:  # never below one pixel a side: the smallest levels are 1 × 1
        image = image.shrink(min(scale, image.width), min(scale, image.height))
    if image.width > width or image.height > height:
        image = image.crop(0, 0, min(width, image.width), min(height, image.height))
    if (image.width, image.height) != (width, height):
        image = image.embed(0, 0, width, height, extend="copy")
    return image


def _covering(pages: Pages, header: Header, scale: int, left: int, top: int, right: int,
              bottom: int) -> tuple[pyvips.Image, int]:
    """Full-size pixels [left, right) × [top, bottom) (left and top multiples of scale) from
    the smallest page that holds them whole, and the shrink still to apply to that crop."""
    factor = scale
    while factor > 1 and (factor.bit_length() > pages.count
                          or -(-right // factor) > header.width // factor
                          or -(-bottom // factor) > header.height // factor):
        factor //= 2  # a page's sides round down: an odd edge is only whole in a bigger page
    page = pages.page(factor.bit_length() - 1)
    crop = page.crop(left // factor, top // factor, -(-right // factor) - left // factor,
                     -(-bottom // factor) - top // factor)
    return crop, scale // factor


def overview(handle: BinaryIO, header: Header, version: str,
             pages: Pages | None = None) -> Overview:
    """The file's overview, made now or from the LRU (keyed by the file's ETag)."""
    with _overviews_lock:
        found = _overviews.get(version)
        if found is not None:
            _overviews.move_to_end(version)
            return found
    pyramid = header.pyramid
    level = _overview_level(pyramid)
    size = pyramid.size(level)
    try:
        if pages is not None:
            image, shrink = _covering(pages, header, pyramid.scale(level), 0, 0,
                                      header.width, header.height)
            image = _shrunk(image, shrink, *size)
        elif header.loader == "jpegload_source":  # 8-bit, and JPEG shrinks on load
            source = pyvips.Source.new_from_descriptor(handle.fileno())
            image = pyvips.Image.thumbnail_source(source, size[0], height=size[1], size="force")
        else:
            image = _shrunk(_load(handle, header.loader, access=_access(header)),
                            pyramid.scale(level), *size)
        image = image.copy_memory()
        low, high = _display_range(image)
    except pyvips.Error as error:
        if pages is not None:
            raise BrokenPages(_first_line(error)) from None
        raise Unviewable(f"This image cannot be decoded: {_first_line(error)}") from None
    made = Overview(image, level, low, high)
    with _overviews_lock:
        _overviews[version] = made
        while len(_overviews) > OVERVIEW_ENTRIES:
            _overviews.popitem(last=False)
    return made


def _display_range(image: pyvips.Image) -> tuple[float, float]:
    if image.format == "uchar":
        return 0.0, 255.0
    grey = image[0] if image.bands < 3 else image[0:3].colourspace("b-w")
    low, high = float(grey.percent(LOW_PERCENT)), float(grey.percent(HIGH_PERCENT))
    return (low, high) if high > low else (low, low + 1)


def _for_display(image: pyvips.Image, low: float, high: float) -> pyvips.Image:
    """8-bit grey, grey+alpha, RGB or RGBA."""
    if image.bands > 4:
        image = image[0]  # a stack of channels (a TIFF of 5+ samples): its first
    if image.format != "uchar":
        alpha = image[image.bands - 1] if image.bands in (2, 4) else None
        colour = image[0: image.bands - 1] if alpha is not None else image
        colour = ((colour - low) * (255.0 / (high - low))).cast("uchar")  # cast clips
        if alpha is not None:
            alpha = (alpha * (255.0 / max(float(alpha.max()), 1.0))).cast("uchar")
            colour = colour.bandjoin(alpha)
        image = colour
    return image.copy(interpretation="b-w" if image.bands < 3 else "srgb")


def render_tile(handle: BinaryIO, header: Header, version: str, level: int, col: int,
                row: int, pages: Pages | None = None) -> bytes:
    """The encoded tile (JPEG or PNG, header.tile_format) of a tile that exists (Pyramid.box),
    from `pages` (the file's cached pyramid) when given."""
    pyramid = header.pyramid
    box = pyramid.box(level, col, row)
    assert box is not None
    # The overview serves the low levels, and the display range of an image deeper than 8 bits.
    low_level = level <= _overview_level(pyramid)
    shown = (overview(handle, header, version, pages)
             if low_level or header.format != "uchar" else None)
    low, high = (shown.low, shown.high) if shown else (0.0, 255.0)
    try:
        if shown is not None and low_level:  # cut from the overview, in memory
            image = _shrunk(shown.image, 2 ** (shown.level - level), *pyramid.size(level))
            image = image.crop(box.left, box.top, box.width, box.height)
        else:  # the tile's full-size pixels only (decoded down to them), then shrunk
            scale = pyramid.scale(level)
            left, top = box.left * scale, box.top * scale
            right = min(left + box.width * scale, header.width)
            bottom = min(top + box.height * scale, header.height)
            if pages is not None:
                region, scale = _covering(pages, header, scale, left, top, right, bottom)
            else:
                region = _load(handle, header.loader, access=_access(header)).crop(
                    left, top, right - left, bottom - top)
            image = _shrunk(region, scale, box.width, box.height)
        tile = _for_display(image, low, high)
        if header.tile_format == "png":
            return tile.pngsave_buffer(compression=3)
        return tile.jpegsave_buffer(Q=JPEG_QUALITY)
    except pyvips.Error as error:
        if pages is not None:
            raise BrokenPages(_first_line(error)) from None
        raise Unviewable(f"This image cannot be decoded: {_first_line(error)}") from None
