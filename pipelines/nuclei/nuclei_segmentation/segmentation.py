"""Image to labelled nuclei: channel choice, smoothing, threshold, cleanup, watershed split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, segmentation

from nuclei_segmentation.errors import ImageError
from nuclei_segmentation.params import Params

THRESHOLD_FUNCTIONS = {
    "otsu": filters.threshold_otsu,
    "li": filters.threshold_li,
    "yen": filters.threshold_yen,
}
# A neck must be this many pixels narrower than both halves' centres before the
# watershed splits an object in two; smaller dips are boundary noise.
SPLIT_DEPTH = 1.5


@dataclass(frozen=True)
class Segmentation:
    labels: np.ndarray  # int32, 0 = background, 1..n = nuclei
    threshold: float  # on the 0..1 scale of the smoothed, rescaled image


def channel_index(image: np.ndarray, channel: str | int) -> int:
    """Which channel of a (Y, X) or (Y, X, C) image to segment.

    `auto` takes the channel with the most contrast (highest standard deviation),
    which is the nuclear stain in a typical composite.
    """
    if image.ndim not in (2, 3):
        raise ImageError(f"unsupported image shape {image.shape}; expected a 2-D image")
    count = 1 if image.ndim == 2 else image.shape[-1]
    if channel == "auto":
        if count == 1:
            return 0
        return int(np.argmax([image[..., c].astype(np.float64).std() for c in range(count)]))
    if isinstance(channel, int) and 0 <= channel < count:
        return channel
    raise ImageError(f"has {count} channel(s), so channel {channel!r} does not exist")


def channel_plane(image: np.ndarray, index: int) -> np.ndarray:
    """The 2-D float plane of one channel."""
    plane = image if image.ndim == 2 else image[..., index]
    return plane.astype(np.float64)


def rescale(image: np.ndarray) -> np.ndarray:
    """Stretch to 0..1 between the image's own minimum and maximum (flat images become 0)."""
    low, high = float(image.min()), float(image.max())
    if high <= low:
        return np.zeros(image.shape, dtype=np.float64)
    return (image.astype(np.float64) - low) / (high - low)


def segment(image: np.ndarray, params: Params) -> Segmentation:
    """Label the nuclei in a 2-D image; every returned object has at least min_area pixels."""
    smoothed = rescale(image)
    if params.smoothing_sigma > 0:
        smoothed = filters.gaussian(smoothed, sigma=params.smoothing_sigma)
    threshold = threshold_value(smoothed, params.threshold)
    if threshold is None:
        return Segmentation(np.zeros(image.shape, dtype=np.int32), float("nan"))
    mask = ndi.binary_fill_holes(smoothed > threshold)
    mask = remove_small(measure.label(mask), params.min_area) > 0
    labels = split_touching(mask) if params.split_touching else measure.label(mask)
    labels = remove_small(labels, params.min_area)
    relabelled, _, _ = segmentation.relabel_sequential(labels)
    return Segmentation(relabelled.astype(np.int32), threshold)


def threshold_value(smoothed: np.ndarray, threshold: str | float) -> float | None:
    """The foreground cut-off on the 0..1 scale; None when the image has no contrast at all."""
    if float(smoothed.max()) <= float(smoothed.min()):
        return None
    if isinstance(threshold, str):
        return float(THRESHOLD_FUNCTIONS[threshold](smoothed))
    return float(threshold)


def remove_small(labels: np.ndarray, min_area: int) -> np.ndarray:
    """Drop labelled objects with fewer than min_area pixels."""
    if min_area <= 1:
        return labels
    small = np.bincount(labels.ravel()) < min_area
    small[0] = False
    return np.where(small[labels], 0, labels)


def split_touching(mask: np.ndarray) -> np.ndarray:
    """Label a foreground mask, cutting touching nuclei apart along their necks.

    Markers are the distance transform's h-maxima, so plateaus and boundary
    wiggles give one marker; an object too small for any maximum keeps itself
    as its own marker rather than vanishing.
    """
    objects = measure.label(mask)
    if objects.max() == 0:
        return objects
    distance = ndi.distance_transform_edt(mask)
    peaks = morphology.h_maxima(distance, SPLIT_DEPTH).astype(bool) & mask
    markers = measure.label(peaks)
    unmarked = mask & ~np.isin(objects, objects[peaks])
    # Shifted past every peak's number, so each unmarked object becomes a marker of its own.
    markers[unmarked] = objects[unmarked] + markers.max()
    return segmentation.watershed(-distance, markers, mask=mask, connectivity=2)
