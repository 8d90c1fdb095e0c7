"""Work on the data volume by handle: all-or-nothing moves that never replace, usage, staging."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from projects.safefs import Dir, open_root
from projects.storage import (
    Conflict,
    Count,
    Move,
    count_entry,
    count_tree,
    list_projects,
    move_all_into,
    remove_entry,
    sorted_names,
    staging_folder,
)


@pytest.fixture
def root(tmp_path: Path) -> Dir:
    (tmp_path / "target").mkdir()
    with open_root(tmp_path) as opened:
        yield opened


def target(root: Dir) -> Dir:
    return root.open_dir(["target"])


def test_moves_put_everything_in_place(tmp_path: Path, root: Dir) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "b").write_text("b")
    with target(root) as folder:
        move_all_into(folder, [Move(root, "a", "a.txt"), Move(root, "tree", "tree")])
    assert (tmp_path / "target" / "a.txt").read_text() == "a"
    assert (tmp_path / "target" / "tree" / "b").read_text() == "b"
    assert not (tmp_path / "a").exists()


def test_a_failure_half_way_puts_everything_back(tmp_path: Path, root: Dir) -> None:
    (tmp_path / "first").write_text("1")
    with target(root) as folder, pytest.raises(FileNotFoundError):
        move_all_into(folder, [Move(root, "first", "first"), Move(root, "missing", "second")])
    assert list((tmp_path / "target").iterdir()) == []
    assert (tmp_path / "first").read_text() == "1"


def test_an_existing_name_stops_the_whole_batch_before_anything_moves(
    tmp_path: Path, root: Dir
) -> None:
    (tmp_path / "new").write_text("new")
    (tmp_path / "clash").write_text("upload")
    (tmp_path / "target" / "clash").write_text("precious")
    with target(root) as folder, pytest.raises(Conflict, match="clash"):
        move_all_into(folder, [Move(root, "new", "new"), Move(root, "clash", "clash")])
    assert (tmp_path / "target" / "clash").read_text() == "precious"
    assert not (tmp_path / "target" / "new").exists()


@pytest.mark.parametrize("kind", ["empty folder", "link", "dangling link"])
def test_nothing_at_the_name_is_ever_replaced(tmp_path: Path, root: Dir, kind: str) -> None:
    (tmp_path / "incoming").mkdir()
    (tmp_path / "elsewhere").mkdir()
    taken = tmp_path / "target" / "incoming"
    if kind == "empty folder":
        taken.mkdir()
    else:
        taken.symlink_to(tmp_path / ("elsewhere" if kind == "link" else "nowhere"))
    with target(root) as folder, pytest.raises(Conflict):
        move_all_into(folder, [Move(root, "incoming", "incoming")])
    assert (tmp_path / "incoming").is_dir()
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_counting_takes_regular_files_and_bytes_without_following_links(tmp_path: Path) -> None:
    owner = tmp_path / "alice"
    (owner / "p1" / "sub").mkdir(parents=True)
    (owner / "p2").mkdir()
    (owner / "p1" / "a").write_bytes(b"12345")
    (owner / "p1" / "sub" / "b").write_bytes(b"123")
    (owner / "p2" / "link").symlink_to(tmp_path)
    (owner / "p2" / "file-link").symlink_to(owner / "p1" / "a")
    os.mkfifo(owner / "p2" / "fifo")
    (owner / "linked-project").symlink_to(owner / "p1")
    with open_root(tmp_path) as root, root.open_dir(["alice"]) as opened:
        assert list_projects(opened) == ["p1", "p2"]
        assert count_tree(opened) == Count(files=2, bytes=8)
        assert count_entry(opened, "p1") == Count(files=2, bytes=8)
        assert count_entry(opened, "linked-project") == Count(files=0, bytes=0)
        with opened.open_dir(["p1"]) as p1:
            assert count_entry(p1, "a") == Count(files=1, bytes=5)


def test_listing_puts_folders_first_and_never_takes_a_link_for_a_folder(tmp_path: Path) -> None:
    here = tmp_path / "listed"
    here.mkdir()
    (here / "b.txt").write_text("b")
    (here / "Z").mkdir()
    (here / "a-link").symlink_to(here / "Z")
    os.mkfifo(here / "pipe")
    with open_root(here) as root:
        assert sorted_names(root) == [
            ("Z", True), ("a-link", False), ("b.txt", False), ("pipe", False),
        ]


def test_removing_a_folder_leaves_no_trace_in_staging(settings) -> None:  # noqa: ANN001
    folder = Path(settings.DATA_ROOT) / "alice" / "p" / "sub"
    folder.mkdir(parents=True)
    (folder / "x").write_text("x")
    (folder / "deeper" / "still").mkdir(parents=True)
    os.mkfifo(folder / "deeper" / "fifo")
    with open_root(settings.DATA_ROOT) as root, root.open_dir(["alice", "p"]) as parent:
        remove_entry(parent, "sub")
    assert not folder.exists()
    assert list((Path(settings.DATA_ROOT) / ".staging").iterdir()) == []


def test_a_staging_folder_is_gone_afterwards_whatever_was_left_in_it(settings) -> None:  # noqa: ANN001
    staging = Path(settings.DATA_ROOT) / ".staging"
    with pytest.raises(RuntimeError), staging_folder("unzip") as folder:
        folder.ensure_dir(["a", "b"]).close()
        with folder.create("c.bin") as out:
            out.write(b"c")
        assert len(list(staging.iterdir())) == 1
        raise RuntimeError("unpacking failed half way")
    assert list(staging.iterdir()) == []
