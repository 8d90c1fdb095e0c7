"""A run's own results: the outputs manifest it recorded, shown only while unchanged on disk;
otherwise the page names the later run that replaced a file, or says it changed or went."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from projects.globs import check_glob, path_matches
from runs.models import PipelineRecord
from tests.web.conftest import Actor
from tests.web.planted import PLANTS, Decoys
from tests.web.results.conftest import Archive, manifest

RESULTS = {"tables": ["out/*.csv"], "reports": ["out/*.txt"], "images": ["out/**/*.png"]}


def results_of(actor: Actor, run: str, project: str = "cells"):  # noqa: ANN201
    response = actor.client.get(reverse("results-project", args=[project]) + f"?run={run}")
    assert response.status_code == 200
    return response


def shown(response) -> list[str]:  # noqa: ANN001
    results = response.context["results"]
    return [o.relative for section in ("images", "tables", "reports", "files")
            for o in getattr(results, section)]


def gone(response) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    return {g.relative: (g.why, g.by) for g in response.context["results"].gone}


@pytest.fixture
def cells(alice: Actor, runs_archive: Archive):  # noqa: ANN201
    runs_archive.pipeline("custom", results=RESULTS)
    return runs_archive.project(alice, "cells", {"out/a.csv": b"x\n1\n", "out/a.txt": b"one\n"})


def test_an_older_run_names_the_run_that_replaced_its_output(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom",
                     outputs=manifest(folder, ["out/a.csv", "out/a.txt"]))
    (folder / "out" / "a.csv").write_bytes(b"x\n2\n3\n")  # r2 writes a.csv again
    runs_archive.run(row, "r2", pipeline="custom", outputs=manifest(folder, ["out/a.csv"]))
    runs_archive.run(row, "r3", pipeline="custom", outputs=manifest(folder, ["out/a.txt"]))

    older = results_of(alice, "r1")
    assert shown(older) == ["out/a.txt"]  # unchanged: still shown, read from disk
    assert gone(older) == {"out/a.csv": ("replaced", "r2")}
    html = older.content.decode()
    assert "replaced by the later run" in html and "?run=r2" in html
    assert "<td>1</td>" not in html and "<td>2</td>" not in html  # neither version as r1's

    newer = results_of(alice, "r2")
    assert shown(newer) == ["out/a.csv"] and gone(newer) == {}
    [table] = newer.context["results"].tables
    assert table.table.rows == [["2"], ["3"]]


def test_a_changed_or_deleted_output_is_said_so(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom",
                     outputs=manifest(folder, ["out/a.csv", "out/a.txt"]))
    (folder / "out" / "a.txt").write_bytes(b"edited by hand\n")
    (folder / "out" / "a.csv").unlink()
    response = results_of(alice, "r1")
    assert shown(response) == []
    assert gone(response) == {"out/a.csv": ("deleted", ""), "out/a.txt": ("changed", "")}
    html = response.content.decode()
    assert "deleted since this run" in html and "changed since this run" in html
    assert "edited by hand" not in html


def test_same_size_but_touched_counts_as_changed(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom", outputs=manifest(folder, ["out/a.txt"]))
    info = os.lstat(folder / "out" / "a.txt")
    os.utime(folder / "out" / "a.txt", ns=(info.st_atime_ns, info.st_mtime_ns + 1))
    assert gone(results_of(alice, "r1")) == {"out/a.txt": ("changed", "")}


@pytest.mark.parametrize("kind", PLANTS)
def test_a_planted_name_in_place_of_an_output_is_not_followed(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object], decoys: Decoys,
    kind: str
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom",
                     outputs=manifest(folder, ["out/a.csv", "out/a.txt"]))
    decoys.plant(folder / "out" / "a.csv", kind)
    before = decoys.checksums()
    response = results_of(alice, "r1")
    decoys.check(response, before)
    assert shown(response) == ["out/a.txt"]
    assert gone(response) == {"out/a.csv": ("changed", "")}


def test_a_manifest_naming_a_link_is_not_trusted(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object], decoys: Decoys
) -> None:
    """Even a manifest that recorded the link itself (size and mtime of the link) shows nothing."""
    folder, row = cells
    decoys.plant(folder / "out" / "leak.txt", "link-bob-file")
    runs_archive.run(row, "r1", pipeline="custom", outputs=manifest(folder, ["out/leak.txt"]))
    before = decoys.checksums()
    response = results_of(alice, "r1")
    decoys.check(response, before)
    assert shown(response) == [] and gone(response) == {"out/leak.txt": ("changed", "")}


def test_unsafe_or_odd_manifest_entries_are_left_out(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    outputs = manifest(folder, ["out/a.txt"]) + [
        {"path": "../bob/out/x.txt", "size": 1, "mtimeNs": 1},
        {"path": "/etc/out/passwd.txt", "size": 1, "mtimeNs": 1},
        {"path": "out/n.txt", "size": "1", "mtimeNs": 1}, "out/s.txt", {"path": ""},
    ]
    runs_archive.run(row, "r1", pipeline="custom", outputs=outputs)
    response = results_of(alice, "r1")
    assert shown(response) == ["out/a.txt"] and gone(response) == {}


def test_only_what_the_globs_name_is_shown_and_a_run_may_record_nothing(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    (folder / "notes.txt").write_bytes(b"not a result")
    runs_archive.run(row, "r1", pipeline="custom", outputs=manifest(folder, ["notes.txt"]))
    runs_archive.run(row, "r2", pipeline="custom", outputs=[])
    assert shown(results_of(alice, "r1")) == []
    empty = results_of(alice, "r2")  # recorded, and wrote nothing: not the folder's files
    assert shown(empty) == []
    assert "The run recorded no files its pipeline names as results." in empty.content.decode()


def test_per_run_folders_apply_the_globs_inside(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    for run in ("r1", "r2"):
        (folder / "runs" / run / "out").mkdir(parents=True)
        (folder / "runs" / run / "out" / "a.csv").write_bytes(f"run\n{run}\n".encode())
        runs_archive.run(row, run, pipeline="custom", outputs_dir=f"runs/{run}",
                         outputs=manifest(folder, [f"runs/{run}/out/a.csv", "out/a.csv"]))
    for run in ("r1", "r2"):
        response = results_of(alice, run)
        assert shown(response) == [f"runs/{run}/out/a.csv"]  # not the project's own out/
        [table] = response.context["results"].tables
        assert table.table.rows == [[run]]
        download = reverse("projects-file", args=["cells", f"runs/{run}/out/a.csv"])
        assert download in response.content.decode()


def test_a_cut_manifest_is_said_so(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom", complete=False,
                     outputs=manifest(folder, ["out/a.txt"]))
    response = results_of(alice, "r1")
    assert shown(response) == ["out/a.txt"]
    assert "wrote more files than the operator records" in response.content.decode()


def test_an_old_run_without_manifest_falls_back_only_when_newest(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "old1", pipeline="custom")
    runs_archive.run(row, "old2", pipeline="custom")
    newest = results_of(alice, "old2")
    assert shown(newest) == ["out/a.csv", "out/a.txt"]  # the folder as it is, as before
    older = results_of(alice, "old1")
    assert "results" not in older.context
    assert "which files are this run&#x27;s is unknown" in older.content.decode()


def test_recorded_paths_match_globs_as_the_walk_does() -> None:
    def matches(path: str, glob: str) -> bool:
        return path_matches(tuple(path.split("/")), check_glob(glob))

    assert matches("out/a.png", "out/*.png") and matches("out/x/y/a.png", "out/**/*.png")
    assert matches("out/a.png", "out/**/*.png") and matches("a/b/c", "a/**")
    assert not matches("out/x/a.png", "out/*.png") and not matches("out/a.png", "*.png")
    assert not matches(".kubeshowcase/a.png", "**/*.png")  # as the walk: no hidden folders
    assert not matches("out/.a.png", "out/*.png") and matches(".k/a.log", ".k/**")


def test_a_pipeline_changed_since_the_run_is_said_so(
    alice: Actor, runs_archive: Archive, cells: tuple[Path, object]
) -> None:
    folder, row = cells
    runs_archive.run(row, "r1", pipeline="custom", outputs=manifest(folder, ["out/a.txt"]))
    assert "pipeline-changed" not in results_of(alice, "r1").content.decode()
    PipelineRecord.objects.filter(name="custom").update(generation=2)  # edited since
    assert 'id="pipeline-changed"' in results_of(alice, "r1").content.decode()
