"""Removing a name by folder descriptor: folders wholly, links as links, never a path twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accounts.removal import opened_folder, remove_at


def test_it_removes_a_folder_with_everything_in_it_but_not_what_its_links_point_at(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"keep")
    doomed = tmp_path / "root" / "doomed"
    (doomed / "deep").mkdir(parents=True)
    (doomed / "deep" / "a.txt").write_bytes(b"a")
    (doomed / "deep" / "out").symlink_to(outside)
    os.mkfifo(doomed / "fifo")
    with opened_folder(tmp_path / "root") as root_fd:
        assert remove_at(root_fd, "doomed") is True
        assert remove_at(root_fd, "doomed") is False  # already gone: nothing to do
    assert os.listdir(tmp_path / "root") == []
    assert (outside / "keep.txt").read_bytes() == b"keep"


def test_a_link_is_removed_as_a_link(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "keep.txt").write_bytes(b"keep")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with opened_folder(tmp_path) as root_fd:
        assert remove_at(root_fd, "link") is True
    assert not os.path.lexists(tmp_path / "link")
    assert (tmp_path / "target" / "keep.txt").read_bytes() == b"keep"


def test_a_folder_that_is_a_link_is_not_opened(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError), opened_folder(tmp_path / "link"):
        pass
    with opened_folder(tmp_path / "link", follow=True):
        pass  # only for trusted configuration such as DATA_ROOT


@pytest.mark.parametrize("name", ["", ".", "..", "a/b"])
def test_it_takes_one_name_only(tmp_path: Path, name: str) -> None:
    with opened_folder(tmp_path) as root_fd, pytest.raises(ValueError):
        remove_at(root_fd, name)
