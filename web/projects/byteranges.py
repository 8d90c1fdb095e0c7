"""The `Range` and `If-Range` request headers of RFC 9110 §14.2 and §13.1.5, for one file.

Django has no parser for them, and Werkzeug's (`Range.range_for_length`) calls a suffix range
longer than the file unsatisfiable where RFC 9110 §14.1.2 says it is the whole file, and cannot
tell a malformed header (ignored) from an unsatisfiable one (416); the grammar is small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.http import parse_etags, parse_http_date_safe

# RFC 9110 §14.1.1: int-range = first-pos "-" [ last-pos ], suffix-range = "-" suffix-length.
_RANGE_SPEC = re.compile(r"(\d*)-(\d*)")
_MAX_DIGITS = 19  # beyond any file size; a longer number is a malformed header, not a huge one


@dataclass(frozen=True)
class ByteRange:
    """Bytes first..last of a file of `size` bytes, both inclusive (as Content-Range says)."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


class Unsatisfiable(Exception):
    """One range was asked for and none of the file is in it: 416, `Content-Range: bytes */size`."""


def requested_range(header: str, size: int) -> ByteRange | None:
    """The one range of `size` bytes the Range header asks for; None for the whole file.

    None also when the header is malformed or in another unit (ignored, RFC 9110 §14.2) or asks
    for several ranges (sent whole, which §14.2 allows: no multipart/byteranges). Raises
    Unsatisfiable when the single range starts at or after the end, or is an empty suffix.
    """
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    parts = [part.strip(" \t") for part in specs.split(",")]
    parts = [part for part in parts if part]  # the list rule allows empty elements
    if len(parts) != 1:
        return None
    matched = _RANGE_SPEC.fullmatch(parts[0])
    if matched is None or len(matched[1]) > _MAX_DIGITS or len(matched[2]) > _MAX_DIGITS:
        return None
    first_text, last_text = matched[1], matched[2]
    if not first_text:
        if not last_text:
            return None  # "-" alone is no range
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1, size)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # last-pos before first-pos: invalid, so ignored (§14.1.1)
    if first >= size:
        raise Unsatisfiable
    last = min(int(last_text), size - 1) if last_text else size - 1
    return ByteRange(first, last, size)


def if_range_passes(header: str, etag: str, last_modified: int | None, now: float) -> bool:
    """Whether a Range may be honoured under this If-Range header (RFC 9110 §13.1.5).

    An entity-tag must match the current strong ETag exactly (a weak one never does); a date
    must equal Last-Modified, which counts only as a strong validator if it is at least a
    second old (§8.8.2.2): the file could change again within the same second.
    """
    header = header.strip()
    if not header:
        return True
    if header.startswith(('"', "W/")):
        return parse_etags(header) == [etag] and not etag.startswith("W/")
    date = parse_http_date_safe(header)
    return (date is not None and last_modified is not None and date == last_modified
            and now - last_modified >= 1)
