"""Small pieces the projects views share: where to go back to, what stops a change, telling."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from projects import busy
from projects.lookup import Project
from projects.storage import STORAGE_FULL, is_storage_full


def folder_url(project_name: str, path: str) -> str:
    if not path:
        return reverse("projects-detail", args=[project_name])
    return reverse("projects-browse", args=[project_name, path])


def path_urls(name: str, project_name: str) -> Callable[[str], str]:
    """reverse(name, args=[project_name, path]) for the many paths of a listing at the cost of
    one: the route ends in <relpath:path>, whose converter passes text through, so the URL is
    the empty path's plus the path quoted as reverse() quotes it (tests compare the two)."""
    head = reverse(name, args=[project_name, ""])

    def url(path: str) -> str:
        if "\n" in path:  # the converter's ".*" stops at a newline: reverse() says what then
            return reverse(name, args=[project_name, path])
        return head + quote(path, safe=RFC3986_SUBDELIMS + "/~:@")

    return url


def parent_path(path: str) -> str:
    return path.rpartition("/")[0]


def join_path(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def busy_refusal(project: Project) -> str | None:
    """Why this project must not change now (a run uses it), as a sentence; None if it may."""
    reason = busy.project_is_busy(project.owner.slug, project.name)
    if reason is None:
        return None
    return f"“{project.name}” cannot be changed right now: {reason}"


def attempt(change: Callable[[], None], *, taken: str, gone: str = "") -> str | None:
    """Make one change on the volume; None if done, else why not: the name was taken, the thing
    to change is gone (if `gone` says so), or the disk is full. Other errors are not ours to
    explain, so they go on."""
    try:
        change()
    except FileExistsError:
        return taken
    except FileNotFoundError:
        if not gone:
            raise
        return gone
    except OSError as error:
        if is_storage_full(error):
            return STORAGE_FULL
        raise
    return None


def tell(request: HttpRequest, problem: str | None, success: str) -> None:
    """Flash the problem if there was one, else the success message."""
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, success)
