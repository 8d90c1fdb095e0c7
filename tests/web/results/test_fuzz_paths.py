"""Hypothesis fuzzing of every path-bearing parameter of the results, thumbnail and run routes
(and of the saved log's name in a run's status) over a planted project: whatever the input,
no decoy byte is answered, no decoy changes, nothing is written outside alice's thumbnail
cache, and the answer is never a 500."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from runs import archive
from tests.web.conftest import Actor, tree
from tests.web.hostile_paths import FUZZ, paths, segments
from tests.web.planted import ANSWERS, Decoys
from tests.web.results.conftest import Archive, manifest
from tests.web.runs.conftest import Cluster

NAMES = ["cells", "bob", "secret", "results.csv", "a.png", "link", "fifo", "folder", "out",
         ".kubeshowcase", "logs", "r1.log", "thumbnails", ".cache", "alice", "etc", "passwd"]
SEGMENT = segments(NAMES)
PATH = st.one_of(
    st.sampled_from(["out/a.png", "out/b.png", "out/token.png", "link", "folder/results.csv",
                     "../bob/secret/results.csv", ".kubeshowcase/logs/r1.log", "fifo"]),
    paths(NAMES),
)
ALLOWED = (*ANSWERS, 301)  # a route without its final slash is redirected


@pytest.fixture
def planted(alice: Actor, cluster: Cluster, runs_archive: Archive, decoys: Decoys) -> Decoys:
    """alice/cells with an image, a finished run r1 (in the API and the archive, without a
    manifest), a run r2 recording planted names (archive only), and every kind of plant at
    many names."""
    cells, row = runs_archive.project(alice, "cells", {"out": None, ".kubeshowcase/logs": None})
    Image.new("RGB", (8, 8)).save(cells / "out" / "a.png")
    for name, kind in [("link", "link-bob-file"), ("out/b.png", "link-bob-file"),
                       ("folder", "link-bob-folder"), ("out/passwd.png", "link-passwd"),
                       ("out/token.png", "link-token"), ("fifo", "fifo"),
                       (".kubeshowcase/logs/r1.log", "link-token"),
                       (".kubeshowcase/thumbnails", "link-bob-folder")]:
        decoys.plant(cells / name, kind)
    results = {"images": ["**/*.png", "*"], "reports": ["**", ".kubeshowcase/**"]}
    cluster.create_pipeline("custom", results=results)
    runs_archive.pipeline("custom", results=results)
    cluster.create_run("alice", "cells", pipeline="custom", name="r1")
    cluster.set_status("r1", phase="Succeeded", logFile=".kubeshowcase/logs/r1.log")
    archive.upsert(cluster.run("r1"))
    runs_archive.run(row, "r2", pipeline="custom", outputs=manifest(cells, [
        "out/a.png", "out/b.png", "link", "folder", "fifo", ".kubeshowcase/logs/r1.log"]))
    return decoys


class Guard:
    """The checks every fuzzed request must pass."""

    def __init__(self, decoys: Decoys) -> None:
        self.decoys = decoys
        self.checksums = decoys.checksums()
        self.outside_cache = self.tree_outside_cache()
        self.statuses: set[int] = set()

    @staticmethod
    def tree_outside_cache() -> list:
        cache = ".cache/thumbnails/alice"
        return [(path, content) for path, content in tree()
                if path not in (".cache", ".cache/thumbnails", cache)
                and not path.startswith(cache + "/")]

    def get(self, client, url: str) -> None:  # noqa: ANN001
        response = client.get(url)
        self.statuses.add(response.status_code)
        self.decoys.check(response, self.checksums, statuses=ALLOWED)
        assert self.tree_outside_cache() == self.outside_cache, url


def url_of(*parts: str) -> str:
    return "/" + "/".join(quote(part, safe="/%") for part in parts)


def test_thumbnail_paths(alice: Actor, planted: Decoys) -> None:
    guard = Guard(planted)

    @hypothesis_settings(FUZZ, max_examples=150)
    @given(project=st.one_of(st.just("cells"), SEGMENT), path=PATH)
    def check(project: str, path: str) -> None:
        guard.get(alice.client, url_of("projects", project, "thumbnail", path))

    check()
    assert {200, 404} <= guard.statuses  # the fuzz reached a real image and refusals
    cache = Path(settings.DATA_ROOT) / ".cache" / "thumbnails"
    assert sorted(p.name for p in cache.iterdir()) == ["alice"]


def test_results_and_run_routes(alice: Actor, planted: Decoys) -> None:
    guard = Guard(planted)

    @hypothesis_settings(FUZZ, max_examples=80)
    @given(project=st.one_of(st.just("cells"), SEGMENT), run=st.one_of(st.just("r1"), PATH),
           route=st.sampled_from(["log", "results", "status", ""]))
    def check(project: str, run: str, route: str) -> None:
        guard.get(alice.client, url_of("projects", project, "results") + "?run=" + quote(run))
        guard.get(alice.client, url_of("runs", run, route))

    check()
    assert 200 in guard.statuses
    recorded = alice.client.get(url_of("projects", "cells", "results") + "?run=r2")
    planted.check(recorded, guard.checksums)
    assert [o.relative for o in recorded.context["results"].images] == ["out/a.png"]


def test_saved_log_names(alice: Actor, cluster: Cluster, planted: Decoys) -> None:
    """status.logFile is the operator's, but a fuzzed one must be as harmless."""
    guard = Guard(planted)

    @hypothesis_settings(FUZZ, max_examples=40)
    @given(log_file=PATH)
    def check(log_file: str) -> None:
        cluster.set_status("r1", logFile=log_file)
        guard.get(alice.client, "/runs/r1/log")

    check()
