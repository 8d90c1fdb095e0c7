"""Filesystem work on the data volume: listing, measuring, and all-or-nothing moves."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from projects.paths import UnsafePath, check_project_name, resolve_inside
from projects.quotas import Usage

STAGING = ".staging"


class Conflict(Exception):
    """A name that already exists where something new was to be put."""

    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}” already exists here; rename or delete it first.")
        self.name = name


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    is_file: bool
    size: int
    modified: datetime


def data_root() -> Path:
    if settings.DATA_ROOT is None:
        raise ImproperlyConfigured("DATA_ROOT is not set")
    return Path(settings.DATA_ROOT)


def staging_dir() -> Path:
    """Scratch space on the same filesystem as the projects, so finished work is renamed in."""
    path = data_root() / STAGING
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def new_staging_folder(purpose: str) -> Path:
    path = staging_dir() / f"{purpose}-{secrets.token_hex(8)}"
    path.mkdir(mode=0o700)
    return path


def owner_folder(owner_slug: str) -> Path:
    root = data_root()
    root.mkdir(parents=True, exist_ok=True)
    return resolve_inside(root, owner_slug, for_write=True)


def list_entries(folder: Path) -> list[Entry]:
    """Folders first, then files, by name; symlinks and special files are listed as neither."""
    entries = []
    with os.scandir(folder) as scan:
        for item in scan:
            try:
                info = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed while we were listing (a pipeline may be writing here)
            entries.append(
                Entry(
                    name=item.name,
                    is_dir=stat.S_ISDIR(info.st_mode),
                    is_file=stat.S_ISREG(info.st_mode),
                    size=info.st_size,
                    modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
                )
            )
    return sorted(entries, key=lambda entry: (not entry.is_dir, entry.name.casefold(), entry.name))


def list_projects(owner_path: Path) -> list[Entry]:
    if not owner_path.is_dir():
        return []
    return [
        entry for entry in list_entries(owner_path) if entry.is_dir and _is_project_name(entry.name)
    ]


def _is_project_name(name: str) -> bool:
    try:
        check_project_name(name)
    except UnsafePath:
        return False
    return True


def measure_usage(owner_path: Path) -> Usage:
    """Projects, regular files and their bytes under one owner's folder (symlinks not followed)."""
    projects = len(list_projects(owner_path))
    files = size = 0
    for directory, _, names in os.walk(owner_path):
        for name in names:
            try:
                info = os.lstat(os.path.join(directory, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                files += 1
                size += info.st_size
    return Usage(projects=projects, files=files, bytes=size)


def move_all_into(folder: Path, moves: Iterable[tuple[Path, str]]) -> None:
    """Move each (source, name) into folder; all of them or, on any failure, none.

    Never replaces anything: an existing name raises Conflict before anything moves.
    """
    moves = list(moves)
    check_names_free(folder, [name for _, name in moves])
    done: list[tuple[Path, Path]] = []
    try:
        for source, name in moves:
            target = folder / name
            _move_without_replacing(source, target)
            done.append((source, target))
    except BaseException:
        for source, target in reversed(done):
            os.rename(target, source)
        raise


def check_names_free(folder: Path, names: list[str]) -> None:
    """Conflict unless every name is distinct and absent from folder."""
    seen: set[str] = set()
    for name in names:
        if name in seen or os.path.lexists(folder / name):
            raise Conflict(name)
        seen.add(name)


def _move_without_replacing(source: Path, target: Path) -> None:
    if source.is_dir():
        # rename() would replace an empty folder; the lexists check above guards that.
        if os.path.lexists(target):
            raise Conflict(target.name)
        os.rename(source, target)
        return
    try:
        os.link(source, target)  # fails if target exists, unlike rename()
    except FileExistsError:
        raise Conflict(target.name) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # Filesystems without hard links: the lexists check above is the guard.
        os.rename(source, target)
        return
    os.unlink(source)


def remove_entry(path: Path) -> None:
    """Delete a file, link or folder. A folder leaves its place at once, then is emptied."""
    if path.is_dir() and not path.is_symlink():
        doomed = staging_dir() / f"deleting-{secrets.token_hex(8)}"
        os.rename(path, doomed)
        shutil.rmtree(doomed)
    else:
        path.unlink()
