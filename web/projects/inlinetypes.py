"""Which files open in the browser rather than download: raster images browsers render.

A file is shown inline only if its name says it is such an image AND its first bytes say the
same, so a page or script named `x.png` is never rendered as anything (with `nosniff` the
browser then keeps to the type sent). SVG, HTML, PDF and everything else are attachments:
they can carry script or links, and a pipeline may have written them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable

HEAD_BYTES = 16  # enough for every signature below

_PNG = b"\x89PNG\r\n\x1a\n"


def _starts(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(signatures)


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _avif(head: bytes) -> bool:
    return head[4:12] in (b"ftypavif", b"ftypavis")


# name suffix -> (Content-Type, does the head match); the types Chromium, Firefox and Safari
# all render as an image document.
_RASTER: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".png": ("image/png", _starts(_PNG)),
    ".apng": ("image/apng", _starts(_PNG)),
    ".jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".jfif": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", _webp),
    ".avif": ("image/avif", _avif),
    ".bmp": ("image/bmp", _starts(b"BM")),
    ".ico": ("image/x-icon", _starts(b"\x00\x00\x01\x00")),
}


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def is_inline_name(name: str) -> bool:
    """Whether a file of this name may open inline (its bytes are checked when it is sent)."""
    return _suffix(name) in _RASTER


def is_viewable_name(name: str) -> bool:
    """Whether a file of this name gets a "view" link: an inline image, or a TIFF, which the
    deep-zoom viewer (web/deepzoom) shows as tiles, as it does images larger than a screen."""
    return is_inline_name(name) or _suffix(name) in (".tif", ".tiff")


def inline_type(name: str, head: bytes) -> str | None:
    """The image type to show this file inline as, or None: it downloads as an attachment."""
    known = _RASTER.get(_suffix(name))
    if known is None or not known[1](head):
        return None
    return known[0]


def attachment_type(name: str) -> str:
    """The Content-Type of a download: guessed from the name, never a content coding (a
    .tar.gz is sent as it is, not as a tar to be decompressed), never an image type for a
    file whose bytes are no such image."""
    if is_inline_name(name):
        return "application/octet-stream"  # inline_type() found its bytes are not the image
    guessed, coding = mimetypes.guess_type(name, strict=False)
    return "application/octet-stream" if coding or not guessed else guessed
