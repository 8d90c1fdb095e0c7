"""A folder as a zip archive, produced a chunk at a time in constant memory."""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Iterator

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
    the handle that was checked to be a regular file. Deflate level 1: microscope images often
    compress well, and speed matters more here.
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


def _add_file(archive: zipfile.ZipFile, pipe: _Pipe, folder: Dir, name: str,
              arcname: str) -> Iterator[bytes]:
    try:
        source = folder.open_file(name)
    except NotFound:
        return  # removed, or swapped for a link or a FIFO, since it was listed
    with source:
        info = zipfile.ZipInfo(arcname, _date_time(os.fstat(source.fileno())))
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
                if data := pipe.take():
                    yield data


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
