"""The outputs manifest: which files count, its bounds, and a walk that follows nothing."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from kubeshowcase_operator import outputs
from kubeshowcase_operator.jobs import Handshake
from kubeshowcase_operator.outputs import Manifest, is_output, outputs_of
from kubeshowcase_operator.projectfiles import prepare

from .test_projectfs import KINDS, in_thread, plant

DEFAULT = Handshake(mount_path="/project", args=".kubeshowcase/args",
                    run_id=".kubeshowcase/run_id", last_run_id=".kubeshowcase/LAST_RUN_ID",
                    clear_paths=())
PER_RUN = Handshake(**{**DEFAULT.__dict__, "per_run": True})


@pytest.mark.parametrize(("path", "ctime", "counted"), [
    ("results/summary.csv", 10, True),
    ("results/summary.csv", 9, False),  # there before the run began
    ("summary.csv", 10, True),
    (".kubeshowcase/logs/run-1.log", 10, False),  # the handshake folder
    ("handshake/args", 10, False),  # a Pipeline's own handshake paths
    ("results/.ksc-0011223344556677.partial", 10, False),  # the operator's unfinished write
    ("results/.hidden", 10, True),
])
def test_what_counts_as_an_output(path: str, ctime: int, counted: bool) -> None:
    handshake = Handshake(**{**DEFAULT.__dict__, "args": "handshake/args"})
    assert is_output(path, ctime, 10, handshake) is counted


def test_the_manifest_stops_at_its_file_count() -> None:
    manifest = Manifest()
    for number in range(outputs.MAX_FILES + 5):
        if not manifest.has_room():
            break
        manifest.add(f"f{number}", 1, 2, None)
    assert len(manifest.files) == outputs.MAX_FILES and manifest.status()["complete"] is False


def test_the_manifest_stays_within_its_byte_budget() -> None:
    manifest = Manifest()
    path = "x" * outputs.MAX_PATH
    while manifest.has_room():
        manifest.add(path, 1, 2, "a" * 64)
    assert len(json.dumps(manifest.files)) <= outputs.MAX_MANIFEST_BYTES
    assert manifest.complete is False and len(manifest.files) < outputs.MAX_FILES


def test_a_too_long_path_is_left_out_and_the_rest_kept() -> None:
    manifest = Manifest()
    manifest.add("x" * (outputs.MAX_PATH + 1), 1, 2, None)
    assert manifest.has_room()
    manifest.add("short", 1, 2, None)
    assert manifest.status() == {"dir": "", "complete": False,
                                 "files": [{"path": "short", "size": 1, "mtimeNs": 2}]}


def test_hashing_keeps_to_its_bounds() -> None:
    manifest = Manifest(hash_budget=100)
    assert manifest.should_hash(60) and not manifest.should_hash(60) and manifest.should_hash(40)
    assert not Manifest().should_hash(outputs.HASH_FILE_CAP + 1)


def started_run(project: Path, handshake: Handshake = DEFAULT, run_id: str = "run-1") -> None:
    """What the operator does before a run's Job: the run id file marks where it begins."""
    (project / "input.png").write_bytes(b"made before the run")
    time.sleep(0.02)  # ctimes are as coarse as the kernel's clock tick
    prepare(project.parents[1], "alice", "alice/cells", handshake, run_id, "{}")
    time.sleep(0.02)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "alice" / "cells"
    folder.mkdir(parents=True)
    return folder


def manifest_of(project: Path, handshake: Handshake = DEFAULT, output_dir: str = "") -> dict:
    return in_thread(lambda: outputs_of(project.parents[1], "alice/cells", handshake, output_dir,
                                        None))


def test_it_lists_what_the_run_wrote_with_sizes_times_and_checksums(project: Path) -> None:
    started_run(project)
    (project / "results").mkdir()
    (project / "results" / "summary.csv").write_bytes(b"image,count\n")
    (project / "results" / "a_overlay.png").write_bytes(b"png")
    (project / ".kubeshowcase" / "LAST_RUN_ID").write_text("run-1\n")
    found = manifest_of(project)
    info = (project / "results" / "summary.csv").stat()
    assert found["dir"] == "" and found["complete"] is True
    assert [entry["path"] for entry in found["files"]] == ["results/a_overlay.png",
                                                           "results/summary.csv"]
    assert found["files"][1] == {"path": "results/summary.csv", "size": 12,
                                 "mtimeNs": info.st_mtime_ns,
                                 "sha256": hashlib.sha256(b"image,count\n").hexdigest()}


def test_a_file_over_the_hash_bound_is_listed_without_a_checksum(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "HASH_FILE_CAP", 4)
    started_run(project)
    (project / "big.bin").write_bytes(b"12345")
    (project / "small.bin").write_bytes(b"1234")
    files = {entry["path"]: entry for entry in manifest_of(project)["files"]}
    assert "sha256" not in files["big.bin"] and "sha256" in files["small.bin"]


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "huge"])
def test_nothing_planted_is_followed_or_opened(project: Path, kind: str) -> None:
    started_run(project)
    (project.parents[1] / "bob" / "proj").mkdir(parents=True)
    (project.parents[1] / "bob" / "proj" / "results.csv").write_bytes(b"bob's")
    plant(project / "results" / "planted", kind, project.parents[1])
    (project / "results" / "real.csv").write_bytes(b"ok")
    found = manifest_of(project)
    assert [entry["path"] for entry in found["files"]] == ["results/real.csv"]
    assert found["complete"] is True


def test_a_sparse_huge_file_is_listed_not_read(project: Path) -> None:
    started_run(project)
    with (project / "huge.bin").open("wb") as handle:
        handle.truncate(1 << 40)  # a terabyte that costs no disk
    (entry,) = manifest_of(project)["files"]
    assert entry["path"] == "huge.bin" and entry["size"] == 1 << 40 and "sha256" not in entry


def test_a_walk_too_wide_or_too_deep_is_marked_incomplete(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started_run(project)
    deep = project.joinpath(*["d"] * 4)
    deep.mkdir(parents=True)
    (deep / "f").write_bytes(b"x")
    (project / "top").write_bytes(b"x")
    assert manifest_of(project)["complete"] is True
    monkeypatch.setattr(outputs, "MAX_DEPTH", 2)
    found = manifest_of(project)
    assert found["complete"] is False and [e["path"] for e in found["files"]] == ["top"]
    monkeypatch.setattr(outputs, "MAX_DEPTH", 32)
    monkeypatch.setattr(outputs, "MAX_ENTRIES", 1)
    assert manifest_of(project)["complete"] is False


def test_with_a_folder_of_its_own_only_that_folder_counts(project: Path) -> None:
    started_run(project, PER_RUN)
    assert (project / "runs" / "run-1").is_dir()
    (project / "runs" / "run-1" / "summary.csv").write_bytes(b"mine")
    (project / "elsewhere.csv").write_bytes(b"not in the run's folder")
    found = manifest_of(project, PER_RUN, "runs/run-1")
    assert found["dir"] == "runs/run-1" and found["complete"] is True
    assert [entry["path"] for entry in found["files"]] == ["runs/run-1/summary.csv"]


def test_a_run_folder_replaced_by_a_link_gives_an_incomplete_empty_manifest(
        project: Path, tmp_path: Path) -> None:
    started_run(project, PER_RUN)
    os.rmdir(project / "runs" / "run-1")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret").write_bytes(b"not the run's")
    (project / "runs" / "run-1").symlink_to(tmp_path / "elsewhere")
    assert manifest_of(project, PER_RUN, "runs/run-1") == {
        "dir": "runs/run-1", "complete": False, "files": []}


def test_a_missing_project_gives_an_incomplete_manifest(tmp_path: Path) -> None:
    assert outputs_of(tmp_path, "alice/gone", DEFAULT, "", None) == {
        "dir": "", "complete": False, "files": []}


def test_a_file_swapped_after_it_was_seen_is_not_hashed(project: Path) -> None:
    from kubeshowcase_operator.projectfs import open_project

    (project / "out.csv").write_bytes(b"first")
    with open_project(project.parents[1], "alice/cells") as folder:
        seen = folder.info_of("out.csv")
        assert seen is not None
        assert folder.sha256_entry("out.csv", seen) == hashlib.sha256(b"first").hexdigest()
        (project / "out.csv").write_bytes(b"second")  # same inode, other size
        assert folder.sha256_entry("out.csv", seen) is None
        os.unlink(project / "out.csv")
        os.mkfifo(project / "out.csv")  # a FIFO in its place: never opened for a read
        assert in_thread(lambda: folder.sha256_entry("out.csv", seen)) is None


def test_the_handshake_folder_costs_the_walk_nothing(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started_run(project)
    logs = project / ".kubeshowcase" / "logs"
    logs.mkdir()
    for number in range(20):
        (logs / f"run-{number}.log").write_bytes(b"a log of an earlier run")
    (project / "out.csv").write_bytes(b"x")
    monkeypatch.setattr(outputs, "MAX_ENTRIES", 3)  # .kubeshowcase, out.csv, input.png
    found = manifest_of(project)
    assert found["complete"] is True and [e["path"] for e in found["files"]] == ["out.csv"]
