"""Zips written byte by byte (APPNOTE.TXT 4.3), for the directory bombs zipfile is slow to write.

crafted_zip() writes what zipfile.ZipFile(..., "w") writes for empty stored entries, in a
second instead of ten for 400,000 entries, and can lie in its end records the way an attacker
would; tests check that zipfile reads the honest ones back.
"""

from __future__ import annotations

import struct

LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")
EOCD = struct.Struct("<4s4H2LH")
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_LOCATOR = struct.Struct("<4sLQL")
DOS_DATE_1980 = 0x21  # 1980-01-01


def entry_names(count: int) -> list[bytes]:
    return [f"f{index:06d}".encode() for index in range(count)]


def crafted_zip(
    names: list[bytes],
    *,
    declared: int | None = None,
    zip64: bool = False,
    comment: bytes = b"",
    prefix: bytes = b"",
) -> bytes:
    """A zip of empty stored files named names; declared overrides the entry count it states."""
    local_headers, central_headers = [], []
    offset = 0
    for name in names:
        local = LOCAL.pack(b"PK\x03\x04", 20, 0, 0, 0, DOS_DATE_1980, 0, 0, 0, len(name), 0)
        local_headers.append(local + name)
        central_headers.append(
            CENTRAL.pack(
                b"PK\x01\x02", 20, 20, 0, 0, 0, DOS_DATE_1980, 0, 0, 0,
                len(name), 0, 0, 0, 0, 0, offset,
            )
            + name
        )
        offset += len(local) + len(name)
    body = b"".join(local_headers)
    directory = b"".join(central_headers)
    count = len(names) if declared is None else declared
    end = b""
    if zip64:
        record_at = offset + len(directory)
        end += ZIP64_EOCD.pack(
            b"PK\x06\x06", ZIP64_EOCD.size - 12, 45, 45, 0, 0, count, count, len(directory), offset
        )
        end += ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, record_at, 1)
        small_count, size, at = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    else:
        small_count, size, at = min(count, 0xFFFF), len(directory), offset
    end += EOCD.pack(b"PK\x05\x06", 0, 0, small_count, small_count, size, at, len(comment))
    return prefix + body + directory + end + comment
