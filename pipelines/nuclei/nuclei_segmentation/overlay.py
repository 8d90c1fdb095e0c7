"""The overlay image: the segmented channel in grey with each nucleus tinted and outlined."""

from __future__ import annotations

import numpy as np
from skimage import segmentation

from nuclei_segmentation.segmentation import rescale

# Bright, mutually distinct colours that read well on a grey image; labels cycle through them.
PALETTE = np.array(
    [
        (255, 64, 64),
        (64, 220, 64),
        (80, 140, 255),
        (255, 200, 0),
        (255, 64, 255),
        (0, 230, 230),
        (255, 140, 0),
        (160, 100, 255),
        (150, 255, 120),
        (255, 120, 170),
    ],
    dtype=np.float64,
)
TINT = 0.3


def overlay(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """An RGB uint8 image of `image`'s size: grey original, tinted nuclei, full-colour outlines."""
    grey = rescale(image) * 255.0
    rgb = np.repeat(grey[..., np.newaxis], 3, axis=-1)
    inside = labels > 0
    colours = PALETTE[(labels[inside] - 1) % len(PALETTE)]
    rgb[inside] = (1.0 - TINT) * rgb[inside] + TINT * colours
    outline = segmentation.find_boundaries(labels, mode="inner") & inside
    rgb[outline] = PALETTE[(labels[outline] - 1) % len(PALETTE)]
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
