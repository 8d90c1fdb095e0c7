"""A tus upload's bytes while they arrive: DATA_ROOT/.staging/tus-<id>.part, through
projects.safefs. One writer at a time (a non-blocking flock on the staged file, held by the
PATCH that appends and by the landing it may end in); the offset is the staged file's size."""

from __future__ import annotations

import fcntl
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from django.http import UnreadablePostError

from projects.safefs import Dir, NotFound
from projects.storage import Move
from projects.tus.protocol import Checksum
from projects.volume import open_staging

CHUNK = 1024 * 1024  # bytes read from the request at a time
RECHECK_BYTES = 64 * CHUNK  # a long PATCH renews its expiry and rechecks the quota this often
_NAME = re.compile(r"tus-([0-9a-f-]{36})\.part")


class Busy(Exception):
    """Another request is writing (or landing) this upload."""


class Gone(Exception):
    """The upload has no staged file (landed, cancelled, expired or cleaned up)."""


class Mismatch(Exception):
    """The chunk's checksum did not match; it was dropped."""


def staged_name(upload_id: uuid.UUID) -> str:
    return f"tus-{upload_id}.part"


def upload_id_of(name: str) -> uuid.UUID | None:
    """The upload a staging name belongs to, or None for any other name."""
    found = _NAME.fullmatch(name)
    return uuid.UUID(found.group(1)) if found else None


def create(upload_id: uuid.UUID) -> None:
    """The upload's empty staged file (O_EXCL: never one already there)."""
    with open_staging() as staging:
        staging.create(staged_name(upload_id), 0o600).close()


def drop(upload_id: uuid.UUID) -> None:
    """Unlink the staged file while another request may hold it (a cancel does not wait for
    a PATCH still writing): that request's bytes go into the unlinked file, freed when it
    closes, and the next writer finds it Gone."""
    with open_staging() as staging:
        staging.unlink(staged_name(upload_id), missing_ok=True)


def staged_size(upload_id: uuid.UUID) -> int | None:
    """How many bytes arrived so far (None: no staged file)."""
    with open_staging() as staging:
        entry = staging.entry(staged_name(upload_id))
    return entry.size if entry is not None and entry.is_file else None


class StagedFile:
    """The staged file, locked: appending, truncating, dropping, and handing it to intake."""

    def __init__(self, staging: Dir, name: str, handle: BinaryIO) -> None:
        self.staging = staging
        self.name = name
        self.handle = handle

    def size(self) -> int:
        return os.fstat(self.handle.fileno()).st_size

    def receive(self, read: Callable[[int], bytes], length: int, checksum: Checksum | None,
                every: Callable[[], None]) -> None:
        """Append up to `length` bytes from read() (a request body), a CHUNK at a time;
        every() runs after each RECHECK_BYTES (it may raise to stop). A body cut short keeps
        what arrived, unless a checksum was given: then the chunk cannot be checked and is
        dropped, as is a chunk whose checksum does not match (Mismatch)."""
        start = self.size()
        hasher = checksum.hasher() if checksum is not None else None
        fd = self.handle.fileno()
        received = since = 0
        while received < length:
            try:
                data = read(min(CHUNK, length - received))
            except (OSError, UnreadablePostError):
                data = b""  # the client went away: keep what arrived
            if not data:
                break
            if hasher is not None:
                hasher.update(data)
            os.pwrite(fd, data, start + received)
            received += len(data)
            since += len(data)
            if since >= RECHECK_BYTES:
                since = 0
                every()
        if checksum is not None and (received < length or hasher.digest() != checksum.digest):
            self.truncate(start)
            raise Mismatch

    def truncate(self, size: int) -> None:
        os.ftruncate(self.handle.fileno(), size)

    def discard(self) -> None:
        """Drop the staged bytes (still locked: no other request can be writing them)."""
        self.staging.unlink(self.name, missing_ok=True)

    def as_staged(self, name: str) -> Staged:
        return Staged(self, name)


class Staged:
    """The finished staged file as projects.intake takes it (as StagedUploadedFile is)."""

    def __init__(self, staged: StagedFile, name: str) -> None:
        self.staged = staged
        self.name = name
        self.size = staged.size()

    def temporary_file_path(self) -> str:
        """Our own open handle as a path: it is this file whatever happens in staging."""
        return f"/proc/self/fd/{self.staged.handle.fileno()}"

    def as_move(self, mode: int) -> Move:
        os.fchmod(self.staged.handle.fileno(), mode)  # staged files are born 0600
        return Move(self.staged.staging, self.staged.name, self.name)


@contextmanager
def writing(upload_id: uuid.UUID) -> Iterator[StagedFile]:
    """The upload's staged file, locked for this request alone: Busy if another holds it,
    Gone if there is none (or it was unlinked before we locked it)."""
    name = staged_name(upload_id)
    with open_staging() as staging:
        try:
            handle = staging.open_for_writing(name)
        except NotFound:
            raise Gone from None
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy from None
            if os.fstat(handle.fileno()).st_nlink == 0:
                raise Gone  # dropped by the holder before us
            yield StagedFile(staging, name, handle)
