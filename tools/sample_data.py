"""Synthetic fluorescence-microscopy images with nuclei at known places: the pipeline tests' inputs
and the sample project `make demo` gives the scientist account (so a newcomer can press Run)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# (centre_y, centre_x) of the nuclei in FIELD: four apart, and one touching pair (the last two).
NUCLEI = ((18, 20), (20, 72), (70, 18), (74, 66), (46, 40), (46, 52))
FIELD_SHAPE = (96, 96)
NUCLEUS_RADIUS = 6.0


def nuclei_image(
    shape: tuple[int, int] = FIELD_SHAPE,
    centres: Sequence[tuple[float, float]] = NUCLEI,
    radius: float = NUCLEUS_RADIUS,
    background: float = 12.0,
    brightness: float = 170.0,
    noise: float = 6.0,
    seed: int = 7,
) -> np.ndarray:
    """A uint8 image: dark noisy background and flat-topped Gaussian-edged bright nuclei.

    Nuclei are combined with max, not sum, so a touching pair keeps a dimmer
    neck between its two halves, as real touching nuclei do.
    """
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    signal = np.zeros(shape)
    for cy, cx in centres:
        distance = np.hypot(yy - cy, xx - cx)
        # exp(-(d/r)^4): a flat top with a soft, Gaussian-like edge at about the radius.
        signal = np.maximum(signal, np.exp(-((distance / radius) ** 4)))
    rng = np.random.default_rng(seed)
    image = background + brightness * signal + rng.normal(0.0, noise, shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def composite(nuclear: np.ndarray, channel: int, seed: int = 3) -> np.ndarray:
    """An RGB uint8 image with the nuclear stain in `channel` and dim, flat noise in the others."""
    rng = np.random.default_rng(seed)
    planes = [rng.integers(20, 30, nuclear.shape).astype(np.uint8) for _ in range(3)]
    planes[channel] = nuclear
    return np.stack(planes, axis=-1)


SAMPLE_PROJECT = "sample-nuclei"
SAMPLE_FIELDS = 4
SAMPLE_SHAPE = (256, 256)


def field_centres(seed: int, count: int, shape: tuple[int, int] = SAMPLE_SHAPE,
                  radius: float = NUCLEUS_RADIUS * 1.6) -> list[tuple[float, float]]:
    """`count` nucleus centres at random, none touching another or the border."""
    rng = np.random.default_rng(seed)
    margin, gap = radius * 2, radius * 2.6
    centres: list[tuple[float, float]] = []
    while len(centres) < count:
        y, x = rng.uniform(margin, shape[0] - margin), rng.uniform(margin, shape[1] - margin)
        if all(np.hypot(y - cy, x - cx) > gap for cy, cx in centres):
            centres.append((y, x))
    return centres


def write_sample_project(folder: Path, fields: int = SAMPLE_FIELDS) -> list[Path]:
    """The demo's sample project: `fields` PNG fields of view of 12 to 30 nuclei each (the
    count is in each name), written into folder; returns their paths."""
    import imageio.v3 as iio

    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, fields + 1):
        count = 12 + (index * 7) % 19
        centres = field_centres(seed=index, count=count)
        image = nuclei_image(SAMPLE_SHAPE, centres, radius=NUCLEUS_RADIUS * 1.6, seed=index)
        path = folder / f"field-{index:02d}-{count}-nuclei.png"
        iio.imwrite(path, image)
        written.append(path)
    return written
