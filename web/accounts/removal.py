"""Removing a name inside a folder opened by descriptor: links are removed, never followed."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# rmtree walks by descriptor (openat, O_NOFOLLOW, fstat checks) only where the platform can.
assert shutil.rmtree.avoids_symlink_attacks, "this platform's rmtree may follow symlinks"


@contextmanager
def opened_folder(
    path: Path | str, *, dir_fd: int | None = None, follow: bool = False
) -> Iterator[int]:
    """A descriptor of the folder path (relative to dir_fd when given).

    follow=True only for trusted configuration (DATA_ROOT may be a link an admin made); inside
    it, a link where a folder is expected raises OSError (ELOOP or ENOTDIR), never is followed.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


def exists_at(dir_fd: int, name: str) -> bool:
    try:
        os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    return True


def remove_at(dir_fd: int, name: str) -> bool:
    """Remove name from the folder dir_fd: a folder with all it holds, anything else (a link, a
    FIFO, a file) as itself. False when nothing had that name.

    Raises OSError when the name changes kind while it is removed (rmtree then refuses to go on).
    """
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"not a single name: {name!r}")
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd, onerror=_unless_already_gone)
    else:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return False
    return True


def _unless_already_gone(function: object, path: str, exc_info: tuple) -> None:
    """rmtree's error handler: something else removing a name first is no failure."""
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]


def names_in(dir_fd: int) -> list[tuple[str, os.stat_result]]:
    """Each name in the folder with its lstat, skipping names removed while listing."""
    found = []
    for name in os.listdir(dir_fd):
        try:
            found.append((name, os.lstat(name, dir_fd=dir_fd)))
        except FileNotFoundError:
            continue
    return found
