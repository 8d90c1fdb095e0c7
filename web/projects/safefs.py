"""The one way the web app touches files on the data volume: directory handles, never path strings.

Everything under DATA_ROOT may have been written by an untrusted pipeline, so any name can be a
symlink, a FIFO, a device, a folder where a file was expected, or a huge file, and may change
between two calls. Hence every operation walks from an open directory handle, one name at a time,
with O_NOFOLLOW (and O_DIRECTORY for folders, O_NONBLOCK for anything that might be a FIFO),
checks what it opened with fstat, creates with O_EXCL, renames without replacing, and never
resolves a path string twice. Models: CPython's os.fwalk and shutil.rmtree(dir_fd=), Go's os.Root.

Names given to this module are single path segments already checked by projects.paths.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from projects.noreplace import rename_noreplace

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_WRITE_FLAGS = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_WALK_DEPTH = 64

DIR, FILE, LINK, OTHER = "dir", "file", "link", "other"


class NotFound(Exception):
    """Nothing usable by that name: missing, or of another kind (a link, a FIFO, ...)."""


class WrongKind(NotFound):
    """The name exists but is not what was asked for; the message says what it is."""


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return DIR
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISLNK(mode):
        return LINK
    return OTHER


def describe(mode: int) -> str:
    """What a file of this mode is, for a message a person reads."""
    return _describe_kind(kind_of(mode))


def _describe_kind(kind: str) -> str:
    return {
        DIR: "a folder", FILE: "a regular file", LINK: "a symbolic link",
    }.get(kind, "a special file (FIFO, socket or device)")


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # DIR, FILE, LINK or OTHER; a link is never followed to say what it points at
    size: int
    mtime_ns: int

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR

    @property
    def is_file(self) -> bool:
        return self.kind == FILE

    @property
    def is_link(self) -> bool:
        return self.kind == LINK

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, tz=UTC)

    @classmethod
    def from_stat(cls, name: str, info: os.stat_result) -> Entry:
        return cls(name=name, kind=kind_of(info.st_mode), size=info.st_size,
                   mtime_ns=info.st_mtime_ns)


class Dir:
    """An open folder. Use as a context manager; every method works relative to its handle."""

    def __init__(self, fd: int, label: str) -> None:
        self.fd = fd
        self.label = label  # for messages and logs only, never opened

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Dir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a safety net; callers close explicitly
        try:
            self.close()
        except OSError:
            pass

    # -- looking ----------------------------------------------------------------------------------
    def stat(self) -> os.stat_result:
        return os.fstat(self.fd)

    def entry(self, name: str) -> Entry | None:
        """What `name` is (not following a link), or None when absent."""
        try:
            return Entry.from_stat(name, os.stat(name, dir_fd=self.fd, follow_symlinks=False))
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None

    def exists(self, name: str) -> bool:
        return self.entry(name) is not None

    def entries(self) -> list[Entry]:
        """Every entry of this folder, links and special files included as what they are."""
        found = []
        with os.scandir(self.fd) as scan:
            for item in scan:
                try:
                    info = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed while we looked (a pipeline may be writing here)
                found.append(Entry.from_stat(item.name, info))
        return found

    def names(self) -> list[tuple[str, bool]]:
        """(name, is a real folder) of every entry, from the directory alone (d_type, no stat;
        a link is never a folder here)."""
        with os.scandir(self.fd) as scan:
            return [(item.name, item.is_dir(follow_symlinks=False)) for item in scan]

    # -- opening ----------------------------------------------------------------------------------
    def open_dir(self, segments: Iterable[str]) -> Dir:
        """The folder at segments below this one; NotFound if any part is missing or not a folder."""
        fd = os.dup(self.fd)
        label = self.label
        try:
            for name in segments:
                label = f"{label}/{name}"
                try:
                    next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    raise NotFound(f"{label} does not exist") from None
                except OSError as error:
                    if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EACCES):
                        raise WrongKind(f"{label} is not a folder") from None
                    raise
                os.close(fd)
                fd = next_fd
        except BaseException:
            os.close(fd)
            raise
        return Dir(fd, label)

    def open_file(self, name: str) -> BinaryIO:
        """A regular file of this folder, opened for reading. WrongKind for anything else.

        O_NONBLOCK: opening a FIFO must not hang; fstat then refuses it. Links are not followed.
        A name that is already no regular file is refused before it is opened at all (opening a
        device can have effects); fstat after the open catches a swap in between.
        """
        current = self.entry(name)
        if current is None:
            raise NotFound(f"{self.label}/{name} does not exist")
        if not current.is_file:
            raise WrongKind(f"{self.label}/{name} is {_describe_kind(current.kind)}")
        return self._open_regular(name, _READ_FLAGS, "rb")

    def _open_regular(self, name: str, flags: int, mode: str) -> BinaryIO:
        try:
            fd = os.open(name, flags, dir_fd=self.fd)
        except FileNotFoundError:
            raise NotFound(f"{self.label}/{name} does not exist") from None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO, errno.EACCES):
                raise WrongKind(f"{self.label}/{name} is not a regular file") from None
            raise
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise WrongKind(f"{self.label}/{name} is {describe(info.st_mode)}")
            os.set_blocking(fd, True)
            return os.fdopen(fd, mode)
        except BaseException:
            os.close(fd)
            raise

    def read_bounded(self, name: str, limit: int) -> tuple[bytes, bool]:
        """At most `limit` bytes of a regular file, and whether there was more."""
        with self.open_file(name) as handle:
            data = handle.read(limit + 1)
        return data[:limit], len(data) > limit

    # -- changing ---------------------------------------------------------------------------------
    def mkdir(self, name: str, mode: int = 0o777) -> None:
        """A new folder; FileExistsError if the name is taken (by anything, a link included)."""
        os.mkdir(name, mode, dir_fd=self.fd)

    def ensure_dir(self, segments: Iterable[str], mode: int = 0o777) -> Dir:
        """The folder at segments, made where missing; a link or file on the way is WrongKind."""
        current = Dir(os.dup(self.fd), self.label)
        try:
            for name in segments:
                try:
                    current.mkdir(name, mode)
                except FileExistsError:
                    pass
                following = current.open_dir([name])
                current.close()
                current = following
        except BaseException:
            current.close()
            raise
        return current

    def create(self, name: str, mode: int = 0o666) -> BinaryIO:
        """A new file opened for writing; FileExistsError if the name is taken (links included)."""
        fd = os.open(name, _CREATE_FLAGS, mode, dir_fd=self.fd)
        return os.fdopen(fd, "wb")

    def write_atomically(self, name: str, chunks: Iterable[bytes], mode: int = 0o644) -> int:
        """Write a new file under a temporary name, then rename it over `name` (never a folder).

        Whatever `name` was (a link, a file) is replaced as a name, never written through.
        Returns the bytes written. On failure nothing is left behind.
        """
        temporary = f".{name[:200]}.{secrets.token_hex(6)}.partial"
        written = 0
        try:
            with self.create(temporary, mode) as out:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
            existing = self.entry(name)
            if existing is not None and existing.is_dir:
                raise WrongKind(f"{self.label}/{name} is a folder")
            os.rename(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            self.unlink(temporary, missing_ok=True)
            raise
        return written

    def unlink(self, name: str, *, missing_ok: bool = False) -> None:
        """Remove a file, a link (never its target) or a special file."""
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def move(self, name: str, target: Dir, new_name: str) -> None:
        """Rename `name` to `target/new_name`; FileExistsError if that name is taken. Never replaces."""
        rename_noreplace(self.fd, name, target.fd, new_name)

    def move_replacing(self, name: str, target: Dir, new_name: str) -> None:
        """Rename `name` over `target/new_name`, atomically: a file or link there is replaced as
        a name (a link's target is never touched); a folder there is IsADirectoryError."""
        os.rename(name, new_name, src_dir_fd=self.fd, dst_dir_fd=target.fd)

    def open_for_writing(self, name: str) -> BinaryIO:
        """An existing regular file of this folder, opened to read and write ("r+b", nothing
        truncated). WrongKind for anything else; links are not followed, FIFOs not waited on."""
        return self._open_regular(name, _WRITE_FLAGS, "r+b")

    def remove(self, name: str, trash: Dir) -> None:
        """Delete a file, link or folder. A folder leaves its place at once (into trash), then is
        emptied there without following any link inside it."""
        entry = self.entry(name)
        if entry is None:
            raise NotFound(f"{self.label}/{name} does not exist")
        if not entry.is_dir:
            self.unlink(name)
            return
        doomed = f"deleting-{secrets.token_hex(8)}"
        self.move(name, trash, doomed)
        trash.remove_tree(doomed)  # whatever now sits at doomed (swapped or not) is ours to drop

    def remove_tree(self, name: str) -> None:
        """Delete a folder (or file, or link) in place, never following links.

        By handle, one folder at a time with O_DIRECTORY|O_NOFOLLOW: unlike shutil.rmtree on
        Python 3.11, a name swapped for a FIFO or a link while we work is unlinked, never opened.
        """
        try:
            top = self.open_dir([name])
        except WrongKind:
            self.unlink(name, missing_ok=True)
            return
        except NotFound:
            return
        # Frames of (open folder, its name in the folder below it, sub-folders still to empty).
        stack: list[tuple[Dir, str, list[str]]] = [(top, name, _unlink_all_but_folders(top))]
        try:
            while stack:
                folder, folder_name, pending = stack[-1]
                if pending:
                    child = pending.pop()
                    try:
                        opened = folder.open_dir([child])
                    except WrongKind:  # swapped for a link or a FIFO: drop the name
                        folder.unlink(child, missing_ok=True)
                        continue
                    except NotFound:
                        continue
                    stack.append((opened, child, _unlink_all_but_folders(opened)))
                    continue
                parent = stack[-2][0] if len(stack) > 1 else self
                try:
                    os.rmdir(folder_name, dir_fd=parent.fd)
                except OSError as error:
                    if error.errno != errno.ENOTEMPTY:
                        raise
                    pending.extend(_unlink_all_but_folders(folder))  # something came in meanwhile
                    if pending:
                        continue
                    os.rmdir(folder_name, dir_fd=parent.fd)
                stack.pop()
                folder.close()
        finally:
            for folder, _, _ in stack:
                folder.close()

    # -- walking ----------------------------------------------------------------------------------
    def walk(self, *, skip_hidden: bool = False,
             max_depth: int = MAX_WALK_DEPTH) -> Iterator[tuple[tuple[str, ...], Dir, list[Entry]]]:
        """(segments below this folder, that folder, its entries sorted by name), top-down.

        Folders are entered by handle with O_NOFOLLOW, so a link is listed but never entered, and
        a folder swapped for a link mid-walk is skipped. Each yielded Dir is closed after its turn.
        """
        # Folders still to visit are kept as segments and opened from this handle when their turn
        # comes: a pipeline's folder of 100,000 sub-folders costs names, not file descriptors.
        stack: list[tuple[str, ...]] = [()]
        while stack:
            segments = stack.pop()
            try:
                folder = self.open_dir(segments)
            except NotFound:
                continue  # swapped for a link or removed since it was listed
            try:
                entries = sorted(folder.entries(), key=lambda e: e.name)
                if skip_hidden:
                    entries = [e for e in entries if not e.name.startswith(".")]
                yield segments, folder, entries
                if len(segments) < max_depth:
                    stack.extend(segments + (e.name,) for e in reversed(entries) if e.is_dir)
            finally:
                folder.close()


def _unlink_all_but_folders(folder: Dir) -> list[str]:
    """Unlink every non-folder entry of folder; return the names of its sub-folders."""
    folders = []
    for entry in folder.entries():
        if entry.is_dir:
            folders.append(entry.name)
        else:
            folder.unlink(entry.name, missing_ok=True)
    return folders


def open_root(path: Path | str) -> Dir:
    """The data volume's root, set by the admin (a mount point may itself be a link)."""
    return Dir(os.open(os.fspath(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), str(path))


def read_chunks(handle: BinaryIO, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    while data := handle.read(chunk):
        yield data


# -- bounded listing (results collection, the run form's file picker) ------------------------------
def scan(folder: Dir, limit: int) -> tuple[list[Entry], bool]:
    """At most `limit` entries of a folder, in directory order, and whether it holds more.

    Unlike Dir.entries, a folder of a million names planted by a pipeline costs `limit` entries.
    """
    found: list[Entry] = []
    with os.scandir(folder.fd) as listing:
        for item in listing:
            if len(found) >= limit:
                return found, True
            try:
                info = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            found.append(Entry.from_stat(item.name, info))
    return found, False
