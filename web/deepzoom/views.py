"""The deep-zoom viewer page of a project image, its DZI descriptor and its tiles.

/projects/<project>/zoom/<path>: images larger than a screen (either side over
DEEPZOOM_SCREEN_SIDE, read from the header) and TIFFs (which browsers do not render) open in
OpenSeadragon; smaller PNG/JPEG images redirect to the file as it is. A result overlay with a
paired input (deepzoom.pairing) shows over that input, with a toggle and an opacity slider.
/projects/<project>/dzi/<path>.dzi and .../dzi/<path>_files/<level>/<col>_<row>.<fmt>: the
tiles, made on demand (deepzoom.tiles), revalidated by the file's ETag (304 without decoding).
A big PNG or JPEG's tiles come from its cached pyramid once that is built (deepzoom.pyramids,
started by its first descriptor or tile request).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, BinaryIO

from django.conf import settings
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from deepzoom import levels, pyramids, tiles
from deepzoom.pairing import input_candidates
from deepzoom.tiffcache import Pages
from projects.filesend import Validators
from projects.inlinetypes import is_inline_name
from projects.lookup import Project, get_project_for_user
from projects.paths import check_relative


logger = logging.getLogger(__name__)

RENDER_WAIT_S = 20.0  # under gunicorn's 30 s worker timeout
REVALIDATE = "private, no-cache"  # the file may change under the same URL: always ask (304)
TILE_VERSION = "dz1"  # in every ETag: a change to how tiles are drawn makes new ones
_renders: threading.BoundedSemaphore | None = None
_renders_lock = threading.Lock()
NAV_BUTTONS = {"zoomIn": "zoomin", "zoomOut": "zoomout", "home": "home", "fullpage": "fullpage"}
NAV_STATES = {"REST": "rest", "GROUP": "grouphover", "HOVER": "hover", "DOWN": "pressed"}


def _render_slots() -> threading.BoundedSemaphore:
    """Tiles decoded at once in this process (DEEPZOOM_MAX_RENDERS): their memory adds up."""
    global _renders
    with _renders_lock:
        if _renders is None:
            _renders = threading.BoundedSemaphore(settings.DEEPZOOM_MAX_RENDERS)
        return _renders


def _max_pixels() -> int:
    return settings.DEEPZOOM_MAX_MEGAPIXELS * 10**6


def _dzi_url(project: str, path: str) -> str:
    return reverse("deepzoom-dzi", args=[project, f"{path}.dzi"])


def _paired_input(found: Project, overlay: str, header: tiles.Header) -> str | None:
    """The overlay's input image (deepzoom.pairing), if it is there and of the same size."""
    for candidate in input_candidates(overlay):
        try:
            with found.file(candidate) as handle:
                other = tiles.read_header(handle, _max_pixels())
        except (Http404, tiles.Unviewable):
            continue
        if (other.width, other.height) == (header.width, header.height):
            return candidate
    return None


def _viewer_config(found: Project, path: str, paired: str | None) -> dict[str, Any]:
    prefix = "vendor/openseadragon-6.1.1/"
    return {
        "image": _dzi_url(found.name, paired or path),
        "overlay": _dzi_url(found.name, path) if paired else None,
        "navImages": {button: {state: static(f"{prefix}{name}_{suffix}.png")
                               for state, suffix in NAV_STATES.items()}
                      for button, name in NAV_BUTTONS.items()},
    }


@require_safe
@owner_required
def viewer(request: OwnedRequest, project: str, path: str) -> HttpResponseBase:
    found = get_project_for_user(request, project)
    name = check_relative(path)[-1] if check_relative(path) else ""
    context: dict[str, Any] = {"project": found, "path": path, "name": name, "problem": ""}
    with found.file(path) as handle:
        try:
            header = tiles.read_header(handle, _max_pixels())
        except tiles.TooManyPixels as error:
            context["problem"] = f"{error} Download it to look at it."
            return render(request, "deepzoom/viewer.html", context, status=422)
        except tiles.Unviewable as error:
            if is_inline_name(name):
                return redirect("projects-file", found.name, path)
            context["problem"] = str(error)
            return render(request, "deepzoom/viewer.html", context, status=422)
    screen = settings.DEEPZOOM_SCREEN_SIDE
    if max(header.width, header.height) <= screen and is_inline_name(name):
        return redirect("projects-file", found.name, path)  # the browser shows it as it is
    paired = _paired_input(found, path, header)
    # A data attribute, not a <script> block: the page has no inline code of any kind.
    config_json = json.dumps(_viewer_config(found, path, paired))
    context.update(header=header, paired=paired, config=True, config_json=config_json)
    return render(request, "deepzoom/viewer.html", context)


@require_safe
@owner_required
def dzi(request: OwnedRequest, project: str, path: str) -> HttpResponseBase:
    """The descriptor (`<image>.dzi`) or one tile (`<image>_files/<level>/<col>_<row>.<fmt>`)."""
    found = get_project_for_user(request, project)
    tile = levels.parse_tile_path(path)
    image = tile.image if tile else path[: -len(".dzi")] if path.endswith(".dzi") else None
    if image is None:
        raise Http404("No such tile")
    with found.file(image) as handle:
        return _answer(request, handle, tile)


def _answer(request: OwnedRequest, handle: BinaryIO, tile: levels.TileRequest | None
            ) -> HttpResponseBase:
    found = Validators.of(handle)
    assert found.etag is not None  # a file on disk
    part = "dzi" if tile is None else f"{tile.level}-{tile.col}-{tile.row}"
    etag = f'{found.etag[:-1]}-{TILE_VERSION}-{part}"'
    headers = {"Cache-Control": REVALIDATE, "ETag": etag, "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "sandbox"}
    if found.last_modified is not None:
        headers["Last-Modified"] = http_date(found.last_modified)
    unconditional = HttpResponse(headers=headers)
    answer = get_conditional_response(request, etag=etag, last_modified=found.last_modified,
                                      response=unconditional)
    if answer is not unconditional:  # 304 or 412: nothing decoded
        return answer
    pages = None
    try:
        header = tiles.read_header(handle, _max_pixels())
        pages = pyramids.pages_for(handle, header)  # or its build starts, in the background
        if tile is None:
            body = levels.descriptor(header.pyramid, header.tile_format).encode()
            return HttpResponse(body, content_type="application/xml", headers=headers)
        if (header.pyramid.box(tile.level, tile.col, tile.row) is None
                or tile.format != header.tile_format):
            raise Http404("No such tile")
        body = _render(handle, header, found.etag, tile, pages)
    except tiles.Unviewable as error:
        return HttpResponse(f"{error}\n", status=422, content_type="text/plain; charset=utf-8")
    finally:
        if pages is not None:
            pages.close()
    if body is None:
        return HttpResponse("Too many tiles are being drawn; try again.\n", status=503,
                            content_type="text/plain; charset=utf-8",
                            headers={"Retry-After": "2"})
    return HttpResponse(body, content_type=f"image/{tile.format}", headers=headers)


def _render(handle: BinaryIO, header: tiles.Header, version: str,
            tile: levels.TileRequest, pages: Pages | None) -> bytes | None:
    """The tile (from the cached pyramid if any), or None when no render slot freed up in time."""
    slots = _render_slots()
    if not slots.acquire(timeout=RENDER_WAIT_S):
        return None
    try:
        if pages is not None:
            try:
                return tiles.render_tile(handle, header, version, tile.level, tile.col,
                                         tile.row, pages)
            except tiles.BrokenPages as error:
                logger.warning("deep-zoom pyramid of %s is broken (%s); removed", version, error)
                pyramids.drop(pages.key)
        return tiles.render_tile(handle, header, version, tile.level, tile.col, tile.row)
    finally:
        slots.release()
