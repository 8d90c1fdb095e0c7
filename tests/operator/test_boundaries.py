"""Which project a run may name, and which project folders share files."""

from __future__ import annotations

import pytest

from kubeshowcase_operator.boundaries import (
    folder_and_ancestors,
    project_outside_owner,
    projects_overlap,
)


@pytest.mark.parametrize(("owner", "project"), [
    ("alice", "alice/cells"), ("guest-1f2e", "guest-1f2e/my cells"), ("a.b@c+d", "a.b@c+d/x")])
def test_a_project_of_the_owner_is_allowed(owner: str, project: str) -> None:
    assert project_outside_owner(owner, project) is None


@pytest.mark.parametrize(("owner", "project"), [
    ("alice", "bob/proj"),  # another user's project
    ("alice", "alice"),  # the owner's whole space
    ("alice", "alice/"),
    ("alice", "alice/cells/raw"),  # a folder inside a project
    ("alice", "alicex/cells"),  # a longer owner that starts alike
    ("ali", "alice/cells"),
    ("", "alice/cells"),
    ("alice", "/alice/cells"),
])
def test_anything_else_is_refused_with_the_expected_shape(owner: str, project: str) -> None:
    assert project_outside_owner(owner, project) == (
        f"project {project!r} is not a project of owner {owner!r}: "
        f"expected {owner or '<owner>'}/<project>")


def test_folder_and_ancestors() -> None:
    assert folder_and_ancestors("alice") == ["alice"]
    assert folder_and_ancestors("alice/cells/raw") == ["alice", "alice/cells", "alice/cells/raw"]


@pytest.mark.parametrize(("first", "second", "overlap"), [
    ("alice/cells", "alice/cells", True),
    ("alice", "alice/cells", True),
    ("alice/cells", "alice", True),
    ("alice/cells", "alice/cells/raw/deep", True),
    ("alice/cells", "alice/cells2", False),
    ("alice/cells", "alice/cell", False),
    ("alice", "alicex", False),
    ("alice/cells", "bob/cells", False),
])
def test_projects_overlap_when_one_holds_the_other(first: str, second: str,
                                                   overlap: bool) -> None:
    assert projects_overlap(first, second) is overlap
    assert projects_overlap(second, first) is overlap
