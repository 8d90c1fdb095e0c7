"""The file handshake stays inside the project folder, symlinks included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubeshowcase_operator.jobs import Handshake
from kubeshowcase_operator.projectfiles import (
    ProjectError,
    inside,
    last_run_id_of,
    prepare,
    project_folder,
    read_last_run_id,
    save_log,
    saved_log,
)

DEFAULT = Handshake(mount_path="/project", args=".kubeshowcase/args",
                    run_id=".kubeshowcase/run_id", last_run_id=".kubeshowcase/LAST_RUN_ID",
                    clear_paths=())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "alice" / "cells"
    folder.mkdir(parents=True)
    return folder


def prepare_in(project: Path, handshake: Handshake, run_id: str, args: str) -> None:
    """prepare() for the project folder `alice/cells` under the test's data root."""
    prepare(project.parents[1], "alice/cells", handshake, run_id, args)


def test_it_finds_the_project_folder(tmp_path: Path, project: Path) -> None:
    assert project_folder(tmp_path, "alice/cells") == project.resolve()


@pytest.mark.parametrize(("name", "reason"), [
    ("alice/missing", "ProjectNotFound"), ("../etc", "InvalidProject"),
    ("/etc", "InvalidProject"), ("alice/./cells", "InvalidProject")])
def test_it_refuses_bad_projects(tmp_path: Path, project: Path, name: str, reason: str) -> None:
    with pytest.raises(ProjectError) as caught:
        project_folder(tmp_path, name)
    assert caught.value.reason == reason


def test_it_refuses_a_project_that_links_outside(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "bob").symlink_to(outside)
    with pytest.raises(ProjectError, match="resolves outside the data volume"):
        project_folder(tmp_path, "bob")


def test_it_writes_args_and_run_id_exactly(project: Path) -> None:
    args = '{"sigma": 2, "note": "é\\n"}\n  '
    prepare_in(project, DEFAULT, "run-1", args)
    assert (project / ".kubeshowcase/args").read_bytes() == args.encode()
    assert (project / ".kubeshowcase/run_id").read_text() == "run-1"
    assert not list(project.rglob("*.partial"))


def test_it_deletes_a_stale_last_run_id(project: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-0")
    prepare_in(project, DEFAULT, "run-1", "")
    assert not (project / ".kubeshowcase/LAST_RUN_ID").exists()


def test_it_clears_the_pipelines_paths(project: Path) -> None:
    (project / "out/deep").mkdir(parents=True)
    (project / "out/deep/result.csv").write_text("x")
    (project / "summary.txt").write_text("x")
    (project / "keep.txt").write_text("x")
    handshake = Handshake(**{**DEFAULT.__dict__, "clear_paths": ("out/", "summary.txt", "gone")})
    prepare_in(project, handshake, "run-1", "")
    assert not (project / "out").exists() and not (project / "summary.txt").exists()
    assert (project / "keep.txt").exists()


def test_clearing_a_symlink_removes_the_link_not_its_target(tmp_path: Path,
                                                            project: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data.txt").write_text("keep me")
    (project / "out").symlink_to(precious)
    handshake = Handshake(**{**DEFAULT.__dict__, "clear_paths": ("out",)})
    prepare_in(project, handshake, "run-1", "")
    assert not (project / "out").exists() and (precious / "data.txt").read_text() == "keep me"


@pytest.mark.parametrize("entry", ["../other", "/etc", "a/../../x", ""])
def test_it_refuses_paths_that_are_not_relative(project: Path, entry: str) -> None:
    handshake = Handshake(**{**DEFAULT.__dict__, "clear_paths": (entry,)})
    with pytest.raises(ProjectError, match="must be a relative path inside the project"):
        prepare_in(project, handshake, "run-1", "")


def test_it_refuses_paths_through_a_symlink_outside(tmp_path: Path, project: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "results").mkdir(parents=True)
    (outside / "results/data.csv").write_text("keep me")
    (project / "link").symlink_to(outside)
    handshake = Handshake(**{**DEFAULT.__dict__, "clear_paths": ("link/results",)})
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, handshake, "run-1", "")
    assert caught.value.reason == "PathEscapesProject"
    assert "'link/results' escapes the project folder" in caught.value.message
    assert (outside / "results/data.csv").exists()
    assert not (project / ".kubeshowcase").exists()  # refused before touching anything


def test_handshake_files_through_a_symlink_are_refused(tmp_path: Path, project: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (project / ".kubeshowcase").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ProjectError, match="files.args '.kubeshowcase/args' escapes"):
        prepare_in(project, DEFAULT, "run-1", "")
    assert not list((tmp_path / "elsewhere").iterdir())


def test_it_refuses_to_run_a_run_that_already_ran(project: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-1\n")
    (project / ".kubeshowcase/args").write_text("earlier")
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, DEFAULT, "run-1", "new")
    assert caught.value.reason == "JobLost"
    assert (project / ".kubeshowcase/args").read_text() == "earlier"


def test_a_missing_project_is_refused_by_prepare(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        prepare(tmp_path, "alice/none", DEFAULT, "run-1", "")


def test_it_reads_last_run_id(project: Path) -> None:
    assert read_last_run_id(project, DEFAULT) is None
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-1\n")
    assert read_last_run_id(project, DEFAULT) == "run-1\n"


def test_a_folder_named_last_run_id_is_missing_not_an_error(project: Path) -> None:
    (project / ".kubeshowcase/LAST_RUN_ID").mkdir(parents=True)
    assert read_last_run_id(project, DEFAULT) is None


def test_last_run_id_of_a_missing_project_is_none(tmp_path: Path, project: Path) -> None:
    assert last_run_id_of(tmp_path, "alice/none", DEFAULT) is None
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-1")
    assert last_run_id_of(tmp_path, "alice/cells", DEFAULT) == "run-1"


def test_it_saves_logs_in_the_project(tmp_path: Path, project: Path) -> None:
    assert saved_log(tmp_path, "alice/cells", "run-1") is None
    relative = save_log(tmp_path, "alice/cells", "run-1", [b"line 1\n", b"line 2\n"])
    assert relative == ".kubeshowcase/logs/run-1.log"
    assert (project / relative).read_bytes() == b"line 1\nline 2\n"
    assert saved_log(tmp_path, "alice/cells", "run-1") == relative
    assert saved_log(tmp_path, "alice/none", "run-1") is None


def test_inside_keeps_the_last_component_unresolved(project: Path) -> None:
    (project / "link").symlink_to("/etc")
    assert inside(project, "link", "x") == project / "link"
    assert os.path.islink(inside(project, "link", "x"))
