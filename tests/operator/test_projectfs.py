"""projectfs refuses, one by one, everything a pipeline can plant at a name it touches."""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeshowcase_operator.projectfs import (
    Folder,
    ProjectError,
    UnsafeEntry,
    open_project,
    segments,
)

SECRET = b"DECOY SECRET of bob\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "alice/cells").mkdir(parents=True)
    (tmp_path / "bob/proj").mkdir(parents=True)
    (tmp_path / "bob/proj/results.csv").write_bytes(SECRET)
    return tmp_path


@pytest.fixture
def folder(root: Path) -> Iterator[Folder]:
    with open_project(root, "alice/cells") as opened:
        yield opened


@pytest.fixture
def cells(root: Path) -> Path:
    return root / "alice/cells"


def bob(root: Path) -> bytes:
    return (root / "bob/proj/results.csv").read_bytes()


def plant(path: Path, what: str, root: Path) -> None:
    """Put `what` at `path`, as a hostile pipeline would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if what == "link-to-file":
        path.symlink_to(root / "bob/proj/results.csv")
    elif what == "relative-link":
        depth = len(path.relative_to(root).parts) - 1
        path.symlink_to("../" * depth + "bob/proj/results.csv")
    elif what == "link-to-folder":
        path.symlink_to(root / "bob/proj")
    elif what == "dangling-link":
        path.symlink_to(root / "nowhere")
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "folder":
        (path / "inside").mkdir(parents=True)
    elif what == "device":
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    elif what == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
    elif what == "huge":
        with path.open("wb") as handle:
            handle.truncate(1 << 30)
    else:
        raise AssertionError(what)


FOUND = {
    "link-to-file": "is a symbolic link (not followed)",
    "relative-link": "is a symbolic link (not followed)",
    "link-to-folder": "is a symbolic link (not followed)",
    "dangling-link": "is a symbolic link (not followed)",
    "fifo": "is not a regular file (a FIFO)",
    "folder": "is a folder, not a file",
    "device": "is not a regular file (a device)",
    "socket": "is not a regular file (a socket)",
    "huge": "is larger than 256 bytes",
}
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
KINDS = [pytest.param(kind, marks=needs_root) if kind == "device" else kind for kind in FOUND]


def in_thread(work, timeout: float = 5.0):  # noqa: ANN001, ANN201 - any callable
    """Run `work` where a blocking open (a FIFO without O_NONBLOCK) would show as a hang."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "blocked"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


@pytest.mark.parametrize("relative", ["", "/etc", "a/../b", "./a", "a//b", ".."])
def test_segments_refuse_anything_that_climbs(relative: str) -> None:
    with pytest.raises(ProjectError) as caught:
        segments(relative, "files.args")
    assert caught.value.reason == "InvalidPath"


def test_segments_allow_a_trailing_slash() -> None:
    assert segments("out/deep/", "clearPaths entry") == ["out", "deep"]


@pytest.mark.parametrize("kind", KINDS)
def test_reading_refuses_anything_but_a_small_regular_file(root: Path, folder: Folder,
                                                           cells: Path, kind: str) -> None:
    plant(cells / "LAST_RUN_ID", kind, root)
    with pytest.raises(UnsafeEntry) as caught:
        in_thread(lambda: folder.read_capped("LAST_RUN_ID", 256, "files.lastRunId"))
    assert caught.value.message == f"LAST_RUN_ID {FOUND[kind]}"
    assert SECRET.decode() not in caught.value.message


def test_reading_keeps_to_the_cap(folder: Folder, cells: Path) -> None:
    (cells / "small").write_bytes(b"x" * 256)
    assert folder.read_capped("small", 256, "x") == b"x" * 256
    (cells / "big").write_bytes(b"x" * 257)
    with pytest.raises(UnsafeEntry, match="big is larger than 256 bytes"):
        folder.read_capped("big", 256, "x")


def test_reading_something_missing_is_none(folder: Folder, cells: Path) -> None:
    assert folder.read_capped("nothing", 10, "x") is None
    assert folder.read_capped("no/such/folder", 10, "x") is None


@pytest.mark.parametrize("kind", ["link-to-folder", "relative-link", "fifo", "huge"])
def test_a_folder_on_the_way_must_be_a_real_folder(root: Path, folder: Folder, cells: Path,
                                                   kind: str) -> None:
    plant(cells / ".kubeshowcase", kind, root)
    expected = ("is a symbolic link (not followed)" if "link" in kind
                else "is not a regular file (a FIFO)" if kind == "fifo"
                else "is a file, not a folder")
    for work in (lambda: folder.read_capped(".kubeshowcase/LAST_RUN_ID", 256, "x"),
                 lambda: folder.new_file(".kubeshowcase/args", "x"),
                 lambda: folder.parent_of(".kubeshowcase/x", "x")):
        with pytest.raises(UnsafeEntry) as caught:
            in_thread(work)
        assert caught.value.message == f".kubeshowcase {expected}"
    assert bob(root) == SECRET


def test_missing_folders_are_made_then_opened_without_following(folder: Folder,
                                                                cells: Path) -> None:
    folder.write_file(".kubeshowcase/logs/run-1.log", b"log", "log file")
    assert (cells / ".kubeshowcase/logs/run-1.log").read_bytes() == b"log"
    assert stat.S_ISDIR(os.lstat(cells / ".kubeshowcase/logs").st_mode)


@pytest.mark.parametrize("kind", ["link-to-file", "relative-link", "dangling-link", "fifo",
                                  "huge", pytest.param("device", marks=needs_root)])
def test_writing_replaces_what_was_there_never_writes_through_it(
        root: Path, folder: Folder, cells: Path, kind: str) -> None:
    plant(cells / "args", kind, root)
    in_thread(lambda: folder.write_file("args", b"new", "files.args"))
    assert (cells / "args").read_bytes() == b"new"
    assert stat.S_ISREG(os.lstat(cells / "args").st_mode)
    assert bob(root) == SECRET and not (root / "nowhere").exists()
    assert sorted(os.listdir(cells)) == ["args"]  # no temporary file left behind


def test_writing_over_a_folder_is_refused_and_leaves_nothing(folder: Folder,
                                                             cells: Path) -> None:
    (cells / "args/inside").mkdir(parents=True)
    with pytest.raises(UnsafeEntry, match="^args is a folder, not a file$"):
        folder.write_file("args", b"new", "files.args")
    assert sorted(os.listdir(cells)) == ["args"]
    assert os.listdir(cells / "args") == ["inside"]


def test_a_new_file_is_made_under_a_fresh_name_and_appears_on_commit(folder: Folder,
                                                                     cells: Path) -> None:
    with folder.new_file("out.log", "log file") as new:
        new.write(b"part")
        [temporary] = os.listdir(cells)
        assert temporary.startswith(".ksc-") and temporary.endswith(".partial")
        assert not (cells / "out.log").exists()
        new.commit()
    assert os.listdir(cells) == ["out.log"]


def test_a_new_file_discarded_leaves_nothing(folder: Folder, cells: Path) -> None:
    with pytest.raises(RuntimeError):
        with folder.new_file("out.log", "log file") as new:
            new.write(b"part")
            raise RuntimeError("stream broke")
    assert os.listdir(cells) == []


@pytest.mark.parametrize("kind", ["link-to-file", "link-to-folder", "dangling-link", "fifo",
                                  "socket", "huge", pytest.param("device", marks=needs_root)])
def test_removing_removes_the_name_itself(root: Path, folder: Folder, cells: Path,
                                          kind: str) -> None:
    plant(cells / "out", kind, root)
    in_thread(lambda: folder.remove_entry("out"))
    assert not os.path.lexists(cells / "out")
    assert bob(root) == SECRET and os.listdir(root / "bob/proj") == ["results.csv"]


def test_removing_a_folder_never_follows_the_links_in_it(root: Path, folder: Folder,
                                                         cells: Path) -> None:
    (cells / "out/deep").mkdir(parents=True)
    (cells / "out/deep/to-bob").symlink_to(root / "bob/proj")
    (cells / "out/to-file").symlink_to(root / "bob/proj/results.csv")
    os.mkfifo(cells / "out/deep/pipe")
    in_thread(lambda: folder.remove_entry("out"))
    assert os.listdir(cells) == []
    assert bob(root) == SECRET and os.listdir(root / "bob/proj") == ["results.csv"]


def test_is_regular_file_does_not_follow(root: Path, folder: Folder, cells: Path) -> None:
    (cells / "real.log").write_text("x")
    plant(cells / "linked.log", "link-to-file", root)
    assert folder.is_regular_file("real.log", "log")
    assert not folder.is_regular_file("linked.log", "log")
    assert not folder.is_regular_file("missing/x.log", "log")


@pytest.mark.parametrize(("project", "reason", "message"), [
    ("alice/missing", "ProjectNotFound",
     "project folder 'alice/missing' does not exist on the data volume"),
    ("alice/../bob", "InvalidProject",
     "project 'alice/../bob' must be a relative path without '.' or '..'"),
    ("/etc", "InvalidProject", "project '/etc' must be a relative path without '.' or '..'"),
    ("alice/linked", "InvalidProject",
     "project 'alice/linked': alice/linked is a symbolic link (not followed)"),
    ("eve/cells", "InvalidProject", "project 'eve/cells': eve is a symbolic link (not followed)"),
    ("alice/file/x", "InvalidProject",
     "project 'alice/file/x': alice/file is a file, not a folder"),
])
def test_the_project_folder_is_walked_without_following(root: Path, project: str, reason: str,
                                                        message: str) -> None:
    (root / "alice/linked").symlink_to(root / "bob/proj")
    (root / "eve").symlink_to(root / "bob")
    (root / "alice/file").write_text("x")
    with pytest.raises(ProjectError) as caught:
        with open_project(root, project):
            pass
    assert (caught.value.reason, caught.value.message) == (reason, message)


def test_every_descriptor_is_closed(root: Path, cells: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        with open_project(root, "alice/cells") as folder:
            folder.write_file(".kubeshowcase/args", b"x", "files.args")
            folder.read_capped(".kubeshowcase/args", 10, "x")
            with pytest.raises(UnsafeEntry):
                folder.read_capped(".kubeshowcase", 10, "x")
            folder.remove_entry(".kubeshowcase")
    assert len(os.listdir("/proc/self/fd")) == before
