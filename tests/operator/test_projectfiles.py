"""The file handshake stays inside the project folder: nothing planted there is followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubeshowcase_operator.jobs import Handshake
from kubeshowcase_operator.projectfiles import (
    LAST_RUN_ID_CAP,
    ProjectError,
    last_run_id_of,
    open_log,
    prepare,
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


@pytest.fixture
def precious(tmp_path: Path) -> Path:
    """Another user's file on the same volume."""
    folder = tmp_path / "bob" / "proj"
    folder.mkdir(parents=True)
    (folder / "results.csv").write_text("bob's results\n")
    return folder / "results.csv"


def prepare_in(project: Path, handshake: Handshake, run_id: str, args: str) -> None:
    """prepare() for alice's project folder `alice/cells` under the test's data root."""
    prepare(project.parents[1], "alice", "alice/cells", handshake, run_id, args)


def with_clear_paths(*entries: str) -> Handshake:
    return Handshake(**{**DEFAULT.__dict__, "clear_paths": entries})


def plant_last_run_id(project: Path, plant: str, precious: Path) -> Path:
    """Put a link to `precious`, a FIFO, a folder (holding a link) or a sparse 1 GB file where
    LAST_RUN_ID goes, as a pipeline could."""
    target = project / ".kubeshowcase/LAST_RUN_ID"
    target.parent.mkdir(exist_ok=True)
    if plant == "link":
        target.symlink_to(precious)
    elif plant == "fifo":
        os.mkfifo(target)
    elif plant == "folder":
        (target / "inner").mkdir(parents=True)
        (target / "inner/link").symlink_to(precious.parent)
    else:
        with target.open("wb") as handle:
            handle.truncate(1 << 30)  # sparse: 1 GB that costs no disk
    return target


def test_it_writes_args_and_run_id_exactly(project: Path) -> None:
    args = '{"sigma": 2, "note": "é\\n"}\n  '
    prepare_in(project, DEFAULT, "run-1", args)
    assert (project / ".kubeshowcase/args").read_bytes() == args.encode()
    assert (project / ".kubeshowcase/run_id").read_text() == "run-1"
    assert sorted(p.name for p in (project / ".kubeshowcase").iterdir()) == ["args", "run_id"]


def test_it_deletes_a_stale_last_run_id(project: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-0")
    prepare_in(project, DEFAULT, "run-1", "")
    assert not (project / ".kubeshowcase/LAST_RUN_ID").exists()


@pytest.mark.parametrize("plant", ["link", "fifo", "folder"])
def test_a_planted_last_run_id_is_removed_as_itself(project: Path, precious: Path,
                                                    plant: str) -> None:
    target = plant_last_run_id(project, plant, precious)
    prepare_in(project, DEFAULT, "run-1", "")
    assert not os.path.lexists(target)
    assert precious.read_text() == "bob's results\n"


def test_it_clears_the_pipelines_paths(project: Path) -> None:
    (project / "out/deep").mkdir(parents=True)
    (project / "out/deep/result.csv").write_text("x")
    (project / "summary.txt").write_text("x")
    (project / "keep.txt").write_text("x")
    prepare_in(project, with_clear_paths("out/", "summary.txt", "gone", "missing/x"), "run-1", "")
    assert not (project / "out").exists() and not (project / "summary.txt").exists()
    assert (project / "keep.txt").exists()


def test_clearing_a_symlink_removes_the_link_not_its_target(project: Path,
                                                            precious: Path) -> None:
    (project / "out").symlink_to(precious.parent)
    (project / "summary.txt").symlink_to(precious)
    prepare_in(project, with_clear_paths("out", "summary.txt"), "run-1", "")
    assert not os.path.lexists(project / "out") and not os.path.lexists(project / "summary.txt")
    assert precious.read_text() == "bob's results\n"


def test_clearing_a_folder_never_follows_links_inside_it(project: Path, precious: Path) -> None:
    (project / "out").mkdir()
    (project / "out/bob").symlink_to(precious.parent)
    (project / "out/file").symlink_to(precious)
    prepare_in(project, with_clear_paths("out"), "run-1", "")
    assert not (project / "out").exists() and precious.read_text() == "bob's results\n"


@pytest.mark.parametrize("entry", ["../other", "/etc", "a/../../x", ""])
def test_it_refuses_paths_that_are_not_relative(project: Path, entry: str) -> None:
    (project / "out").mkdir()
    with pytest.raises(ProjectError, match="must be a relative path inside the project"):
        prepare_in(project, with_clear_paths("out", entry), "run-1", "")
    with pytest.raises(ProjectError, match="files.args .* must be a relative path"):
        prepare_in(project, Handshake(**{**with_clear_paths("out").__dict__, "args": entry}),
                   "run-1", "")
    assert os.listdir(project) == ["out"]  # refused before anything was removed


def test_a_clear_path_through_a_link_is_refused_before_anything_is_removed(
        project: Path, precious: Path) -> None:
    (project / "first.txt").write_text("x")
    (project / "link").symlink_to(precious.parents[1])
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, with_clear_paths("first.txt", "link/proj"), "run-1", "")
    assert caught.value.reason == "UnsafePath"
    assert caught.value.message == ("clearPaths entry 'link/proj': link is a symbolic link "
                                    "(not followed)")
    assert precious.read_text() == "bob's results\n"
    assert (project / "first.txt").exists()  # refused before touching anything
    assert not (project / ".kubeshowcase").exists()


def test_handshake_files_through_a_linked_folder_are_refused(tmp_path: Path, project: Path,
                                                             precious: Path) -> None:
    (project / ".kubeshowcase").symlink_to(precious.parent)
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, DEFAULT, "run-1", "")
    assert caught.value.reason == "UnsafePath"
    assert caught.value.message == ".kubeshowcase is a symbolic link (not followed)"
    assert sorted(p.name for p in precious.parent.iterdir()) == ["results.csv"]


def test_an_args_file_linked_elsewhere_is_replaced_not_written_through(
        project: Path, precious: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/args").symlink_to(precious)
    prepare_in(project, DEFAULT, "run-1", "new args")
    assert not (project / ".kubeshowcase/args").is_symlink()
    assert (project / ".kubeshowcase/args").read_text() == "new args"
    assert precious.read_text() == "bob's results\n"


def test_a_folder_in_place_of_the_args_file_is_refused(project: Path) -> None:
    (project / ".kubeshowcase/args/inner").mkdir(parents=True)
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, DEFAULT, "run-1", "")
    assert caught.value.reason == "UnsafePath"
    assert caught.value.message == ".kubeshowcase/args is a folder, not a file"
    assert sorted(p.name for p in (project / ".kubeshowcase").iterdir()) == ["args"]


def test_it_refuses_to_run_a_run_that_already_ran(project: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-1\n")
    (project / ".kubeshowcase/args").write_text("earlier")
    with pytest.raises(ProjectError) as caught:
        prepare_in(project, DEFAULT, "run-1", "new")
    assert caught.value.reason == "JobLost"
    assert (project / ".kubeshowcase/args").read_text() == "earlier"


def test_a_namesakes_last_run_id_is_stale_not_a_lost_job(project: Path) -> None:
    """run-1 deleted and created again: the LAST_RUN_ID its predecessor wrote is older than
    the new run, which runs (and is judged by its own LAST_RUN_ID only)."""
    (project / ".kubeshowcase").mkdir()
    last = project / ".kubeshowcase/LAST_RUN_ID"
    last.write_text("run-1\n")
    written = last.stat().st_mtime
    prepare(project.parent.parent, "alice", "alice/cells", DEFAULT, "run-1", "new",
            created=written + 1)
    assert not last.exists()
    assert (project / ".kubeshowcase/args").read_text() == "new"
    last.write_text("run-1\n")  # this run's own, written after it was created: it ran
    with pytest.raises(ProjectError) as caught:
        prepare(project.parent.parent, "alice", "alice/cells", DEFAULT, "run-1", "again",
                created=last.stat().st_mtime - 1)
    assert caught.value.reason == "JobLost"


@pytest.mark.parametrize(("owner", "project_name"), [
    ("alice", "bob/proj"), ("alice", "alice"), ("alice", "alice/cells/deeper"),
    ("bob", "alice/cells")])
def test_a_project_outside_the_owners_space_is_refused_untouched(
        tmp_path: Path, project: Path, precious: Path, owner: str, project_name: str) -> None:
    with pytest.raises(ProjectError) as caught:
        prepare(tmp_path, owner, project_name, with_clear_paths("results.csv"), "run-1", "")
    assert caught.value.reason == "ProjectOutsideOwner"
    assert caught.value.message == (f"project {project_name!r} is not a project of owner "
                                    f"{owner!r}: expected {owner}/<project>")
    assert precious.exists() and not list(project.iterdir())


def test_a_project_folder_that_is_a_link_is_refused(tmp_path: Path, precious: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice/linked").symlink_to(precious.parent)
    with pytest.raises(ProjectError) as caught:
        prepare(tmp_path, "alice", "alice/linked", DEFAULT, "run-1", "")
    assert caught.value.reason == "InvalidProject"
    assert caught.value.message == ("project 'alice/linked': alice/linked is a symbolic link "
                                    "(not followed)")
    assert sorted(p.name for p in precious.parent.iterdir()) == ["results.csv"]


def test_last_run_id_of_reads_the_file(tmp_path: Path, project: Path) -> None:
    assert last_run_id_of(tmp_path, "alice/cells", DEFAULT) is None
    assert last_run_id_of(tmp_path, "alice/none", DEFAULT) is None
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/LAST_RUN_ID").write_text("run-1\n")
    assert last_run_id_of(tmp_path, "alice/cells", DEFAULT) == "run-1\n"


@pytest.mark.parametrize(("plant", "found"), [
    ("link", "is a symbolic link (not followed)"),
    ("fifo", "is not a regular file (a FIFO)"),
    ("folder", "is a folder, not a file"),
    ("huge", f"is larger than {LAST_RUN_ID_CAP} bytes"),
])
def test_an_unreadable_last_run_id_says_what_it_is(tmp_path: Path, project: Path,
                                                   precious: Path, plant: str,
                                                   found: str) -> None:
    plant_last_run_id(project, plant, precious)
    with pytest.raises(ProjectError) as caught:
        last_run_id_of(tmp_path, "alice/cells", DEFAULT)
    assert caught.value.reason == "LastRunIdUnreadable"
    assert caught.value.message == f".kubeshowcase/LAST_RUN_ID {found}"


def test_it_saves_logs_in_the_project(tmp_path: Path, project: Path) -> None:
    assert saved_log(tmp_path, "alice/cells", "run-1") is None
    writer = open_log(tmp_path, "alice/cells", "run-1", cap=1024)
    try:
        assert writer.write(b"line 1\n") and writer.write(b"line 2\n")
        relative = writer.commit()
    finally:
        writer.close()
    assert relative == ".kubeshowcase/logs/run-1.log"
    assert (project / relative).read_bytes() == b"line 1\nline 2\n"
    assert sorted(p.name for p in (project / ".kubeshowcase/logs").iterdir()) == ["run-1.log"]
    assert saved_log(tmp_path, "alice/cells", "run-1") == relative
    assert saved_log(tmp_path, "alice/none", "run-1") is None


def test_a_log_is_cut_at_its_cap_with_a_line_saying_so(tmp_path: Path, project: Path) -> None:
    writer = open_log(tmp_path, "alice/cells", "run-1", cap=10)
    try:
        assert writer.write(b"0123456")
        assert not writer.write(b"789abcdef")
        writer.commit()
    finally:
        writer.close()
    assert (project / ".kubeshowcase/logs/run-1.log").read_bytes() == (
        b"0123456789\n[kubeshowcase] log truncated at 10 bytes\n")


def test_a_log_not_committed_leaves_nothing(tmp_path: Path, project: Path) -> None:
    writer = open_log(tmp_path, "alice/cells", "run-1", cap=1024)
    writer.write(b"half")
    writer.close()
    assert list((project / ".kubeshowcase/logs").iterdir()) == []


def test_a_planted_log_link_is_replaced_not_written_through(tmp_path: Path, project: Path,
                                                            precious: Path) -> None:
    logs = project / ".kubeshowcase/logs"
    logs.mkdir(parents=True)
    (logs / "run-1.log").symlink_to(precious)
    (logs / "run-1.log.partial").symlink_to(precious)
    writer = open_log(tmp_path, "alice/cells", "run-1", cap=1024)
    try:
        writer.write(b"the pipeline's log\n")
        writer.commit()
    finally:
        writer.close()
    assert precious.read_text() == "bob's results\n"
    assert not (logs / "run-1.log").is_symlink()
    assert (logs / "run-1.log").read_text() == "the pipeline's log\n"


def test_a_linked_logs_folder_is_refused(tmp_path: Path, project: Path, precious: Path) -> None:
    (project / ".kubeshowcase").mkdir()
    (project / ".kubeshowcase/logs").symlink_to(precious.parent)
    with pytest.raises(ProjectError) as caught:
        open_log(tmp_path, "alice/cells", "run-1", cap=1024)
    assert caught.value.reason == "UnsafePath"
    assert caught.value.message == "log file: .kubeshowcase/logs is a symbolic link (not followed)"
    assert sorted(p.name for p in precious.parent.iterdir()) == ["results.csv"]
    assert saved_log(tmp_path, "alice/cells", "run-1") is None


PER_RUN = Handshake(**{**DEFAULT.__dict__, "per_run": True})


def test_a_per_run_pipeline_gets_an_empty_folder_of_its_own(project: Path) -> None:
    leftover = project / "runs" / "run-1"
    leftover.mkdir(parents=True)
    (leftover / "from-a-namesake.csv").write_text("an earlier run-1's\n")
    (project / "runs" / "run-0").mkdir()
    (project / "runs" / "run-0" / "summary.csv").write_text("kept\n")
    prepare_in(project, PER_RUN, "run-1", "{}")
    assert leftover.is_dir() and not leftover.is_symlink() and list(leftover.iterdir()) == []
    assert (project / "runs" / "run-0" / "summary.csv").read_text() == "kept\n"


@pytest.mark.parametrize("blocked", ["runs", "runs/run-1"])
@pytest.mark.parametrize("plant", ["file", "link"])
def test_something_not_a_folder_in_the_way_refuses_the_run_untouched(
        project: Path, precious: Path, blocked: str, plant: str) -> None:
    (project / "results").mkdir()
    (project / "results" / "kept.csv").write_text("kept\n")
    if blocked != "runs":
        (project / "runs").mkdir()
    if plant == "file":
        (project / blocked).write_text("in the way\n")
    else:
        (project / blocked).symlink_to(precious.parent)
    handshake = Handshake(**{**PER_RUN.__dict__, "clear_paths": ("results/",)})
    with pytest.raises(ProjectError) as refused:
        prepare_in(project, handshake, "run-1", "{}")
    assert refused.value.reason == "UnsafePath" and blocked in refused.value.message
    assert (project / "results" / "kept.csv").exists(), "cleared before the refusal"
    assert not (project / ".kubeshowcase" / "args").exists()
    assert precious.read_text() == "bob's results\n" and list(precious.parent.iterdir()) == [
        precious]
