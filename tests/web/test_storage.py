"""Filesystem moves on the data volume are all or nothing and never replace anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from projects.storage import Conflict, measure_usage, move_all_into, remove_entry


def test_moves_put_everything_in_place(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "b").write_text("b")
    target = tmp_path / "target"
    target.mkdir()
    move_all_into(target, [(tmp_path / "a", "a.txt"), (tmp_path / "tree", "tree")])
    assert (target / "a.txt").read_text() == "a"
    assert (target / "tree" / "b").read_text() == "b"
    assert not (tmp_path / "a").exists()


def test_a_failure_half_way_puts_everything_back(tmp_path: Path) -> None:
    (tmp_path / "first").write_text("1")
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(FileNotFoundError):
        move_all_into(target, [(tmp_path / "first", "first"), (tmp_path / "missing", "second")])
    assert list(target.iterdir()) == []
    assert (tmp_path / "first").read_text() == "1"


def test_an_existing_name_stops_the_whole_batch_before_anything_moves(tmp_path: Path) -> None:
    (tmp_path / "new").write_text("new")
    (tmp_path / "clash").write_text("upload")
    target = tmp_path / "target"
    target.mkdir()
    (target / "clash").write_text("precious")
    with pytest.raises(Conflict, match="clash"):
        move_all_into(target, [(tmp_path / "new", "new"), (tmp_path / "clash", "clash")])
    assert (target / "clash").read_text() == "precious"
    assert not (target / "new").exists()


def test_an_empty_existing_folder_is_not_replaced_by_a_folder(tmp_path: Path) -> None:
    (tmp_path / "incoming").mkdir()
    target = tmp_path / "target"
    (target / "incoming").mkdir(parents=True)
    with pytest.raises(Conflict):
        move_all_into(target, [(tmp_path / "incoming", "incoming")])


def test_usage_counts_regular_files_and_bytes_without_following_links(
    tmp_path: Path, settings
) -> None:  # noqa: ANN001
    owner = tmp_path / "alice"
    (owner / "p1" / "sub").mkdir(parents=True)
    (owner / "p2").mkdir()
    (owner / "p1" / "a").write_bytes(b"12345")
    (owner / "p1" / "sub" / "b").write_bytes(b"123")
    (owner / "p2" / "link").symlink_to(tmp_path)
    usage = measure_usage(owner)
    assert (usage.projects, usage.files, usage.bytes) == (2, 2, 8)


def test_removing_a_folder_leaves_no_trace_in_staging(settings) -> None:  # noqa: ANN001
    folder = Path(settings.DATA_ROOT) / "alice" / "p" / "sub"
    folder.mkdir(parents=True)
    (folder / "x").write_text("x")
    remove_entry(folder)
    assert not folder.exists()
    assert list((Path(settings.DATA_ROOT) / ".staging").iterdir()) == []
