"""segment, measure, overlay and image loading on synthetic nuclei at known places."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from nuclei_segmentation.errors import ImageError
from nuclei_segmentation.image_files import load_image, output_stems
from nuclei_segmentation.measurement import OBJECT_COLUMNS, measure, summarise
from nuclei_segmentation.overlay import overlay
from nuclei_segmentation.params import Params
from nuclei_segmentation.segmentation import (
    channel_index,
    channel_plane,
    remove_small,
    segment,
    split_touching,
)
from tools.sample_data import FIELD_SHAPE, NUCLEI, composite, nuclei_image


def centroids(labels: np.ndarray, image: np.ndarray) -> list[tuple[float, float]]:
    return [(row["centroid_y"], row["centroid_x"]) for row in measure(labels, image)]


def assert_one_object_per_nucleus(labels: np.ndarray, image: np.ndarray) -> None:
    found = centroids(labels, image)
    assert len(found) == len(NUCLEI)
    for cy, cx in NUCLEI:
        nearest = min(np.hypot(y - cy, x - cx) for y, x in found)
        assert nearest < 1.5, f"no object centred near {(cy, cx)}; found {found}"


@pytest.mark.parametrize("threshold", ["otsu", "li", "yen", 0.5])
def test_it_finds_each_nucleus_once(threshold: str | float) -> None:
    image = nuclei_image().astype(float)
    result = segment(image, Params(threshold=threshold))
    assert result.labels.dtype == np.int32
    assert result.labels.shape == image.shape
    assert_one_object_per_nucleus(result.labels, image)


def test_it_splits_the_touching_pair_only_when_asked() -> None:
    image = nuclei_image().astype(float)
    merged = segment(image, Params(split_touching=False)).labels
    assert merged.max() == len(NUCLEI) - 1
    pair = [merged[46, 40], merged[46, 52]]
    assert pair[0] == pair[1] != 0


def test_it_drops_specks_smaller_than_min_area() -> None:
    image = nuclei_image().astype(float)
    image[88:91, 88:91] = image.max()  # a 9-pixel speck of debris
    kept = segment(image, Params(min_area=20, smoothing_sigma=0))
    assert kept.labels[89, 89] == 0
    assert kept.labels.max() == len(NUCLEI)
    assert min(row["area"] for row in measure(kept.labels, image)) >= 20
    everything = segment(image, Params(min_area=0, smoothing_sigma=0))
    assert everything.labels[89, 89] != 0
    assert everything.labels.max() == len(NUCLEI) + 1


def test_it_reports_the_threshold_it_used() -> None:
    result = segment(nuclei_image().astype(float), Params(threshold=0.4))
    assert result.threshold == 0.4
    otsu = segment(nuclei_image().astype(float), Params()).threshold
    assert 0.1 < otsu < 0.9


@pytest.mark.parametrize(
    "image",
    [
        np.array([[5.0]]),
        np.full((10, 10), 7.0),
        np.zeros((3, 4)),
        np.array([[0.0, 1.0], [0.0, 0.0]]),
        np.pad(np.array([[9.0]]), 1),
        np.r_[np.zeros(20), np.full(10, 200.0), np.zeros(20)][np.newaxis, :],
        np.eye(6) * 100,
    ],
    ids=["1x1", "flat", "black", "2x2", "3x3-dot", "1x50-line", "diagonal"],
)
@pytest.mark.parametrize("threshold", ["otsu", "li", "yen", 0.5])
def test_it_copes_with_tiny_and_flat_images(image: np.ndarray, threshold: str | float) -> None:
    for params in (
        Params(threshold=threshold),
        Params(threshold=threshold, min_area=0, smoothing_sigma=0),
    ):
        labels = segment(image, params).labels
        assert labels.shape == image.shape
        rows = measure(labels, image)
        assert len(rows) == labels.max()
        assert all(row["area"] >= params.min_area for row in rows)
        assert overlay(image, labels).shape == (*image.shape, 3)


def test_it_finds_nothing_in_a_flat_image() -> None:
    result = segment(np.full((20, 20), 50.0), Params(min_area=0))
    assert result.labels.max() == 0
    assert np.isnan(result.threshold)


def test_split_touching_keeps_objects_too_small_for_a_marker() -> None:
    mask = np.zeros((9, 12), dtype=bool)
    mask[2, 2] = True  # one pixel: its distance maximum is below the split depth
    mask[5:8, 6:11] = True
    labels = split_touching(mask)
    assert labels[2, 2] != 0
    assert len(np.unique(labels[mask])) == 2


def test_remove_small_keeps_objects_of_exactly_min_area() -> None:
    labels = np.array([[1, 1, 0, 2, 2, 2]])
    assert remove_small(labels, 3).tolist() == [[0, 0, 0, 2, 2, 2]]
    assert remove_small(labels, 2).tolist() == labels.tolist()


def test_it_measures_each_object() -> None:
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[1:4, 1:5] = 1
    labels[6:9, 6:9] = 2
    image = np.where(labels == 2, 50.0, 10.0)
    image[1, 1] = 30.0
    rows = measure(labels, image)
    assert [tuple(row) for row in rows] == [OBJECT_COLUMNS, OBJECT_COLUMNS]
    assert rows[0]["label"] == 1 and rows[0]["area"] == 12
    assert (rows[0]["centroid_y"], rows[0]["centroid_x"]) == (2.0, 2.5)
    assert rows[0]["mean_intensity"] == round((11 * 10 + 30) / 12, 3)
    assert rows[0]["max_intensity"] == 30.0
    assert rows[1]["area"] == 9 and rows[1]["mean_intensity"] == 50.0
    assert rows[1]["eccentricity"] == 0.0 and rows[1]["solidity"] == 1.0


def test_it_summarises_an_image() -> None:
    rows = [{"area": 10, "mean_intensity": 2.0}, {"area": 30, "mean_intensity": 4.0}]
    assert summarise("raw/a.png", 2, 0.31234, rows) == {
        "image": "raw/a.png",
        "channel": 2,
        "threshold": 0.3123,
        "object_count": 2,
        "total_area": 40,
        "mean_area": 20.0,
        "median_area": 20.0,
        "mean_intensity": 3.0,
    }
    empty = summarise("b.png", 0, float("nan"), [])
    assert empty["object_count"] == 0
    assert empty["threshold"] == empty["mean_area"] == empty["mean_intensity"] == ""


@pytest.mark.parametrize("stain", [0, 1, 2])
def test_auto_channel_picks_the_nuclear_stain(stain: int) -> None:
    image = composite(nuclei_image(), stain)
    assert channel_index(image, "auto") == stain
    assert channel_index(image, 1) == 1
    result = segment(channel_plane(image, stain), Params())
    assert_one_object_per_nucleus(result.labels, channel_plane(image, stain))


def test_a_greyscale_image_has_only_channel_0() -> None:
    grey = nuclei_image()
    assert channel_index(grey, "auto") == 0
    assert channel_index(grey, 0) == 0
    with pytest.raises(ImageError, match="has 1 channel"):
        channel_index(grey, 2)


def test_the_overlay_outlines_each_nucleus_in_colour() -> None:
    image = nuclei_image().astype(float)
    labels = segment(image, Params()).labels
    rgb = overlay(image, labels)
    assert rgb.shape == (*FIELD_SHAPE, 3) and rgb.dtype == np.uint8
    background = rgb[labels == 0]
    assert np.array_equal(background[:, 0], background[:, 1])  # grey stays grey
    for label in range(1, labels.max() + 1):
        pixels = rgb[labels == label].astype(int)
        assert (np.ptp(pixels, axis=1) > 60).any(), f"nucleus {label} has no coloured outline"


@pytest.mark.parametrize(
    ("name", "array", "shape"),
    [
        ("grey.png", np.zeros((5, 7), np.uint8), (5, 7)),
        ("rgba.png", np.zeros((5, 7, 4), np.uint8), (5, 7, 3)),
        ("grey-alpha.png", np.zeros((5, 7, 2), np.uint8), (5, 7)),
        ("rgb.jpg", np.zeros((8, 8, 3), np.uint8), (8, 8, 3)),
        ("deep.tif", np.zeros((5, 7), np.uint16), (5, 7)),
        ("channels-first.tif", np.zeros((3, 9, 11), np.uint16), (9, 11, 3)),
    ],
)
def test_it_loads_images_as_y_x_channels(
    tmp_path: Path, name: str, array: np.ndarray, shape: tuple[int, ...]
) -> None:
    path = tmp_path / name
    if path.suffix == ".tif":
        tifffile.imwrite(path, array, photometric="minisblack")
    else:
        iio.imwrite(path, array)
    assert load_image(path).shape == shape


def test_it_refuses_stacks_and_unreadable_files(tmp_path: Path) -> None:
    tifffile.imwrite(
        tmp_path / "stack.tif", np.zeros((12, 9, 11), np.uint16), photometric="minisblack"
    )
    with pytest.raises(ImageError, match=r"has shape \(12, 9, 11\); expected a 2-D image"):
        load_image(tmp_path / "stack.tif")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ImageError, match="cannot read it as a PNG image"):
        load_image(tmp_path / "broken.png")


def test_output_names_stay_distinct() -> None:
    assert output_stems(["a.png", "raw/b.tif"]) == {"a.png": "a", "raw/b.tif": "b"}
    assert output_stems(["x/a.png", "y/a.png", "a.tif", "a.png"]) == {
        "x/a.png": "x__a",
        "y/a.png": "y__a",
        "a.tif": "a",
        "a.png": "a_2",
    }
