"""A folder as a zip archive, produced a chunk at a time in constant memory."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

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


def iter_zip(folder: Path, root_name: str) -> Iterator[bytes]:
    """Zip bytes for everything under folder, entries named root_name/...

    Regular files and folders only: symlinks and special files are left out, never followed.
    Deflate level 1: microscope images often compress well, and speed matters more here.
    """
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path, arcname in _walk(folder, root_name):
            try:
                info = zipfile.ZipInfo.from_file(path, arcname, strict_timestamps=False)
                if info.is_dir():
                    info.CRC = info.compress_size = 0  # ZipFile.mkdir expects them set
                    archive.mkdir(info)
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with open(path, "rb") as source, archive.open(info, "w") as sink:
                        while chunk := source.read(CHUNK):
                            sink.write(chunk)
                            if data := pipe.take():
                                yield data
            except FileNotFoundError:
                continue  # removed while we were zipping: it is simply not in the archive
            if data := pipe.take():
                yield data
    yield pipe.take()


def _walk(folder: Path, root_name: str) -> Iterator[tuple[Path, str]]:
    yield folder, root_name + "/"
    for directory, dirnames, filenames in os.walk(folder):
        base = Path(directory)
        relative = base.relative_to(folder).as_posix()
        prefix = root_name if relative == "." else f"{root_name}/{relative}"
        dirnames[:] = sorted(
            name for name in dirnames if _is_kind(base / name, stat.S_ISDIR) and _encodable(name)
        )
        for name in dirnames:
            yield base / name, f"{prefix}/{name}/"
        for name in sorted(filenames):
            if _is_kind(base / name, stat.S_ISREG) and _encodable(name):
                yield base / name, f"{prefix}/{name}"


def _is_kind(path: Path, test: Callable[[int], bool]) -> bool:
    try:
        return test(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _encodable(name: str) -> bool:
    # Names that are not valid UTF-8 (only a pipeline could make them) cannot go into a zip.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
