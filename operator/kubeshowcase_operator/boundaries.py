"""Spec-level boundaries: the project a run may name, and which projects share files."""

from __future__ import annotations

OUTSIDE_OWNER = "ProjectOutsideOwner"  # the reason a run so refused fails with


def project_outside_owner(owner: str, project: str) -> str | None:
    """Why a run of `owner` may not use `project`; None when it may.

    The web app writes spec.project as `<owner>/<project>`: one folder inside the owner's.
    A run made with kubectl that names anything else (another user's project, the owner's
    whole space, a folder deeper down) is refused before the volume is touched."""
    owner_part, slash, name = project.partition("/")
    if owner and slash and owner_part == owner and name and "/" not in name:
        return None
    return (f"project {project!r} is not a project of owner {owner!r}: "
            f"expected {owner or '<owner>'}/<project>")


def folder_and_ancestors(project: str) -> list[str]:
    """`alice/cells/x` -> [`alice`, `alice/cells`, `alice/cells/x`]."""
    parts = project.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def projects_overlap(first: str, second: str) -> bool:
    """Whether two project folders share files: the same folder, or one inside the other
    (`alice` and `alice/cells`; but not `alice/cells` and `alice/cells2`)."""
    return (first == second or first.startswith(second + "/")
            or second.startswith(first + "/"))
