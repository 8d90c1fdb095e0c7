"""projects.safefs: walking by handle refuses every planted link, FIFO and wrong kind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from projects import noreplace, safefs
from projects.safefs import NotFound, WrongKind, open_root


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    """alice/p with a file and a folder; bob/secret.txt a decoy outside alice's project."""
    (tmp_path / "alice" / "p" / "sub").mkdir(parents=True)
    (tmp_path / "alice" / "p" / "a.txt").write_bytes(b"alice")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "secret.txt").write_bytes(b"bob's secret")
    return tmp_path


def project(volume: Path) -> safefs.Dir:
    with open_root(volume) as root:
        return root.open_dir(["alice", "p"])


def test_it_reads_a_regular_file(volume: Path) -> None:
    with project(volume) as folder:
        assert folder.read_bounded("a.txt", 100) == (b"alice", False)
        assert folder.read_bounded("a.txt", 3) == (b"ali", True)


@pytest.mark.parametrize("target", ["../../bob/secret.txt", "/etc/passwd", "sub", "missing"])
def test_it_never_follows_a_link_to_a_file(volume: Path, target: str) -> None:
    (volume / "alice/p/link").symlink_to(target)
    with project(volume) as folder:
        with pytest.raises(WrongKind):
            folder.open_file("link")
        assert folder.entry("link").kind == safefs.LINK


def test_it_never_enters_a_linked_folder(volume: Path) -> None:
    (volume / "alice/p/out").symlink_to(volume / "bob")
    with project(volume) as folder:
        with pytest.raises(WrongKind):
            folder.open_dir(["out"])
        with pytest.raises(WrongKind):
            folder.ensure_dir(["out", "deeper"])
    assert sorted(os.listdir(volume / "bob")) == ["secret.txt"]


def test_a_linked_project_or_owner_is_not_opened(volume: Path) -> None:
    (volume / "mallory").symlink_to(volume / "bob")
    with open_root(volume) as root:
        with pytest.raises(WrongKind):
            root.open_dir(["mallory"])
        with pytest.raises(NotFound):
            root.open_dir(["nobody"])


def test_a_fifo_is_refused_without_blocking(volume: Path) -> None:
    os.mkfifo(volume / "alice/p/pipe")
    with project(volume) as folder:
        with pytest.raises(WrongKind, match="special file"):
            folder.open_file("pipe")
        assert folder.entry("pipe").kind == safefs.OTHER


def test_a_folder_is_not_a_file(volume: Path) -> None:
    with project(volume) as folder:
        with pytest.raises(WrongKind, match="a folder"):
            folder.open_file("sub")


def test_create_never_writes_through_a_link(volume: Path) -> None:
    (volume / "alice/p/new.txt").symlink_to(volume / "bob/secret.txt")
    with project(volume) as folder:
        with pytest.raises(FileExistsError):
            folder.create("new.txt")
    assert (volume / "bob/secret.txt").read_bytes() == b"bob's secret"


def test_write_atomically_replaces_a_link_as_a_name(volume: Path) -> None:
    (volume / "alice/p/out.txt").symlink_to(volume / "bob/secret.txt")
    with project(volume) as folder:
        assert folder.write_atomically("out.txt", [b"mine"]) == 4
        assert folder.entry("out.txt").kind == safefs.FILE
    assert (volume / "alice/p/out.txt").read_bytes() == b"mine"
    assert (volume / "bob/secret.txt").read_bytes() == b"bob's secret"
    assert not [n for n in os.listdir(volume / "alice/p") if n.endswith(".partial")]


def test_remove_takes_the_link_not_its_target(volume: Path) -> None:
    (volume / "alice/p/out").symlink_to(volume / "bob")
    with open_root(volume) as root, root.ensure_dir([".staging"]) as trash:
        with root.open_dir(["alice", "p"]) as folder:
            folder.remove("out", trash)
            folder.remove("sub", trash)
            assert folder.entry("out") is None and folder.entry("sub") is None
    assert (volume / "bob/secret.txt").read_bytes() == b"bob's secret"
    assert os.listdir(volume / ".staging") == []


def test_removing_a_folder_never_follows_links_inside_it(volume: Path) -> None:
    (volume / "alice/p/sub/out").symlink_to(volume / "bob")
    with open_root(volume) as root, root.ensure_dir([".staging"]) as trash:
        with root.open_dir(["alice", "p"]) as folder:
            folder.remove("sub", trash)
    assert (volume / "bob/secret.txt").exists()


def test_move_never_replaces(volume: Path) -> None:
    (volume / "alice/p/b.txt").write_bytes(b"b")
    with project(volume) as folder:
        with pytest.raises(FileExistsError):
            folder.move("a.txt", folder, "b.txt")
        with pytest.raises(FileExistsError):
            folder.move("sub", folder, "b.txt")
        folder.move("a.txt", folder, "c.txt")
    assert (volume / "alice/p/c.txt").read_bytes() == b"alice"
    assert (volume / "alice/p/b.txt").read_bytes() == b"b"


def test_the_fallback_rename_never_replaces(volume: Path) -> None:
    (volume / "alice/p/b.txt").write_bytes(b"b")
    with project(volume) as folder:
        with pytest.raises(FileExistsError):
            noreplace._rename_noreplace_fallback(folder.fd, "a.txt", folder.fd, "b.txt")
        with pytest.raises(FileExistsError):
            noreplace._rename_noreplace_fallback(folder.fd, "sub", folder.fd, "b.txt")
        noreplace._rename_noreplace_fallback(folder.fd, "sub", folder.fd, "sub2")
    assert (volume / "alice/p/sub2").is_dir()


def test_walk_lists_links_but_never_enters_them(volume: Path) -> None:
    (volume / "alice/p/sub/deep.txt").write_bytes(b"d")
    (volume / "alice/p/out").symlink_to(volume / "bob")
    with project(volume) as folder:
        seen = {segments: [(e.name, e.kind) for e in entries]
                for segments, _, entries in folder.walk()}
    assert seen == {
        (): [("a.txt", "file"), ("out", "link"), ("sub", "dir")],
        ("sub",): [("deep.txt", "file")],
    }


def test_handles_are_closed(volume: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        with project(volume) as folder:
            list(folder.walk())
            folder.read_bounded("a.txt", 10)
    assert len(os.listdir("/proc/self/fd")) == before


def test_remove_tree_empties_a_folder_of_every_kind_and_follows_nothing(volume: Path) -> None:
    doomed = volume / "alice/p/sub"
    (doomed / "deep/deeper").mkdir(parents=True)
    (doomed / "deep/a.txt").write_bytes(b"a")
    (doomed / "deep/out").symlink_to(volume / "bob")
    os.mkfifo(doomed / "deep/deeper/fifo")
    with project(volume) as folder:
        folder.remove_tree("sub")
        folder.remove_tree("sub")  # already gone: nothing to do
        assert folder.entry("sub") is None
    assert (volume / "bob/secret.txt").read_bytes() == b"bob's secret"


def test_remove_tree_unlinks_a_link_in_place_of_the_folder(volume: Path) -> None:
    (volume / "alice/p/linked").symlink_to(volume / "bob")
    with project(volume) as folder:
        folder.remove_tree("linked")
        assert folder.entry("linked") is None
    assert (volume / "bob/secret.txt").exists()
