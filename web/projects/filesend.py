"""Sending one already-opened file: validators, conditional GET, one byte range, proxy offload.

Every file download of the web app goes through send_file (projects' files, results' images and
thumbnails). It sends the handle it is given, which the caller got from projects.safefs (a
regular file, no link on the way, fstat'd): it never opens anything by name. RFC 9110 is the
reference: strong ETag and Last-Modified (§8.8), If-None-Match / If-Modified-Since / If-Match /
If-Unmodified-Since through Django's get_conditional_response (§13.2.2), `Range` on GET with
`If-Range` (§14.2, §13.1.5; projects.byteranges), 206 / 416.

The body is Django's FileResponse over a window of the handle: gunicorn hands its descriptor to
os.sendfile (wsgi.file_wrapper; the window sets the offset and Content-Length the count), other
servers read it a chunk at a time. Memory stays flat whatever the file's size.

With DOWNLOAD_OFFLOAD set, a project file's body is left to the front proxy (nginx's
X-Accel-Redirect, or X-Sendfile): the access and kind checks happen here first, the proxy then
opens the path itself, which is why it must refuse symbolic links (nginx `disable_symlinks on;`,
as the chart README's configuration has it).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date

from projects.byteranges import ByteRange, Unsatisfiable, if_range_passes, requested_range
from projects.inlinetypes import HEAD_BYTES, attachment_type, inline_type

CHUNK = 1024 * 1024  # bytes per read where the server does not use sendfile
PRIVATE = "private, no-cache"  # a project's file is only its owner's; revalidated by ETag
X_ACCEL_REDIRECT = "x-accel-redirect"  # the other DOWNLOAD_OFFLOAD mode is "x-sendfile"


@dataclass(frozen=True)
class Validators:
    size: int
    etag: str | None  # strong; None for bytes made in memory (a thumbnail not cached)
    last_modified: int | None  # whole seconds since the epoch, as Last-Modified carries them

    @classmethod
    def of(cls, handle: BinaryIO) -> Validators:
        fd = _descriptor(handle)
        if fd is None:
            return cls(size=len(handle.getbuffer()), etag=None,  # type: ignore[attr-defined]
                       last_modified=None)
        info = os.fstat(fd)
        # inode, size and mtime_ns: a file replaced (new inode), appended to or rewritten in
        # place (mtime) gets a new tag, so a resumed download never splices two versions.
        return cls(size=info.st_size, etag=f'"{info.st_ino:x}-{info.st_size:x}-'
                                            f'{info.st_mtime_ns:x}"',
                   last_modified=int(info.st_mtime))


class _Window:
    """`length` bytes of an open file from `first`: what FileResponse streams and gunicorn
    sendfile()s (from the descriptor's offset, for Content-Length bytes). Closing it closes
    the file. Neither tell() nor seekable(): FileResponse would measure the file itself, by
    reading all of it.

    A real file is read through its descriptor, never its buffered reader: sendfile starts
    where the descriptor's offset is, and a buffered reader that has read ahead leaves that
    offset past where the reader says it is.
    """

    def __init__(self, handle: BinaryIO, first: int, length: int) -> None:
        self._handle = handle
        self._fd = _descriptor(handle)
        self._end = first + length
        self.seek(first)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # socket.sendfile seeks its file to where it stopped, or before reading it instead.
        if self._fd is None:
            position = self._handle.seek(offset, whence)
        else:
            position = os.lseek(self._fd, offset, whence)
        self._left = max(self._end - position, 0)
        return position

    def seekable(self) -> bool:
        return False  # to FileResponse; socket.sendfile's seek() above still works

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        if not size:
            return b""
        data = self._handle.read(size) if self._fd is None else os.read(self._fd, size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._handle.fileno()

    def close(self) -> None:
        self._handle.close()


def _descriptor(handle: BinaryIO) -> int | None:
    """The file's descriptor, or None for bytes in memory (an io.BytesIO)."""
    try:
        return handle.fileno()
    except (OSError, io.UnsupportedOperation):
        return None


def _head(handle: BinaryIO) -> bytes:
    """The file's first bytes, read without moving anything (its type is checked by them)."""
    fd = _descriptor(handle)
    if fd is None:
        return bytes(handle.getbuffer()[:HEAD_BYTES])  # type: ignore[attr-defined]
    return os.pread(fd, HEAD_BYTES, 0)


def send_file(request: HttpRequest, handle: BinaryIO, *, filename: str,
              volume_path: Sequence[str] = (), cache_control: str = PRIVATE
              ) -> HttpResponseBase:
    """The response to GET or HEAD of the open file `handle`, named `filename` for the browser.

    volume_path (the file's segments below DATA_ROOT) lets DOWNLOAD_OFFLOAD hand the body to
    the proxy; without it the body is always sent from the handle. The handle is closed: now
    if no body is sent, else by the response once it is.
    """
    try:
        found = Validators.of(handle)
        content_type = inline_type(filename, _head(handle))
        headers = _headers(found, filename, content_type, cache_control)
        unconditional = HttpResponse(headers=headers)
        answer = get_conditional_response(
            request, etag=found.etag, last_modified=found.last_modified,
            response=unconditional)
        if answer is not unconditional:  # 304 Not Modified or 412 Precondition Failed
            handle.close()
            return answer
        offloaded = _offloaded(volume_path, headers)
        if offloaded is not None:
            handle.close()
            return offloaded
        try:
            wanted = _wanted_range(request, found)
        except Unsatisfiable:
            handle.close()
            return _unsatisfiable(found, headers)
    except BaseException:
        handle.close()
        raise
    part = wanted or ByteRange(0, found.size - 1, found.size)
    response = FileResponse(_Window(handle, part.first, part.length),
                            status=206 if wanted else 200)
    response.block_size = CHUNK
    for name, value in headers.items():
        response[name] = value
    response["Content-Length"] = str(part.length)
    if wanted:
        response["Content-Range"] = wanted.content_range
    return response


def _headers(found: Validators, filename: str, inline_as: str | None, cache_control: str
             ) -> dict[str, str]:
    headers = {
        "Content-Type": inline_as or attachment_type(filename),
        "Content-Disposition": content_disposition_header(inline_as is None, filename) or "",
        "Accept-Ranges": "bytes",
        "Cache-Control": cache_control,
        # Never read as another type than sent, and never a document that runs anything:
        # sandbox (no scripts, a unique origin) even for the images shown inline.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    if found.etag is not None:
        headers["ETag"] = found.etag
    if found.last_modified is not None:
        headers["Last-Modified"] = http_date(found.last_modified)
    return headers


def _wanted_range(request: HttpRequest, found: Validators) -> ByteRange | None:
    """The range to send, or None for the whole file. Range is defined for GET only (RFC 9110
    §14.2: ignored on HEAD), and is ignored when If-Range says the client's copy is older."""
    header = request.META.get("HTTP_RANGE", "")
    if request.method != "GET" or not header or found.size == 0:
        return None  # an empty file has no range to send: the whole (empty) file
    if found.etag is None and request.META.get("HTTP_IF_RANGE"):
        return None  # nothing to compare the client's validator with
    if not if_range_passes(request.META.get("HTTP_IF_RANGE", ""), found.etag or "",
                           found.last_modified, time.time()):
        return None
    return requested_range(header, found.size)


def _unsatisfiable(found: Validators, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(
        f"The range asked for is not in this file of {found.size} bytes.\n",
        status=416, content_type="text/plain; charset=utf-8")
    response["Content-Range"] = f"bytes */{found.size}"
    for name in ("Accept-Ranges", "ETag", "Last-Modified", "Cache-Control",
                 "X-Content-Type-Options"):
        if name in headers:
            response[name] = headers[name]
    return response


def _offloaded(volume_path: Sequence[str], headers: dict[str, str]) -> HttpResponse | None:
    """The empty response telling the proxy which file to send, or None to send it here."""
    mode, prefix = settings.DOWNLOAD_OFFLOAD, settings.DOWNLOAD_OFFLOAD_PREFIX.rstrip("/")
    if not mode or not volume_path:
        return None
    raw = "/".join(volume_path).encode("utf-8", "surrogateescape")
    if mode == X_ACCEL_REDIRECT:
        # nginx decodes the URI, then checks it is no "../" escape; "?" and "%" stay encoded.
        target = f"{prefix}/{quote(raw, safe='/')}"
    else:
        if not raw.isascii() or not raw.decode().isprintable():
            return None  # X-Sendfile takes a plain path in the header: send such names here
        target = f"{prefix}/{raw.decode()}"
    # The proxy sets the validators and ranges from the file it opens (nginx: its own ETag,
    # Range and 304s). nginx drops our nosniff and CSP; its location adds them back.
    kept = {name: value for name, value in headers.items()
            if name not in ("ETag", "Last-Modified", "Accept-Ranges")}
    header = "X-Accel-Redirect" if mode == X_ACCEL_REDIRECT else "X-Sendfile"
    return HttpResponse(headers={**kept, header: target})
