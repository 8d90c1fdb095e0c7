"""Checking user-supplied names and relative paths as text: segments, lengths, characters.

Opening them is projects.safefs's job, which walks by handle and never follows a link."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation

MAX_NAME_BYTES = 255  # NAME_MAX of Linux filesystems
MAX_PATH_BYTES = 1024
MAX_DEPTH = 32
MAX_PROJECT_NAME = 64
# A project folder is one segment of PipelineRun.spec.project (see crds/), plus a length cap.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .+@-]*")
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


class UnsafePath(SuspiciousOperation):
    """A path that could leave its folder, or a name we do not accept; the message says why.

    Being a SuspiciousOperation, an uncaught one becomes Django's 400 page (and a security log).
    """


def accepts(check: Callable[[str], str], name: str) -> bool:
    """Whether check (check_name, check_project_name) takes name without UnsafePath."""
    try:
        check(name)
    except UnsafePath:
        return False
    return True


def check_name(name: str) -> str:
    """One file or folder name, returned unchanged when acceptable."""
    if not name:
        raise UnsafePath("A name cannot be empty.")
    if name in (".", ".."):
        raise UnsafePath(f"“{name}” cannot be used as a name.")
    if "/" in name or "\\" in name:
        raise UnsafePath("A name cannot contain “/” or “\\”.")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise UnsafePath("A name cannot contain control characters such as NUL or a line break.")
    if name != name.strip():
        raise UnsafePath("A name cannot start or end with a space.")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsafePath("A name must be valid text (UTF-8).") from None
    if size > MAX_NAME_BYTES:
        raise UnsafePath(f"A name can be at most {MAX_NAME_BYTES} bytes long.")
    return name


def check_project_name(name: str) -> str:
    check_name(name)
    if len(name) > MAX_PROJECT_NAME or not _PROJECT_NAME.fullmatch(name):
        raise UnsafePath(
            "Project names use letters, digits, spaces and _ . + @ -, start with a letter, "
            f"digit or _, and have at most {MAX_PROJECT_NAME} characters."
        )
    return name


def check_relative(relative: str) -> tuple[str, ...]:
    """The segments of a relative path ("" is the folder itself); raises UnsafePath otherwise.

    Takes already-decoded text: percent-decoding is the URL router's job, done exactly once.
    """
    if relative == "":
        return ()
    if "\x00" in relative:
        raise UnsafePath("A path cannot contain NUL characters.")
    if relative.startswith("/"):
        raise UnsafePath("A path must be relative, not start with “/”.")
    if "\\" in relative:
        raise UnsafePath("A path cannot contain backslashes.")
    if _DRIVE_LETTER.match(relative):
        raise UnsafePath("A path cannot start with a drive letter.")
    if len(relative.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise UnsafePath(f"A path can be at most {MAX_PATH_BYTES} bytes long.")
    segments = tuple(relative.split("/"))
    if len(segments) > MAX_DEPTH:
        raise UnsafePath(f"A path can be at most {MAX_DEPTH} folders deep.")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise UnsafePath("A path cannot contain empty, “.” or “..” parts.")
        check_name(segment)
    return segments
