"""Sizing up an uploaded zip from its end records, before zipfile parses (and holds) its directory.

zipfile.ZipFile() reads the whole central directory into memory and keeps a ZipInfo per entry
(about 550 bytes each): a 33 MiB zip of 400,000 empty entries costs 220 MiB before any rule of
ours can count them. Here the End-Of-Central-Directory record (and the zip64 one when present)
is read from the end of the file with bounded reads, the directory's declared size is checked
against what the allowed number of entries can need, and the directory itself is then walked
header by header in fixed-size chunks, so a lying entry count is caught at constant memory.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat

from projects.paths import MAX_PATH_BYTES
from projects.unzip import ZipRefused

# APPNOTE.TXT 4.3.16: the End-Of-Central-Directory record (22 bytes + a comment of <= 65535).
EOCD = struct.Struct("<4s4H2LH")
EOCD_SIGNATURE = b"PK\x05\x06"
MAX_COMMENT = 0xFFFF
# 4.3.15 and 4.3.14: the zip64 locator just before the EOCD, and the zip64 record before that.
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
# 4.3.12: one central directory header, followed by its name, extra field and comment.
CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")
CENTRAL_SIGNATURE = b"PK\x01\x02"

# What one entry we could accept may take in the directory: the fixed header, a name of at
# most MAX_PATH_BYTES (longer ones are refused anyway) and extra fields and a comment (zip64,
# timestamps, uid/gid, NTFS times take well under 100 bytes together).
EXTRA_AND_COMMENT_BYTES = 512
MAX_DIRECTORY_BYTES_PER_ENTRY = CENTRAL_HEADER.size + MAX_PATH_BYTES + EXTRA_AND_COMMENT_BYTES
CHUNK = 1024 * 1024
_ZIP64_COUNT, _ZIP64_SIZE = 0xFFFF, 0xFFFFFFFF


@dataclass(frozen=True)
class ZipDirectory:
    entries: int
    start: int  # where the central directory begins in the file
    size: int


def check_zip_directory(source: str | int, max_entries: int) -> ZipDirectory:
    """The zip's central directory, once it is known to hold at most max_entries entries.

    source: the staged file's path (opened O_NOFOLLOW|O_NONBLOCK), or a descriptor already open
    on it (used as it is; it stays open).

    Raises ZipRefused (a rule is broken) or zipfile.BadZipFile (no readable end record, or a
    directory that does not match it). Reads at most 64 KiB of tail plus the directory itself,
    in CHUNK pieces; nothing grows with the number of entries.
    """
    if isinstance(source, int):
        fd = os.dup(source)
    else:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise zipfile.BadZipFile("not a regular file")
        directory = read_end_records(fd, info.st_size)
        refuse_oversized(directory, max_entries)
        counted = count_central_headers(fd, directory, max_entries)
    finally:
        os.close(fd)
    if counted != directory.entries:
        raise zipfile.BadZipFile(
            f"the end record says {directory.entries} entries, the directory has {counted}"
        )
    return directory


def refuse_oversized(directory: ZipDirectory, max_entries: int) -> None:
    if directory.entries > max_entries:
        raise ZipRefused(
            f"The zip has {directory.entries} entries; at most {max_entries} are allowed."
        )
    allowed = directory.entries * MAX_DIRECTORY_BYTES_PER_ENTRY
    if directory.size > allowed:
        raise ZipRefused(
            f"The zip's directory takes {filesizeformat(directory.size)}, more than its "
            f"{directory.entries} entries can need ({filesizeformat(allowed)}); "
            "it cannot be unpacked."
        )


def read_end_records(fd: int, file_size: int) -> ZipDirectory:
    """Where the central directory is and how many entries it declares (zip64 when present).

    Like zipfile, the last EOCD signature in the tail wins, and data prepended to the archive
    (a self-extractor stub) is allowed: the directory is taken to end where the end records begin.
    """
    tail_size = min(file_size, EOCD.size + MAX_COMMENT)
    tail = _read_at(fd, file_size - tail_size, tail_size)
    # zipfile's order: a record without a comment at the very end, else the last signature.
    found = len(tail) - EOCD.size
    if found < 0 or tail[found : found + 4] != EOCD_SIGNATURE or tail[-2:] != b"\0\0":
        found = tail.rfind(EOCD_SIGNATURE)
    if found < 0 or found + EOCD.size > len(tail):
        raise zipfile.BadZipFile("no end-of-central-directory record")
    eocd_at = file_size - tail_size + found
    _, disk, cd_disk, _, entries, size, _, _ = EOCD.unpack_from(tail, found)
    if disk or cd_disk:
        raise zipfile.BadZipFile("zips that span several disks are not supported")
    end = eocd_at
    locator_at = eocd_at - ZIP64_LOCATOR.size
    if locator_at >= 0:
        locator = _read_at(fd, locator_at, ZIP64_LOCATOR.size)
        if locator[:4] == ZIP64_LOCATOR_SIGNATURE:
            entries, size, end = _read_zip64_record(fd, locator, locator_at)
    start = end - size
    if start < 0:
        raise zipfile.BadZipFile("the central directory would start before the file")
    return ZipDirectory(entries=entries, start=start, size=size)


def _read_zip64_record(fd: int, locator: bytes, locator_at: int) -> tuple[int, int, int]:
    _, disk, _, disks = ZIP64_LOCATOR.unpack(locator)
    if disk != 0 or disks > 1:
        raise zipfile.BadZipFile("zips that span several disks are not supported")
    record_at = locator_at - ZIP64_EOCD.size
    if record_at < 0:
        raise zipfile.BadZipFile("the zip64 end record is missing")
    record = ZIP64_EOCD.unpack(_read_at(fd, record_at, ZIP64_EOCD.size))
    signature, _, _, _, disk, cd_disk, _, entries, size, _ = record
    if signature != ZIP64_EOCD_SIGNATURE:
        raise zipfile.BadZipFile("the zip64 end record is missing")
    if disk or cd_disk:
        raise zipfile.BadZipFile("zips that span several disks are not supported")
    return entries, size, record_at


def count_central_headers(fd: int, directory: ZipDirectory, max_entries: int) -> int:
    """The headers really in the directory, walked in CHUNK reads; stops past max_entries."""
    count = position = 0
    buffer, buffer_at = b"", 0  # buffer holds the directory's bytes from offset buffer_at on
    while position < directory.size:
        buffer_end = buffer_at + len(buffer)
        if position + CENTRAL_HEADER.size > buffer_end:
            kept = buffer[position - buffer_at :] if position < buffer_end else b""
            read_from = max(position, buffer_end)
            wanted = min(CHUNK, directory.size - read_from)
            buffer, buffer_at = kept + _read_at(fd, directory.start + read_from, wanted), position
            if len(buffer) < CENTRAL_HEADER.size:
                raise zipfile.BadZipFile("the central directory ends inside a header")
        header = CENTRAL_HEADER.unpack_from(buffer, position - buffer_at)
        if header[0] != CENTRAL_SIGNATURE:
            raise zipfile.BadZipFile("the central directory is damaged")
        name_length, extra_length, comment_length = header[10], header[11], header[12]
        position += CENTRAL_HEADER.size + name_length + extra_length + comment_length
        count += 1
        if count > max_entries:
            raise ZipRefused(
                f"The zip has more than {max_entries} entries; at most {max_entries} are allowed."
            )
    if position != directory.size:
        raise zipfile.BadZipFile("the central directory ends inside an entry")
    return count


def _read_at(fd: int, offset: int, size: int) -> bytes:
    """Exactly size bytes at offset (short reads are retried), else BadZipFile."""
    pieces = []
    while size > 0:
        piece = os.pread(fd, size, offset)
        if not piece:
            raise zipfile.BadZipFile("the zip ends early")
        pieces.append(piece)
        offset += len(piece)
        size -= len(piece)
    return b"".join(pieces)
