"""The overlay ↔ input pairing rule (deepzoom.pairing), from what pipelines/nuclei writes."""

from __future__ import annotations

import pytest

from deepzoom.pairing import input_candidates


@pytest.mark.parametrize(("overlay", "first"), [
    ("results/field-01_overlay.png", "field-01.tif"),
    ("results/run-7/field-01_overlay.png", "field-01.tif"),  # a per-run folder
    ("results/plate1__a1_overlay.png", "plate1/a1.tif"),  # stems that clashed: the path
])
def test_an_overlay_names_its_input(overlay: str, first: str) -> None:
    candidates = input_candidates(overlay)
    assert candidates[0] == first
    assert {c.rpartition(".")[2] for c in candidates} == {"tif", "tiff", "png", "jpg", "jpeg"}


@pytest.mark.parametrize("name", [
    "results/field.png", "results/_overlay.png", "results/field_overlay.jpg",
    "results/a____b_overlay.png", "results/..__x_overlay.png",
])
def test_other_files_have_no_input(name: str) -> None:
    assert input_candidates(name) == ()
