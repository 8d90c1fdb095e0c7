"""A folder as a zip archive, produced a chunk at a time in constant memory."""

from __future__ import annotations

import os
import stat
import time
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass

from projects.safefs import Dir, NotFound

CHUNK = 1024 * 1024


class _Pipe:
    """A write-only, unseekable file: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


class _Stream:
    """The zip's chunks; closing it (the response does, even if it never started) closes the
    folder handle."""

    def __init__(self, chunks: Iterator[bytes], folder: Dir) -> None:
        self._chunks = chunks
        self._folder = folder

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()  # type: ignore[attr-defined]
        self._folder.close()


def iter_zip(folder: Dir, root_name: str) -> Iterator[bytes]:
    """Zip bytes for everything under folder, entries named root_name/...; closes folder."""
    return _Stream(_zip_chunks(folder, root_name), folder)


def _zip_chunks(folder: Dir, root_name: str) -> Iterator[bytes]:
    """Zip bytes for everything under folder, entries named root_name/...

    Walks by handle: regular files and folders only; links and special files are left out,
    never followed; a folder swapped for a link mid-walk is skipped, and a file is zipped from
    the handle that was checked to be a regular file. Each file is deflated (level 1: speed
    matters more here) unless its first bytes do not compress (an already compressed image or
    archive, random data): those are stored, at disk speed instead of deflate's.
    """
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=1) as archive:
        archive.mkdir(_folder_info(f"{root_name}/", folder.stat()))
        for segments, here, entries in folder.walk():
            prefix = "/".join((root_name, *segments))
            for entry in entries:
                if not _encodable(entry.name):
                    continue
                if entry.is_dir:
                    try:
                        info = here.open_dir([entry.name])
                    except NotFound:
                        continue  # swapped or removed since it was listed: not in the zip
                    with info:
                        archive.mkdir(_folder_info(f"{prefix}/{entry.name}/", info.stat()))
                elif entry.is_file:
                    yield from _add_file(archive, pipe, here, entry.name,
                                         f"{prefix}/{entry.name}")
                if data := pipe.take():
                    yield data
    yield pipe.take()


@dataclass(frozen=True)
class Member:
    """One file of a chosen-files zip (iter_members): a path below the folder, and the size and
    mtime it must still have (as a manifest recorded it); anything else is left out."""

    segments: tuple[str, ...]
    arcname: str
    size: int
    mtime_ns: int


def iter_members(folder: Dir, members: Iterable[Member],
                 last: Callable[[list[Member]], list[tuple[str, bytes]]]) -> Iterator[bytes]:
    """Zip bytes for chosen files of folder, then the in-memory files last(the members that were
    zipped) returns (a manifest of what the zip really holds); closes folder.

    Each file is opened by handle (projects.safefs) and zipped only if its fstat still has the
    member's size and mtime; a file gone, swapped for a link or a FIFO, or changed is left out.
    """
    return _Stream(_member_chunks(folder, members, last), folder)


def _member_chunks(folder: Dir, members: Iterable[Member],
                   last: Callable[[list[Member]], list[tuple[str, bytes]]]) -> Iterator[bytes]:
    pipe = _Pipe()
    zipped: list[Member] = []
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=1) as archive:
        for member in members:
            if not member.segments or not _encodable(member.arcname):
                continue
            try:
                parent = folder.open_dir(member.segments[:-1])
            except NotFound:
                continue
            with parent:
                expected = (member.size, member.mtime_ns)
                added = yield from _add_file(archive, pipe, parent, member.segments[-1],
                                             member.arcname, expected)
            if added:
                zipped.append(member)
        for arcname, data in last(zipped):
            info = zipfile.ZipInfo(arcname, time.localtime()[:6])
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            if chunk := pipe.take():
                yield chunk
    yield pipe.take()


def _add_file(archive: zipfile.ZipFile, pipe: _Pipe, folder: Dir, name: str,
              arcname: str, expected: tuple[int, int] | None = None
              ) -> Generator[bytes, None, bool]:
    """Zip one regular file of folder; returns (as the generator's value) whether it was."""
    try:
        source = folder.open_file(name)
    except NotFound:
        return False  # removed, or swapped for a link or a FIFO, since it was listed
    with source:
        opened = os.fstat(source.fileno())
        if expected is not None and (opened.st_size, opened.st_mtime_ns) != expected:
            return False
        info = zipfile.ZipInfo(arcname, _date_time(opened))
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        chunk = source.read(CHUNK)
        info.compress_type = compression_for(chunk)
        with archive.open(info, "w", force_zip64=True) as sink:
            while chunk:
                sink.write(chunk)
                if data := pipe.take():
                    yield data
                chunk = source.read(CHUNK)
    return True


SAMPLE = 64 * 1024
STORE_ABOVE = 0.9  # compressed/original of the sample above which deflate is not worth it


def compression_for(head: bytes) -> int:
    """ZIP_STORED when a file's first bytes (its sample) deflate to more than 90 % of their
    size, else ZIP_DEFLATED."""
    sample = head[:SAMPLE]
    if sample and len(zlib.compress(sample, 1)) > STORE_ABOVE * len(sample):
        return zipfile.ZIP_STORED
    return zipfile.ZIP_DEFLATED


def _folder_info(arcname: str, info: os.stat_result) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(arcname, _date_time(info))
    entry.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10  # MS-DOS directory bit
    entry.CRC = entry.compress_size = entry.file_size = 0
    return entry


def _date_time(info: os.stat_result) -> tuple[int, int, int, int, int, int]:
    # Zip times start in 1980 (strict_timestamps=False in ZipInfo.from_file does the same).
    moment = time.localtime(max(info.st_mtime, 315532800))
    return moment[:6]  # type: ignore[return-value]


def _encodable(name: str) -> bool:
    # Names that are not valid UTF-8 (only a pipeline could make them) cannot go into a zip.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
