"""Untrusted image bytes into a small PNG preview, refusing pixel bombs from the header alone.

Pillow's Image.open parses the header only; its format, size and decoder tiles are checked
before anything is decoded, so a 729 KiB PNG claiming 16000×16000 pixels costs a header read.
Decoding an allowed image costs up to a few bytes per pixel of the limit. Header parsing itself
can cost memory too (Pillow reads a PNG's ancillary chunks whole, a WebP file whole), so the web
app runs this in a child process with limits (results.contained).
"""

from __future__ import annotations

import importlib
import io
from typing import BinaryIO

from PIL import Image

THUMBNAIL_SIZE = (320, 320)
# What browsers show and result pages hold; each is a Pillow plugin allowed to parse the bytes.
FORMATS = ("PNG", "JPEG", "TIFF", "GIF", "WEBP")
MAX_TILES = 4096  # decoder tiles (TIFF strips) one image may declare
# Register the allowed plugins now: a forked child must not import (another thread of the
# parent may have held the import lock when it forked).
for _plugin in ("Gif", "Jpeg", "Png", "Tiff", "WebP"):
    importlib.import_module(f"PIL.{_plugin}ImagePlugin")


class NotAnImage(Exception):
    """No thumbnail: not a regular file of an allowed format, or not decodable."""


class TooLarge(NotAnImage):
    """The header claims more pixels than allowed: refused before decoding."""


def check_header(image: Image.Image, max_pixels: int) -> None:
    """Refuse, from the header alone, what would cost too much to decode."""
    if image.format not in FORMATS:
        raise NotAnImage(f"{image.format} images are not previewed")
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise TooLarge(f"{width}×{height} pixels is more than {max_pixels:,}")
    tiles = image.tile or []
    if len(tiles) > MAX_TILES:
        raise TooLarge(f"{len(tiles)} tiles is more than {MAX_TILES}")
    for tile in tiles:  # a tile claiming to reach outside the image would decode past it
        x0, y0, x1, y1 = tile[1] or (0, 0, width, height)
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            raise TooLarge("a tile lies outside the image")


def render(source: BinaryIO, max_pixels: int) -> bytes:
    """A PNG thumbnail of an open image file. NotAnImage (TooLarge) instead of decoding a bomb.

    Only the first frame of a multi-page TIFF or animated GIF is decoded; JPEGs are decoded
    at reduced scale (Image.thumbnail uses draft mode).
    """
    # Pillow's own backstop (an error above twice this) agrees with our limit.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(source, formats=FORMATS) as image:
            check_header(image, max_pixels)
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG")
    except NotAnImage:
        raise
    except Image.DecompressionBombError as error:
        raise TooLarge(str(error)) from None
    except MemoryError:  # under results.contained's limit
        raise TooLarge("decoding needs more memory than allowed") from None
    except Exception as error:  # a decoder fed untrusted bytes may raise nearly anything
        raise NotAnImage(f"{type(error).__name__}: {error}") from None
    return out.getvalue()
