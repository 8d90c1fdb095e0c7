"""The viewer page (deepzoom.views.viewer): who gets it, what it loads, the overlay's pairing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from django.urls import reverse

from tests.web.conftest import Actor


def viewer(path: str, project: str = "cells") -> str:
    return reverse("deepzoom-viewer", args=[project, path])


def config_of(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.content[:500]
    found = re.search(r'<div id="deepzoom" [^>]*data-config="([^"]*)"', response.content.decode())
    assert found is not None
    return json.loads(html.unescape(found.group(1)))


def test_a_big_image_opens_in_the_viewer(alice: Actor, cells: Path) -> None:
    config = config_of(alice.client.get(viewer("field.png")))
    assert config["image"] == reverse("deepzoom-dzi", args=["cells", "field.png.dzi"])
    assert config["overlay"] is None
    assert config["navImages"]["zoomIn"]["REST"].endswith("zoomin_rest.png")


def test_a_small_image_opens_as_it_is(alice: Actor, cells: Path) -> None:
    response = alice.client.get(viewer("small.png"))
    assert response.status_code == 302
    assert response["Location"] == reverse("projects-file", args=["cells", "small.png"])


def test_a_tiff_always_opens_in_the_viewer(alice: Actor, cells: Path) -> None:
    assert config_of(alice.client.get(viewer("grey16.tif")))["image"].endswith("grey16.tif.dzi")


def test_an_overlay_shows_over_its_input(alice: Actor, cells: Path) -> None:
    response = alice.client.get(viewer("results/field_overlay.png"))
    config = config_of(response)
    assert config["image"] == reverse("deepzoom-dzi", args=["cells", "field.png.dzi"])
    assert config["overlay"] == reverse("deepzoom-dzi",
                                        args=["cells", "results/field_overlay.png.dzi"])
    assert b'id="deepzoom-overlay"' in response.content and b'id="deepzoom-opacity"' in (
        response.content)


def test_an_input_of_another_size_is_no_pair(alice: Actor, cells: Path) -> None:
    (cells / "field.png").write_bytes((cells / "small.png").read_bytes())
    response = alice.client.get(viewer("results/field_overlay.png"))
    assert config_of(response)["overlay"] is None and b"deepzoom-overlay" not in response.content


def test_an_image_over_the_limit_says_so(alice: Actor, cells: Path, settings) -> None:  # noqa: ANN001
    settings.DEEPZOOM_MAX_MEGAPIXELS = 1
    response = alice.client.get(viewer("field.png"))
    assert response.status_code == 422
    assert "more than the viewer&#x27;s limit of 1 megapixels" in response.content.decode()


def test_a_file_that_is_no_image_offers_its_download(alice: Actor, cells: Path) -> None:
    (cells / "scan.tif").write_bytes(b"not a tiff at all")
    response = alice.client.get(viewer("scan.tif"))
    assert response.status_code == 422 and b"Only PNG, JPEG and TIFF" in response.content
    fake = alice.client.get(viewer("fake.png")) if (cells / "fake.png").write_bytes(b"x") else None
    assert fake is not None and fake.status_code == 302  # the file as today: a download


def test_the_folder_page_links_images_to_the_viewer(alice: Actor, cells: Path) -> None:
    content = alice.client.get(reverse("projects-detail", args=["cells"])).content.decode()
    for name in ("field.png", "small.png", "grey16.tif", "photo.jpg"):
        assert f'class="view" href="{viewer(name)}"' in content
    assert f'href="{viewer("results")}"' not in content
