"""results.contained: Pillow runs in a forked child that is stopped past its memory or time,
and the worker carries on."""

from __future__ import annotations

import io
from pathlib import Path

import psutil
import pytest
from PIL import Image

from results.contained import render_contained
from results.preview import NotAnImage, TooLarge
from tests.fixtures.images import write_png_bomb

LIMIT = 50 * 10**6


def test_it_makes_a_thumbnail_in_a_child(tmp_path: Path) -> None:
    Image.new("RGB", (640, 320), "red").save(tmp_path / "a.png")
    with (tmp_path / "a.png").open("rb") as handle:
        made = render_contained(handle, LIMIT, memory_bytes=256 * 2**20)
    with Image.open(io.BytesIO(made)) as thumb:
        assert (thumb.format, thumb.size) == ("PNG", (320, 160))


def test_a_child_past_its_memory_is_refused(tmp_path: Path) -> None:
    """A 49 MP image needs ~190 MB to decode: with 32 MiB it is refused, not the worker hurt."""
    big = write_png_bomb(tmp_path / "big.png", 7000, 7000, "RGB", level=1)
    with big.open("rb") as handle, pytest.raises(TooLarge, match="memory"):
        render_contained(handle, LIMIT, memory_bytes=32 * 2**20)


def test_a_child_past_its_time_is_killed(tmp_path: Path) -> None:
    big = write_png_bomb(tmp_path / "big.png", 7000, 7000, "RGB", level=1)
    with big.open("rb") as handle, pytest.raises(TooLarge, match="SIGKILL"):
        render_contained(handle, LIMIT, memory_bytes=512 * 2**20, wall_seconds=0.05)


def test_no_child_is_left_behind(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"not an image")
    before = {child.pid for child in psutil.Process().children()}
    for memory in (64 * 2**20, 1):  # refused by Pillow; unable to even start
        with (tmp_path / "x.png").open("rb") as handle, pytest.raises(NotAnImage):
            render_contained(handle, LIMIT, memory_bytes=memory)
    assert {child.pid for child in psutil.Process().children()} == before
