"""The DZI descriptor and tiles of a project image (deepzoom.views.dzi), through the test client."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from deepzoom.levels import DZI_NS, Pyramid
from tests.web.conftest import Actor
from tests.web.deepzoom.conftest import BIG
from tests.web.planted import Decoys


def dzi(path: str, project: str = "cells") -> str:
    return reverse("deepzoom-dzi", args=[project, path])


def tile_of(response) -> Image.Image:  # noqa: ANN001
    assert response.status_code == 200, response.content[:300]
    return Image.open(io.BytesIO(response.content))


def test_the_descriptor_gives_size_tiles_and_format(alice: Actor, cells: Path) -> None:
    response = alice.client.get(dzi("field.png.dzi"))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.attrib == {"Format": "jpeg", "Overlap": "1", "TileSize": "254"}
    size = root.find(f"{{{DZI_NS}}}Size")
    assert size is not None and (size.get("Width"), size.get("Height")) == ("3000", "2000")
    assert response["ETag"] and "no-cache" in response["Cache-Control"]


def test_a_full_size_tile_holds_its_pixels(alice: Actor, cells: Path) -> None:
    level = Pyramid(*BIG).max_level
    response = alice.client.get(dzi(f"field.png_files/{level}/2_1.jpeg"))
    assert response["Content-Type"] == "image/jpeg"
    with tile_of(response) as tile:
        assert tile.size == (256, 256)
        red, green, _ = tile.convert("RGB").getpixel((1, 1))  # full-size (508, 254)
        assert abs(red - 508 * 255 / 2999) < 6 and abs(green - 254 * 255 / 1999) < 6


def test_edge_tiles_are_cut_at_the_image_edge(alice: Actor, cells: Path) -> None:
    level = Pyramid(*BIG).max_level
    columns, rows = Pyramid(*BIG).tiles(level)
    with tile_of(alice.client.get(dzi(f"field.png_files/{level}/{columns - 1}_{rows - 1}.jpeg"))
                 ) as tile:
        assert tile.size == (3000 - (columns - 1) * 254 + 1, 2000 - (rows - 1) * 254 + 1)
    beyond = alice.client.get(dzi(f"field.png_files/{level}/{columns}_0.jpeg"))
    assert beyond.status_code == 404
    assert alice.client.get(dzi(f"field.png_files/{level + 1}/0_0.jpeg")).status_code == 404
    assert alice.client.get(dzi(f"field.png_files/{level}/0_0.png")).status_code == 404


@pytest.mark.parametrize(("level", "size"), [(0, (1, 1)), (6, (47, 32)), (8, (188, 125)),
                                             (10, (255, 255))])
def test_lower_levels_are_the_image_shrunk(alice: Actor, cells: Path, level: int,
                                           size: tuple[int, int]) -> None:
    with tile_of(alice.client.get(dzi(f"field.png_files/{level}/0_0.jpeg"))) as tile:
        assert tile.size == size
        if level == 8:  # the far corner of the level keeps the image's colours
            red, green, _ = tile.convert("RGB").getpixel((size[0] - 1, size[1] - 1))
            assert red > 240 and green > 240


def test_a_16_bit_tiff_is_stretched_to_8_bits(alice: Actor, cells: Path) -> None:
    level = Pyramid(2600, 900).max_level
    root = ET.fromstring(alice.client.get(dzi("grey16.tif.dzi")).content)
    assert root.get("Format") == "jpeg"
    with tile_of(alice.client.get(dzi(f"grey16.tif_files/{level - 4}/0_0.jpeg"))) as tile:
        grey = tile.convert("L")
        left, right = grey.getpixel((2, 50)), grey.getpixel((tile.width - 3, 50))
        assert left < 20 and right > 235  # 1000..3599 spread over 0..255, not >> 8


def test_a_jpeg_is_tiled_too(alice: Actor, cells: Path) -> None:
    with tile_of(alice.client.get(dzi("photo.jpg_files/5/0_0.jpeg"))) as tile:
        assert tile.size == (24, 16)


def test_an_unchanged_tile_is_not_sent_again(alice: Actor, cells: Path) -> None:
    first = alice.client.get(dzi("field.png_files/9/0_0.jpeg"))
    again = alice.client.get(dzi("field.png_files/9/0_0.jpeg"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    other = alice.client.get(dzi("field.png_files/9/1_0.jpeg"))
    assert other["ETag"] != first["ETag"]
    (cells / "field.png").write_bytes((cells / "small.png").read_bytes())  # a new version
    changed = alice.client.get(dzi("field.png_files/9/0_0.jpeg"),
                               HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    with tile_of(changed) as tile:
        assert tile.size == (255, 200)  # the small image's first tile at full size


@pytest.mark.parametrize("kind", ["link-bob-file", "link-passwd", "fifo", "folder"])
def test_a_planted_name_is_refused(alice: Actor, cells: Path, decoys: Decoys,
                                   kind: str) -> None:
    decoys.plant(cells / "trap.png", kind)
    for path in ("trap.png.dzi", "trap.png_files/0/0_0.jpeg"):
        assert alice.client.get(dzi(path)).status_code == 404
    assert alice.client.get(reverse("deepzoom-viewer", args=["cells", "trap.png"])
                            ).status_code == 404


def test_a_link_on_the_way_is_refused(alice: Actor, cells: Path) -> None:
    (cells / "via").symlink_to(cells / "results")
    assert alice.client.get(dzi("via/field_overlay.png.dzi")).status_code == 404


def test_an_image_over_the_pixel_limit_is_refused_with_a_reason(
        alice: Actor, cells: Path, settings) -> None:  # noqa: ANN001
    settings.DEEPZOOM_MAX_MEGAPIXELS = 5  # field.png is 6 megapixels
    for path in ("field.png.dzi", "field.png_files/12/0_0.jpeg"):
        response = alice.client.get(dzi(path))
        assert response.status_code == 422
        assert "3,000 × 2,000 pixels, more than the viewer's limit of 5 megapixels" in (
            response.content.decode())


def test_what_is_no_image_is_refused_with_a_reason(alice: Actor, cells: Path) -> None:
    (cells / "notes.png").write_bytes(b"<html><script>alert(1)</script>")
    (cells / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (cells / "cut.png").write_bytes((cells / "field.png").read_bytes()[:4000])
    assert b"Only PNG, JPEG and TIFF" in alice.client.get(dzi("notes.png.dzi")).content
    response = alice.client.get(dzi("junk.png_files/0/0_0.jpeg"))
    assert response.status_code == 422 and b"This image cannot be read" in response.content
    # A cut file shows what it holds, as a browser shows it (the rest black): no error page.
    assert alice.client.get(dzi("cut.png_files/12/11_7.jpeg")).status_code == 200


def test_someone_elses_image_does_not_exist(bob: Actor, alice: Actor, cells: Path) -> None:
    for path in ("field.png.dzi", "field.png_files/0/0_0.jpeg"):
        assert bob.client.get(dzi(path)).status_code == 404
    assert bob.client.get(reverse("deepzoom-viewer", args=["cells", "field.png"])
                          ).status_code == 404


def test_it_rejects_post(alice: Actor, cells: Path) -> None:
    assert alice.client.post(dzi("field.png.dzi")).status_code == 405
