"""Which project files the images argument selects, and that paths never leave the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nuclei_segmentation.errors import ArgsError
from nuclei_segmentation.project_paths import (
    check_relative,
    find_images,
    match_images,
    resolve_inside,
)

FILES = [
    "a.png",
    "b.TIF",
    "notes.txt",
    "raw/c.tiff",
    "raw/deep/d.jpg",
    "raw/deep/e.jpeg",
    "results/a_overlay.png",
    ".kubeshowcase/hidden.png",
    "raw/.thumbs/f.png",
    "plate[1]/g.png",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.png", ["a.png"]),
        ("*", ["a.png", "b.TIF"]),
        (
            "**/*",
            ["a.png", "b.TIF", "plate[1]/g.png", "raw/c.tiff", "raw/deep/d.jpg", "raw/deep/e.jpeg"],
        ),
        ("**/*.png", ["a.png", "plate[1]/g.png"]),
        ("raw/*", ["raw/c.tiff"]),
        ("raw/**", ["raw/c.tiff", "raw/deep/d.jpg", "raw/deep/e.jpeg"]),
        ("raw/**/*.jp*g", ["raw/deep/d.jpg", "raw/deep/e.jpeg"]),
        ("raw/deep/?.jpg", ["raw/deep/d.jpg"]),
        ("raw/deep/[!d].*", ["raw/deep/e.jpeg"]),
        ("a.png", ["a.png"]),
        ("./raw/./*", ["raw/c.tiff"]),
        ("notes.txt", []),
        ("plate[[]1]/*", ["plate[1]/g.png"]),
    ],
)
def test_it_matches_globs_like_a_shell_with_double_star(pattern: str, expected: list[str]) -> None:
    assert match_images(pattern, FILES, exclude=["results"]) == expected


def test_it_skips_the_output_folder_and_hidden_folders() -> None:
    assert "results/a_overlay.png" in match_images("**/*.png", FILES)
    assert match_images("**/*_overlay.png", FILES, exclude=["results"]) == []
    assert match_images("**/hidden.png", FILES) == []


def test_it_normalises_relative_paths() -> None:
    assert check_relative("./raw/a.png", "image") == "raw/a.png"
    assert check_relative("results/", "output_dir") == "results"


def test_it_finds_images_on_disk(tmp_path: Path) -> None:
    for name in ["a.png", "raw/b.tif", "raw/notes.txt", "results/old_overlay.png"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert find_images(tmp_path, "**/*", exclude=["results"]) == ["a.png", "raw/b.tif"]
    assert find_images(tmp_path, ["raw/b.tif", "a.png", "./a.png"]) == ["raw/b.tif", "a.png"]


def test_it_says_when_nothing_matches(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ArgsError, match=r"no images match '\*\*/\*.png' in the project folder"):
        find_images(tmp_path, "**/*.png")


def test_it_names_every_listed_file_that_is_missing_or_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("text")
    with pytest.raises(ArgsError) as error:
        find_images(tmp_path, ["gone.png", "notes.txt"])
    assert str(error.value) == (
        "images: 'gone.png' does not exist; 'notes.txt' is not a PNG, TIFF or JPEG file"
    )


def test_it_refuses_symlinks_that_lead_outside_the_project(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"x")
    (project / "inside.png").write_bytes(b"x")
    os.symlink(outside / "secret.png", project / "link.png")
    os.symlink(outside, project / "linked-folder")
    with pytest.raises(ArgsError, match=r"'link\.png' leads outside the project folder"):
        resolve_inside(project, "link.png", "image")
    with pytest.raises(ArgsError, match="leads outside the project folder"):
        find_images(project, ["linked-folder/secret.png"])
    assert find_images(project, "**/*") == ["inside.png"]
