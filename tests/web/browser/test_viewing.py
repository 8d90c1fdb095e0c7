"""Files in real Chromium against gunicorn: an image opens in the browser, an SVG never does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from tests.fixtures.browser import save_screenshot
from tests.web.browser.conftest import USERNAME, create_project, serve_web, sign_in

pytestmark = pytest.mark.browser

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<script>document.title = "ran"</script></svg>')


@pytest.fixture(scope="module")
def served(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:  # noqa: ANN001
    """(base URL, DATA_ROOT): files are put in place as a pipeline would write them."""
    root = tmp_path_factory.mktemp("viewing")
    with serve_web(postgres_database_factory, root) as url:
        yield url, root / "data"


@pytest.fixture(scope="module")
def web_server(served: tuple[str, Path]) -> str:
    """Overrides the plain server: `page` opens this one."""
    return served[0]


def test_an_image_opens_inline_and_an_svg_downloads(page, served: tuple[str, Path],
                                                    screenshot: Callable) -> None:  # noqa: ANN001
    sign_in(page)
    create_project(page, "views")
    folder = served[1] / USERNAME / "views"
    Image.new("RGB", (40, 20), "red").save(folder / "cells.png")
    (folder / "drawing.svg").write_text(SVG)
    page.reload()
    screenshot("listing")

    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="View cells.png").click()
    shown = popup_info.value
    shown.wait_for_load_state()
    assert shown.evaluate("document.contentType") == "image/png"
    assert shown.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]"
                          ) == [40, 20]
    shown.close()

    assert page.get_by_role("link", name="View drawing.svg").count() == 0
    # Even opened by its URL (no download attribute), the SVG is saved, never rendered.
    with page.expect_download() as download_info:
        try:
            page.goto("/projects/views/file/drawing.svg")
        except PlaywrightError:
            pass  # Chromium aborts the navigation when it turns into a download
    assert Path(download_info.value.path()).read_text() == SVG
    assert page.title() != "ran"


def test_a_big_overlay_opens_zoomable_over_its_input(page, served: tuple[str, Path]
                                                     ) -> None:  # noqa: ANN001
    """Issue #12: an image larger than a screen opens in OpenSeadragon from DZI tiles; the
    overlay's checkbox takes it off its input and puts it back."""
    sign_in(page)
    create_project(page, "zoom")
    folder = served[1] / USERNAME / "zoom"
    (folder / "results").mkdir()
    Image.new("RGB", (2600, 1200), INPUT).save(folder / "field.png")
    Image.new("RGB", (2600, 1200), OVERLAID).save(folder / "results" / "field_overlay.png")
    tiles: list[tuple[str, int]] = []
    page.on("response", lambda response: tiles.append((response.url, response.status))
            if "_files/" in response.url else None)
    page.goto("/projects/zoom/browse/results")
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="View field_overlay.png").click()
    shown = popup_info.value
    shown.on("response", lambda response: tiles.append((response.url, response.status))
             if "_files/" in response.url else None)
    shown.wait_for_load_state()
    checkbox = shown.get_by_label("Show the overlay")
    checkbox.wait_for()

    # Drawn: the overlay (magenta) over its input, from tiles of both images.
    wait_for_centre(shown, OVERLAID)
    assert any("/results/field_overlay.png_files/" in url and status == 200
               for url, status in tiles)
    assert any("/zoom/dzi/field.png_files/" in url and status == 200 for url, status in tiles)
    save_screenshot(shown, "deepzoom-overlay")
    checkbox.uncheck()
    wait_for_centre(shown, INPUT)
    save_screenshot(shown, "deepzoom-input")
    checkbox.check()
    wait_for_centre(shown, OVERLAID)
    assert all(status in (200, 304) for _, status in tiles), tiles


INPUT, OVERLAID = (40, 40, 40), (230, 20, 200)


def wait_for_centre(shown, colour: tuple[int, int, int]) -> None:  # noqa: ANN001
    """Until the viewer's canvas shows `colour` at its centre (JPEG tiles: within 12)."""
    shown.wait_for_function("""(colour) => {
        const canvas = document.querySelector('#deepzoom .openseadragon-canvas canvas');
        if (!canvas || !canvas.width) return false;
        const [x, y] = [Math.floor(canvas.width / 2), Math.floor(canvas.height / 2)];
        const pixel = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
        return colour.every((value, band) => Math.abs(pixel[band] - value) < 12);
    }""", arg=list(colour))
