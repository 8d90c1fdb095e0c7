"""Images for the deep-zoom tests, drawn with libvips straight into a project folder."""

from __future__ import annotations

from pathlib import Path

import pyvips
import pytest

from tests.web.conftest import Actor

BIG = (3000, 2000)  # over DEEPZOOM_SCREEN_SIDE (2048) on one side: opens in the viewer


def gradient(width: int, height: int) -> pyvips.Image:
    """An RGB image whose every pixel says where it is: red from x, green from y."""
    xy = pyvips.Image.xyz(width, height)
    red = (xy[0] * (255 / max(width - 1, 1))).cast("uchar")
    green = (xy[1] * (255 / max(height - 1, 1))).cast("uchar")
    return red.bandjoin([green, green * 0 + 128]).copy(interpretation="srgb")


@pytest.fixture
def cells(alice: Actor) -> Path:
    """alice's project: a big PNG and its overlay, a small PNG, a 16-bit TIFF, a JPEG."""
    project = alice.project("cells", {"results": None})
    gradient(*BIG).pngsave(str(project / "field.png"))
    (gradient(*BIG) * 0 + 255).cast("uchar").pngsave(str(project / "results" /
                                                          "field_overlay.png"))
    gradient(300, 200).pngsave(str(project / "small.png"))
    xy = pyvips.Image.xyz(2600, 900)
    (xy[0] + 1000).cast("ushort").tiffsave(str(project / "grey16.tif"), tile=True)
    gradient(*BIG).jpegsave(str(project / "photo.jpg"))
    return project


@pytest.fixture
def pyramid_cache(web_settings):  # noqa: ANN001, ANN201
    """The deep-zoom pyramid cache on (in its default place, DATA_ROOT/.cache/deepzoom); every
    build a test started has ended before its DATA_ROOT goes."""
    from deepzoom import pyramids

    web_settings.DEEPZOOM_CACHE_MAX_BYTES = 2**30
    web_settings.DEEPZOOM_CACHE_MIN_FREE_PERCENT = 0  # however full this machine's disk is
    yield Path(web_settings.DATA_ROOT) / ".cache" / "deepzoom"
    pyramids.wait_for_builds()
