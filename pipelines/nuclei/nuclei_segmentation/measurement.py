"""Per-object measurements of labelled nuclei and the per-image summary row."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np
from skimage import measure as skmeasure

OBJECT_COLUMNS = (
    "label",
    "area",
    "centroid_y",
    "centroid_x",
    "mean_intensity",
    "max_intensity",
    "eccentricity",
    "solidity",
    "perimeter",
    "equivalent_diameter",
)
SUMMARY_COLUMNS = (
    "image",
    "channel",
    "threshold",
    "object_count",
    "total_area",
    "mean_area",
    "median_area",
    "mean_intensity",
)
DECIMALS = 3


def measure(labels: np.ndarray, image: np.ndarray) -> list[dict[str, Any]]:
    """One row per object, in label order; intensities are in the image's own units."""
    rows = []
    for region in skmeasure.regionprops(labels, intensity_image=image):
        rows.append(
            {
                "label": int(region.label),
                "area": int(region.area),
                "centroid_y": round(float(region.centroid[0]), DECIMALS),
                "centroid_x": round(float(region.centroid[1]), DECIMALS),
                "mean_intensity": round(float(region.intensity_mean), DECIMALS),
                "max_intensity": round(float(region.intensity_max), DECIMALS),
                "eccentricity": round(float(region.eccentricity), DECIMALS),
                "solidity": round(float(region.solidity), DECIMALS),
                "perimeter": round(float(region.perimeter), DECIMALS),
                "equivalent_diameter": round(float(region.equivalent_diameter_area), DECIMALS),
            }
        )
    return rows


def summarise(
    image_name: str, channel: int, threshold: float, rows: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The summary row of one image; averages are empty when it has no objects."""
    areas = [row["area"] for row in rows]
    intensities = [row["mean_intensity"] for row in rows]
    return {
        "image": image_name,
        "channel": channel,
        "threshold": "" if math.isnan(threshold) else round(threshold, 4),
        "object_count": len(rows),
        "total_area": sum(areas),
        "mean_area": round(statistics.fmean(areas), DECIMALS) if areas else "",
        "median_area": round(float(statistics.median(areas)), DECIMALS) if areas else "",
        "mean_intensity": round(statistics.fmean(intensities), DECIMALS) if intensities else "",
    }
