"""Small PNG previews of result images, made once and kept next to the project's run files."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from PIL import Image, UnidentifiedImageError

THUMBNAIL_FOLDER = Path(".kubeshowcase") / "thumbnails"
THUMBNAIL_SIZE = (320, 320)
MAX_IMAGE_PIXELS = 200_000_000  # refuse decompression bombs rather than eat the pod's memory


class NotAnImage(Exception):
    pass


def thumbnail_name(relative: str, mtime_ns: int, size: int) -> str:
    """Keyed by path, modification time and size: a rewritten image gets a new thumbnail."""
    key = f"{relative}\x00{mtime_ns}\x00{size}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest() + ".png"


def thumbnail_for(project_path: Path, image_path: Path) -> Path:
    """The cached thumbnail of image_path (inside project_path), made now if missing."""
    root = project_path.resolve(strict=True)
    relative = image_path.relative_to(root).as_posix()
    info = image_path.stat()
    folder = root / THUMBNAIL_FOLDER
    target = folder / thumbnail_name(relative, info.st_mtime_ns, info.st_size)
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{target.name}.{secrets.token_hex(4)}.partial"
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(image_path) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            image.save(partial, format="PNG")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as error:
        partial.unlink(missing_ok=True)
        raise NotAnImage(str(error)) from None
    os.replace(partial, target)  # atomic: a parallel request sees the old state or the whole file
    return target
