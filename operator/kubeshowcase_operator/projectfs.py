"""The operator's only way onto the data volume: names walked from descriptors, never followed.

A pipeline writes freely into its project folder, so any name there may be a symbolic link, a
FIFO, a device, a folder where a file belongs or a huge file, and may change between two
calls. Every operation therefore opens DATA_ROOT once, walks each segment relative to its
parent's descriptor (`O_DIRECTORY|O_NOFOLLOW` for folders, `O_NOFOLLOW|O_NONBLOCK` then
`fstat` for files), creates with `O_CREAT|O_EXCL|O_NOFOLLOW` under a random name renamed
into place, removes links as links, and reads with a byte budget. No path string is ever
resolved, checked and then opened again."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
READ_CHUNK = 65536
HASH_CHUNK = 1 << 20


class ProjectError(Exception):
    """The run's project folder or a Pipeline path cannot be used; the run fails with this."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class UnsafeEntry(ProjectError):
    """A name is not what the operator expects there; it was neither followed nor read."""

    def __init__(self, shown: str, found: str, reason: str = "UnsafePath") -> None:
        super().__init__(reason, f"{shown} {found}")
        self.shown = shown
        self.found = found


def describe(mode: int) -> str:
    """What a file mode is, in the words of a refusal."""
    if stat.S_ISLNK(mode):
        return "is a symbolic link (not followed)"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISREG(mode):
        return "is a regular file"
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
            if stat.S_ISSOCK(mode) else "of an unknown type")
    return f"is not a regular file ({kind})"


def segments(relative: str, what: str) -> list[str]:
    """The names along a relative path (a trailing slash allowed); nothing that climbs."""
    trimmed = relative.rstrip("/")
    parts = trimmed.split("/")
    if not trimmed or trimmed.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ProjectError("InvalidPath",
                           f"{what} {relative!r} must be a relative path inside the project")
    return parts


def _join(shown: str, name: str) -> str:
    return f"{shown}/{name}" if shown else name


class Folder:
    """An open folder: its descriptor, and its path relative to the project for messages."""

    def __init__(self, fd: int, shown: str) -> None:
        self.fd = fd
        self.shown = shown

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # Walking ----------------------------------------------------------------------------------
    def _found(self, name: str) -> str:
        try:
            return describe(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except OSError as error:
            return f"cannot be examined ({error.strerror})"

    def _refusal(self, name: str, error: OSError, folder: bool) -> ProjectError:
        found = self._found(name)
        if found == describe(stat.S_IFREG):
            found = "is a file, not a folder" if folder else f"cannot be opened ({error.strerror})"
        return UnsafeEntry(_join(self.shown, name), found)

    def _open_child(self, name: str, create: bool) -> Folder:
        shown = _join(self.shown, name)
        try:
            return Folder(os.open(name, FOLDER_FLAGS, dir_fd=self.fd), shown)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as error:  # ELOOP: a link; ENOTDIR: a file; anything else: say so
            raise self._refusal(name, error, folder=True) from None
        try:
            os.mkdir(name, dir_fd=self.fd)
        except FileExistsError:
            pass  # made meanwhile: opened below with O_NOFOLLOW like any other
        return self._open_child(name, create=False)

    def walk(self, parts: list[str], create: bool = False) -> Folder:
        """The folder at `parts` below this one (a new descriptor the caller closes).

        FileNotFoundError when a folder on the way is missing and `create` is off; a link or
        a non-folder on the way is refused (UnsafeEntry), never followed."""
        current = Folder(os.dup(self.fd), self.shown)
        for name in parts:
            try:
                child = current._open_child(name, create)
            finally:
                current.close()
            current = child
        return current

    def parent_of(self, relative: str, what: str, create: bool = False) -> tuple[Folder, str]:
        parts = segments(relative, what)
        return self.walk(parts[:-1], create), parts[-1]

    # Operations on one name -------------------------------------------------------------------
    def kind_of(self, name: str) -> int | None:
        """The mode of `name` itself (a link is a link), None when it does not exist."""
        info = self.info_of(name)
        return None if info is None else info.st_mode

    def info_of(self, name: str) -> os.stat_result | None:
        """`name` itself as lstat sees it, None when it does not exist."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def sha256_entry(self, name: str, seen: os.stat_result) -> str | None:
        """The sha256 of the regular file `name` if it is still the file `seen` describes
        (same inode, size and modification time, before and after reading exactly its size);
        None when it is not (replaced, a link or FIFO now, grown, changed meanwhile)."""
        try:
            fd = os.open(name, FILE_FLAGS, dir_fd=self.fd)
        except OSError:
            return None
        try:
            def same(info: os.stat_result) -> bool:
                return (stat.S_ISREG(info.st_mode) and info.st_ino == seen.st_ino
                        and info.st_size == seen.st_size and info.st_mtime_ns == seen.st_mtime_ns)

            if not same(os.fstat(fd)):
                return None
            digest, left = hashlib.sha256(), seen.st_size
            while left > 0 and (chunk := os.read(fd, min(HASH_CHUNK, left))):
                digest.update(chunk)
                left -= len(chunk)
            if left or os.read(fd, 1) or not same(os.fstat(fd)):
                return None
            return digest.hexdigest()
        finally:
            os.close(fd)

    def read_entry(self, name: str, cap: int) -> bytes | None:
        """At most `cap` bytes of the regular file `name`; None when it does not exist.

        Anything else there (a link, FIFO, device, folder, a file over `cap`) is refused
        without reading a byte of it."""
        found = self.read_entry_dated(name, cap)
        return None if found is None else found[0]

    def read_entry_dated(self, name: str, cap: int) -> tuple[bytes, float] | None:
        """`read_entry`, with the file's modification time (seconds since the epoch)."""
        shown = _join(self.shown, name)
        try:
            fd = os.open(name, FILE_FLAGS, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self._refusal(name, error, folder=False) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeEntry(shown, describe(info.st_mode))
            if info.st_size > cap:
                raise UnsafeEntry(shown, f"is larger than {cap} bytes")
            data = bytearray()
            while len(data) <= cap and (chunk := os.read(fd, min(READ_CHUNK, cap + 1 - len(data)))):
                data += chunk
            if len(data) > cap:  # grew after the fstat
                raise UnsafeEntry(shown, f"is larger than {cap} bytes")
            return bytes(data), info.st_mtime
        finally:
            os.close(fd)

    def remove_entry(self, name: str) -> None:
        """Remove `name`: a link as a link, a folder with everything in it (links inside are
        removed, never followed: shutil.rmtree's descriptor-based walk), anything else
        unlinked. Nothing there: nothing to do."""
        mode = self.kind_of(name)
        if mode is None:
            return
        if stat.S_ISDIR(mode):
            shutil.rmtree(name, dir_fd=self.fd)
        else:
            try:
                os.unlink(name, dir_fd=self.fd)
            except FileNotFoundError:
                pass

    # Relative paths ---------------------------------------------------------------------------
    def read_capped(self, relative: str, cap: int, what: str) -> bytes | None:
        """`read_entry` at a relative path; None when it or a folder on the way is missing."""
        found = self.read_capped_dated(relative, cap, what)
        return None if found is None else found[0]

    def read_capped_dated(self, relative: str, cap: int, what: str) -> tuple[bytes, float] | None:
        """`read_capped`, with the file's modification time."""
        try:
            parent, name = self.parent_of(relative, what)
        except FileNotFoundError:
            return None
        with parent:
            return parent.read_entry_dated(name, cap)

    def is_regular_file(self, relative: str, what: str) -> bool:
        try:
            parent, name = self.parent_of(relative, what)
        except (FileNotFoundError, ProjectError):
            return False
        with parent:
            mode = parent.kind_of(name)
        return mode is not None and stat.S_ISREG(mode)

    def new_file(self, relative: str, what: str) -> NewFile:
        """A file to write at `relative` (missing folders on the way are created)."""
        parent, name = self.parent_of(relative, what, create=True)
        try:
            return NewFile(parent, name)
        except BaseException:
            parent.close()
            raise

    def write_file(self, relative: str, content: bytes, what: str) -> None:
        """Put `content` at `relative` whole or not at all (whatever was there is replaced,
        a link there included; a folder there is refused)."""
        with self.new_file(relative, what) as new:
            new.write(content)
            new.commit()


class FileWalk:
    """The regular files below a folder, depth first, each folder's names in sorted order, as
    (the folder holding it, its name, its path below the start, its lstat). Links, FIFOs,
    devices and sockets are passed over, never followed or opened; a folder swapped for
    something else meanwhile is skipped. At most `max_entries` names are looked at and
    `max_depth` folders entered: `complete` is False after the walk when it stopped short.
    Folders at the paths in `skip` are not entered."""

    def __init__(self, start: Folder, max_entries: int, max_depth: int,
                 skip: frozenset[str] = frozenset()) -> None:
        self._start = start
        self._left = max_entries
        self._max_depth = max_depth
        self._skip = skip
        self.complete = True

    def __iter__(self) -> Iterator[tuple[Folder, str, str, os.stat_result]]:
        yield from self._below(self._start, "", 0)

    def _below(self, folder: Folder, prefix: str, depth: int
               ) -> Iterator[tuple[Folder, str, str, os.stat_result]]:
        names = []
        with os.scandir(folder.fd) as listing:
            for entry in listing:
                if len(names) >= self._left:
                    self.complete = False
                    break
                names.append(entry.name)
        self._left -= len(names)
        for name in sorted(names):
            info = folder.info_of(name)
            if info is None:
                continue
            if stat.S_ISREG(info.st_mode):
                yield folder, name, prefix + name, info
            elif stat.S_ISDIR(info.st_mode) and prefix + name not in self._skip:
                if depth >= self._max_depth:
                    self.complete = False
                    continue
                try:
                    child = folder._open_child(name, create=False)
                except (FileNotFoundError, ProjectError):
                    continue
                with child:
                    yield from self._below(child, f"{prefix}{name}/", depth + 1)


class NewFile:
    """A file written under a random, fresh name in its folder, renamed into place on commit.

    The name is made with O_EXCL|O_NOFOLLOW, so nothing planted beforehand (a link, a FIFO)
    can be written through; until commit, the old file (if any) stays as it was."""

    def __init__(self, folder: Folder, name: str) -> None:
        self.folder = folder
        self.name = name
        self.shown = _join(folder.shown, name)
        self.size = 0
        self._temp = f".ksc-{secrets.token_hex(8)}.partial"
        self._fd = os.open(self._temp, NEW_FILE_FLAGS, 0o666, dir_fd=folder.fd)
        self._done = False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(data)

    def commit(self) -> None:
        os.close(self._fd)
        self._fd = -1
        try:
            os.rename(self._temp, self.name, src_dir_fd=self.folder.fd,
                      dst_dir_fd=self.folder.fd)
        except OSError as error:
            if error.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                raise UnsafeEntry(self.shown, describe(stat.S_IFDIR)) from None
            raise
        self._done = True

    def discard(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if not self._done:
            try:
                os.unlink(self._temp, dir_fd=self.folder.fd)
            except FileNotFoundError:
                pass
            self._done = True

    def close(self) -> None:
        try:
            self.discard()
        finally:
            self.folder.close()

    def __enter__(self) -> NewFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


@contextmanager
def open_project(data_root: Path, project: str) -> Iterator[Folder]:
    """The run's project folder, walked from DATA_ROOT segment by segment, links refused.

    DATA_ROOT itself is the operator's own mount point (configuration, not pipeline data)."""
    try:
        parts = segments(project, "project")
    except ProjectError:
        raise ProjectError("InvalidProject", f"project {project!r} must be a relative path "
                           "without '.' or '..'") from None
    with Folder(os.open(data_root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), "") as root:
        try:
            walked = root.walk(parts)
        except FileNotFoundError:
            raise ProjectError("ProjectNotFound", f"project folder {project!r} does not exist "
                               "on the data volume") from None
        except UnsafeEntry as error:
            raise ProjectError("InvalidProject",
                               f"project {project!r}: {error.message}") from None
    with Folder(walked.fd, "") as folder:
        yield folder


def unwritable_reason(data_root: Path) -> str | None:
    """None when a file can be made (O_EXCL) and removed at DATA_ROOT, else why not, for people:
    the operator writes every run's log and handshake files there."""
    try:
        with Folder(os.open(data_root, FOLDER_FLAGS & ~os.O_NOFOLLOW), str(data_root)) as root:
            # A name of its own: two replicas starting at once must not collide on O_EXCL.
            NewFile(root, f".writable-check-{secrets.token_hex(8)}").discard()
    except OSError as error:
        return (f"DATA_ROOT {str(data_root)!r} is not writable by uid {os.getuid()} gid "
                f"{os.getgid()} ({error.strerror}): the data volume must be mounted read-write "
                "and owned or group-writable by this user (the chart's podSecurityContext.fsGroup)")
    return None
