"""Thumbnails: made only from regular image files whose header is small enough, kept in
DATA_ROOT/.cache/thumbnails/<owner>/<project>/ where no pipeline reaches, outside quotas, and
pruned when their source goes."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from results import preview
from results.contained import render_contained
from results.thumbnails import Source, prune_all_thumbnails, prune_thumbnails
from tests.fixtures.images import (
    write_lying_png,
    write_lying_tiff,
    write_png_bomb,
    write_png_with_big_chunk,
    write_webp_with_tail,
)
from tests.web.conftest import Actor, tree
from tests.web.results.conftest import Archive
from tests.web.planted import BOB_ONLY_NAME, PLANTS, Decoys, body_of


def cache_root() -> Path:
    return Path(settings.DATA_ROOT) / ".cache" / "thumbnails"


def url(relative: str, project: str = "cells") -> str:
    return reverse("results-thumbnail", args=[project, relative])


@pytest.fixture
def cells(alice: Actor) -> Path:
    project = alice.project("cells", {"results": None})
    Image.new("RGB", (64, 32), "red").save(project / "results" / "a.png")
    return project


def test_it_is_made_in_the_cache_with_its_record(alice: Actor, cells: Path) -> None:
    project_before = tree(cells)
    response = alice.client.get(url("results/a.png"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(body_of(response))) as thumb:
        assert thumb.size == (64, 32)
    made = sorted(p.name for p in (cache_root() / "alice" / "cells").iterdir())
    assert len(made) == 2 and made[0].endswith(".json") and made[1].endswith(".png")
    assert made[0][:-5] == made[1][:-4]
    assert tree(cells) == project_before  # nothing written into the project


def test_an_old_in_project_thumbnail_is_never_used(
    alice: Actor, cells: Path, decoys: Decoys
) -> None:
    """The old, predictable cache in the project (a pipeline could plant there) is ignored."""
    info = (cells / "results" / "a.png").stat()
    old_key = f"results/a.png\x00{info.st_mtime_ns}\x00{info.st_size}".encode()
    old = cells / ".kubeshowcase" / "thumbnails" / (hashlib.sha256(old_key).hexdigest() + ".png")
    decoys.plant(old, "link-bob-file")
    before = decoys.checksums()
    response = alice.client.get(url("results/a.png"))
    assert response.status_code == 200
    content = decoys.check(response, before)
    with Image.open(io.BytesIO(content)) as thumb:
        assert thumb.size == (64, 32)
    decoys.plant(cells / ".kubeshowcase" / "thumbnails", "link-bob-folder")
    Image.new("RGB", (20, 20), "blue").save(cells / "results" / "b.png")
    assert alice.client.get(url("results/b.png")).status_code == 200
    assert sorted(os.listdir(decoys.bob_project)) == [BOB_ONLY_NAME, "notes", "results.csv"]
    assert decoys.checksums() == before


@pytest.mark.parametrize("where", ["owner", "project", "cache", "thumbnails"])
def test_a_link_in_the_cache_path_cannot_redirect_writes(
    alice: Actor, cells: Path, decoys: Decoys, where: str
) -> None:
    """Even if a link got into the cache (no pipeline mounts it), the web app never writes
    through it: the thumbnail is served uncached."""
    target = {"owner": cache_root() / "alice", "project": cache_root() / "alice" / "cells",
              "cache": Path(settings.DATA_ROOT) / ".cache",
              "thumbnails": cache_root()}[where]
    decoys.plant(target, "link-bob-folder")
    before = decoys.checksums()
    response = alice.client.get(url("results/a.png"))
    assert response.status_code == 200
    decoys.check(response, before)
    assert sorted(os.listdir(decoys.bob_project)) == [BOB_ONLY_NAME, "notes", "results.csv"]
    assert target.is_symlink()


def test_a_link_at_a_cached_name_is_replaced_not_followed(
    alice: Actor, cells: Path, decoys: Decoys
) -> None:
    alice.client.get(url("results/a.png"))
    [png] = (cache_root() / "alice" / "cells").glob("*.png")
    decoys.plant(png, "link-bob-file")
    before = decoys.checksums()
    response = alice.client.get(url("results/a.png"))
    assert response.status_code == 200
    decoys.check(response, before)
    assert not png.is_symlink() and png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("kind", PLANTS)
def test_a_planted_image_name_is_404(
    alice: Actor, cells: Path, decoys: Decoys, kind: str
) -> None:
    decoys.plant(cells / "results" / "a.png", kind)
    before = decoys.checksums()
    response = alice.client.get(url("results/a.png"))
    assert response.status_code == 404
    decoys.check(response, before)
    assert not (cache_root() / "alice" / "cells").exists() or not list(
        (cache_root() / "alice" / "cells").glob("*.png"))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("make", [
    lambda path: write_png_bomb(path, 16000, 16000, "L", level=1),
    lambda path: write_lying_png(path, 16000, 16000),
    lambda path: write_lying_tiff(path, 16000, 16000),
    lambda path: write_lying_png(path, 10_000, 5_001),
], ids=["real-png-bomb", "png-header", "tiff-header", "just-over-the-limit"])
def test_a_pixel_bomb_is_refused_before_decoding(
    alice: Actor, cells: Path, make  # noqa: ANN001
) -> None:
    bomb = make(cells / "results" / "bomb.png")
    with bomb.open("rb") as handle, pytest.raises(preview.TooLarge):
        preview.render(handle, settings.THUMBNAIL_MAX_MEGAPIXELS * 10**6)
    assert alice.client.get(url("results/bomb.png")).status_code == 404
    assert not list((cache_root() / "alice").rglob("*.png"))


@pytest.mark.parametrize("make", [write_png_with_big_chunk, write_webp_with_tail],
                         ids=["png-100-MiB-chunk", "webp-100-MiB-tail"])
def test_header_parsing_that_costs_memory_is_contained(
    alice: Actor, cells: Path, web_settings, make  # noqa: ANN001
) -> None:
    """Pillow reads these 100 MiB whole before any size check: the decoding child runs out of
    its memory, not the worker."""
    web_settings.THUMBNAIL_MAX_MEMORY = 48 * 2**20
    heavy = make(cells / "results" / "heavy.img", 100 * 2**20)
    with heavy.open("rb") as handle, pytest.raises(preview.TooLarge):
        render_contained(handle, 50 * 10**6, memory_bytes=48 * 2**20)
    assert alice.client.get(url("results/heavy.img")).status_code == 404


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_our_own_limit_holds_below_pillows_backstop(
    alice: Actor, cells: Path, web_settings  # noqa: ANN001
) -> None:
    """Pillow errors only above twice MAX_IMAGE_PIXELS; the header check refuses above once.
    A lying header proves it: decoding it would fail as truncated, not as too large."""
    web_settings.THUMBNAIL_MAX_MEGAPIXELS = 1
    lying = write_lying_tiff(cells / "results" / "big.tif", 1200, 1000)  # 1.2 MP
    with lying.open("rb") as handle, pytest.raises(preview.TooLarge, match="1200×1000"):
        preview.render(handle, 10**6)
    assert alice.client.get(url("results/big.tif")).status_code == 404
    Image.new("L", (1000, 1000)).save(cells / "results" / "ok.png")  # exactly 1 MP
    assert alice.client.get(url("results/ok.png")).status_code == 200


@pytest.mark.parametrize("format_", ["BMP", "PPM", "ICO"])
def test_other_formats_are_not_decoded(alice: Actor, cells: Path, format_: str) -> None:
    Image.new("RGB", (16, 16)).save(cells / "results" / "x.img", format=format_)
    assert alice.client.get(url("results/x.img")).status_code == 404


@pytest.mark.parametrize("format_", ["PNG", "JPEG", "TIFF", "GIF", "WEBP"])
def test_allowed_formats_are(alice: Actor, cells: Path, format_: str) -> None:
    Image.new("RGB", (400, 200), "green").save(cells / "results" / "x.img", format=format_)
    response = alice.client.get(url("results/x.img"))
    assert response.status_code == 200
    with Image.open(io.BytesIO(body_of(response))) as thumb:
        assert thumb.size == (320, 160)


def test_thumbnails_do_not_count_against_the_quota(alice: Actor, cells: Path) -> None:
    for n in range(5):
        Image.new("RGB", (50, 50)).save(cells / "results" / f"i{n}.png")
    before = alice.client.get(reverse("projects-list")).context["usage"]
    for n in range(5):
        assert alice.client.get(url(f"results/i{n}.png")).status_code == 200
    assert len(list((cache_root() / "alice").rglob("*"))) > 5
    assert alice.client.get(reverse("projects-list")).context["usage"] == before


def thumbnailed(actor: Actor, project: str, relative: str) -> Path:
    """A 10×10 image at project/relative whose thumbnail was asked for (so is cached)."""
    image = actor.project(project) / relative
    image.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (10, 10)).save(image)
    assert actor.client.get(url(relative, project)).status_code == 200
    return image


def cached(project: str = "cells", owner: str = "alice") -> list[str]:
    folder = cache_root() / owner / project
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_pruning_removes_thumbnails_of_gone_or_changed_images(
    alice: Actor, cells: Path
) -> None:
    alice.client.get(url("results/a.png"))
    for name in ("b", "c"):
        thumbnailed(alice, "cells", f"results/{name}.png")
    assert len(cached()) == 6
    kept = Source.of("results/c.png", (cells / "results" / "c.png").stat()).key
    (cells / "results" / "a.png").unlink()
    Image.new("RGB", (12, 12)).save(cells / "results" / "b.png")  # changed: size and mtime
    (cache_root() / "alice" / "cells" / "junk").write_bytes(b"x")
    assert prune_thumbnails("alice") == 5
    assert cached() == [f"{kept}.json", f"{kept}.png"]
    assert prune_thumbnails("alice") == 0


def test_the_results_page_prunes_its_project(
    alice: Actor, cells: Path, runs_archive: Archive
) -> None:
    alice.client.get(url("results/a.png"))
    thumbnailed(alice, "other", "x/o.png").unlink()
    (cells / "results" / "a.png").unlink()
    runs_archive.nuclei()
    _, row = runs_archive.project(alice, "cells")
    runs_archive.run(row, "r1")
    assert alice.client.get(reverse("results-project", args=["cells"])).status_code == 200
    assert cached("cells") == [] and len(cached("other")) == 2  # only the shown project


def test_a_gone_project_or_owner_loses_its_cache(
    alice: Actor, bob: Actor, cells: Path
) -> None:
    alice.client.get(url("results/a.png"))
    thumbnailed(bob, "p", "i/b.png")
    os.rename(cells, cells.with_name("renamed"))
    shutil.rmtree(bob.home)
    assert prune_all_thumbnails() == 5  # alice's cells: 2 files; bob: p/ and its 2 files
    assert sorted(os.listdir(cache_root())) == ["alice"]
    assert os.listdir(cache_root() / "alice") == []


def test_pruning_never_follows_a_link_in_the_cache(
    alice: Actor, cells: Path, decoys: Decoys
) -> None:
    decoys.plant(cache_root() / "alice" / "cells", "link-bob-folder")
    decoys.plant(cache_root() / "alice" / "gone", "link-bob-folder")
    before = decoys.checksums()
    assert prune_thumbnails("alice") == 2  # links are removed as links
    assert os.listdir(cache_root() / "alice") == []
    assert decoys.checksums() == before
