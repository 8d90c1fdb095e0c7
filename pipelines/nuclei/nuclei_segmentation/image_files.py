"""Reading input images and writing the result files (overlay PNG, CSV tables)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import imageio.v3 as iio
import numpy as np

from nuclei_segmentation.errors import ImageError

# Files with more samples per pixel than this are stacks (z, time), not colour channels.
MAX_CHANNELS = 4
# imageio (scikit-image's own reader) with the one plugin per format, so a broken file
# gets a plain "cannot read" instead of a tour through every other format's plugin.
READERS = {
    ".png": "pillow",
    ".jpg": "pillow",
    ".jpeg": "pillow",
    ".tif": "tifffile",
    ".tiff": "tifffile",
}


def load_image(path: Path) -> np.ndarray:
    """A (Y, X) or (Y, X, C) array; PNG alpha is dropped, channel-first TIFFs are turned round."""
    suffix = path.suffix.lower()
    try:
        # Bytes, not the path: the readers leave the file open when they fail.
        image = np.asarray(iio.imread(path.read_bytes(), plugin=READERS[suffix]))
    except Exception as exc:  # any reader failure means "cannot read this file"
        kind = suffix.lstrip(".").upper()
        raise ImageError(
            f"cannot read it as a {kind} image ({type(exc).__name__}: {exc})"
        ) from None
    if image.ndim == 3 and image.shape[0] <= MAX_CHANNELS < min(image.shape[1:]):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3 and suffix == ".png" and image.shape[-1] in (2, 4):
        image = image[..., :-1]
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] > MAX_CHANNELS):
        raise ImageError(
            f"has shape {image.shape}; expected a 2-D image with at most {MAX_CHANNELS} channels"
        )
    if min(image.shape[:2]) < 1:
        raise ImageError("is empty")
    return image


def output_stems(paths: Sequence[str]) -> dict[str, str]:
    """A distinct file-name stem per input: the stem itself, or its folder path when stems clash."""
    plain = {path: PurePosixPath(path).stem for path in paths}
    counts: dict[str, int] = {}
    for stem in plain.values():
        counts[stem] = counts.get(stem, 0) + 1
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for path in paths:
        stem = plain[path]
        if counts[stem] > 1:
            stem = str(PurePosixPath(path).with_suffix("")).replace("/", "__")
        candidate, number = stem, 2
        while candidate in taken:
            candidate, number = f"{stem}_{number}", number + 1
        taken.add(candidate)
        stems[path] = candidate
    return stems


def write_png(path: Path, rgb: np.ndarray) -> None:
    iio.imwrite(path, rgb, plugin="pillow", extension=".png")


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
