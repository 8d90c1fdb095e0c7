"""Work on the data volume by handle: listing, measuring, staging, and all-or-nothing moves."""

from __future__ import annotations

import errno
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from projects.paths import accepts, check_project_name
from projects.safefs import DIR, FILE, Dir, NotFound
from projects.volume import open_staging

STORAGE_FULL = "Storage is full: nothing was saved. Delete some files, or ask an administrator."
_FULL = (errno.ENOSPC, errno.EDQUOT)


class Conflict(Exception):
    """A name that already exists where something new was to be put."""

    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}” already exists here; rename or delete it first.")
        self.name = name


def is_storage_full(error: BaseException) -> bool:
    """Whether an error means the volume (or the owner's filesystem quota) has no room left."""
    return isinstance(error, OSError) and error.errno in _FULL


def list_projects(owner: Dir) -> list[str]:
    """The names of an owner folder's project folders (a link is no project), sorted."""
    return sorted(name for name, is_dir in owner.names()
                  if is_dir and accepts(check_project_name, name))


@dataclass(frozen=True)
class Count:
    files: int
    bytes: int


def count_tree(folder: Dir) -> Count:
    """Regular files and their bytes under folder: links are never followed, FIFOs and devices
    never opened, depth bounded (safefs.MAX_WALK_DEPTH)."""
    files = size = 0
    for _, _, entries in folder.walk():
        for entry in entries:
            if entry.is_file:
                files += 1
                size += entry.size
    return Count(files=files, bytes=size)


def count_entry(parent: Dir, name: str) -> Count:
    """What deleting parent/name takes away: a folder's tree, one file, or nothing (a link)."""
    entry = parent.entry(name)
    if entry is None or entry.kind not in (DIR, FILE):
        return Count(files=0, bytes=0)
    if entry.is_file:
        return Count(files=1, bytes=entry.size)
    try:
        with parent.open_dir([name]) as folder:
            return count_tree(folder)
    except NotFound:  # swapped for something else meanwhile
        return Count(files=0, bytes=0)


def sorted_names(folder: Dir) -> list[tuple[str, bool]]:
    """(name, is a folder) of every entry, folders first, then by name: nothing is stat'ed, so
    a folder of 100,000 names costs names; the page shown stats its own entries (Dir.entry)."""
    folders: list[str] = []
    others: list[str] = []
    for name, is_dir in folder.names():
        (folders if is_dir else others).append(name)
    for names in (folders, others):  # by casefold, then by name: two C-level sorts, no lambda
        names.sort()
        names.sort(key=str.casefold)
    return [(name, True) for name in folders] + [(name, False) for name in others]


@contextmanager
def staging_folder(purpose: str) -> Iterator[Dir]:
    """A fresh folder in DATA_ROOT/.staging, removed (by handle) with whatever is left in it."""
    name = f"{purpose}-{secrets.token_hex(8)}"
    with open_staging() as staging:
        staging.mkdir(name, 0o700)
        try:
            with staging.open_dir([name]) as folder:
                yield folder
        finally:
            staging.remove_tree(name)


def remove_entry(parent: Dir, name: str) -> None:
    """Delete a file, link or folder of parent; a folder leaves its place at once via staging."""
    with open_staging() as staging:
        parent.remove(name, staging)


def check_names_free(folder: Dir, names: Iterable[str]) -> None:
    """Conflict unless every name is distinct and absent from folder (a link counts as taken)."""
    seen: set[str] = set()
    for name in names:
        if name in seen or folder.exists(name):
            raise Conflict(name)
        seen.add(name)


@dataclass(frozen=True)
class Move:
    source: Dir
    name: str
    new_name: str


def move_all_into(folder: Dir, moves: Iterable[Move]) -> None:
    """Move each source/name to folder/new_name; all of them or, on any failure, none.

    Never replaces anything (renameat2 NOREPLACE): a taken name raises Conflict.
    """
    moves = list(moves)
    check_names_free(folder, [move.new_name for move in moves])
    done: list[Move] = []
    try:
        for move in moves:
            try:
                move.source.move(move.name, folder, move.new_name)
            except FileExistsError:
                raise Conflict(move.new_name) from None
            done.append(move)
    except BaseException:
        for move in reversed(done):
            folder.move(move.new_name, move.source, move.name)
        raise
