"""Big PNGs' tiles through the views once their pyramid is cached (deepzoom.pyramids): the
first view builds it in the background, later tiles come from it, and a changed or broken one
is never served."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from deepzoom import pyramids, tiffcache
from deepzoom.levels import Pyramid
from tests.web.conftest import Actor
from tests.web.deepzoom.conftest import BIG, gradient
from tests.web.deepzoom.test_tiffcache import pixels

TOP = Pyramid(*BIG).max_level


def dzi(path: str) -> str:
    return reverse("deepzoom-dzi", args=["cells", path])


def white(size: tuple[int, int]):  # noqa: ANN201
    return (gradient(*size) * 0 + 255).cast("uchar").copy(interpretation="srgb")


def pyramid_files(cache: Path) -> list[str]:
    return sorted(name for name in os.listdir(cache) if name.endswith(".tif"))


def first_view(alice: Actor, cache: Path) -> str:
    """Open field.png's descriptor, as the viewer does first; the name of the pyramid built."""
    assert alice.client.get(dzi("field.png.dzi")).status_code == 200
    pyramids.wait_for_builds()
    built = pyramid_files(cache)
    assert len(built) == 1
    return built[0]


def test_the_first_view_builds_the_pyramid_tiles_then_come_from(
        alice: Actor, cells: Path, pyramid_cache: Path, web_settings) -> None:  # noqa: ANN001
    tile = dzi(f"field.png_files/{TOP}/5_3.jpeg")
    web_settings.DEEPZOOM_CACHE_MAX_BYTES = 0
    slow = alice.client.get(tile)
    web_settings.DEEPZOOM_CACHE_MAX_BYTES = 2**30
    name = first_view(alice, pyramid_cache)
    info = os.stat(cells / "field.png")
    assert name == f"{tiffcache.key_of(info)}.tif"
    cached = alice.client.get(tile)
    assert cached.status_code == slow.status_code == 200
    assert cached.content == slow.content and cached["ETag"] == slow["ETag"]
    # Proof that the tile came from the pyramid: one of a white image in its place shows.
    white(BIG).tiffsave(str(pyramid_cache / name), **tiffcache.TIFF_OPTIONS)
    assert pixels(alice.client.get(tile).content).min() >= 250


def test_a_changed_image_is_not_served_from_the_old_pyramid(
        alice: Actor, cells: Path, pyramid_cache: Path) -> None:
    old = first_view(alice, pyramid_cache)
    white(BIG).pngsave(str(cells / "field.png"))  # the same size, other pixels
    response = alice.client.get(dzi(f"field.png_files/{TOP}/5_3.jpeg"))
    assert response.status_code == 200
    assert pixels(response.content).min() >= 250  # the new image's pixels
    pyramids.wait_for_builds()
    assert old in pyramid_files(pyramid_cache) and len(pyramid_files(pyramid_cache)) == 2


def test_a_broken_pyramid_is_removed_and_built_again(
        alice: Actor, cells: Path, pyramid_cache: Path, web_settings) -> None:  # noqa: ANN001
    name = first_view(alice, pyramid_cache)
    tile = dzi(f"field.png_files/{TOP}/5_3.jpeg")
    good = alice.client.get(tile).content
    (pyramid_cache / name).write_bytes(b"II*\x00" + bytes(4096))  # as a crash might leave it
    again = alice.client.get(tile)
    assert again.status_code == 200 and again.content == good  # the slow way, meanwhile
    pyramids.wait_for_builds()
    assert pyramid_files(pyramid_cache) == [name]
    assert (pyramid_cache / name).stat().st_size > 4100
    assert alice.client.get(tile).content == good


def test_cleanup_removes_pyramids_past_the_bound(
        alice: Actor, cells: Path, pyramid_cache: Path, web_settings) -> None:  # noqa: ANN001
    first_view(alice, pyramid_cache)
    call_command("cleanup")
    assert len(pyramid_files(pyramid_cache)) == 1  # within the bound: kept
    web_settings.DEEPZOOM_CACHE_MAX_BYTES = 0  # the cache turned off: all of it goes
    call_command("cleanup")
    assert pyramid_files(pyramid_cache) == []
