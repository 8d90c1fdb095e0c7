"""The tus 1.0.0 protocol's pure parts: parsing its headers, the headers answered, and what a
request to an upload may do given the upload's state. No HTTP, files or database here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.http import http_date

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
CONTENT_TYPE = "application/offset+octet-stream"
# The algorithms of the checksum extension we accept, as tus names them.
CHECKSUMS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5,
}
CHECKSUM_MISMATCH = 460  # the checksum extension's own status
_DIGITS = re.compile(r"[0-9]{1,19}")
_METADATA_KEY = re.compile(r"[^\s,]+")


class ProtocolError(Exception):
    """A request the protocol refuses: its status, and the message for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Creation:
    """What a creation request (POST) asks for."""

    length: int
    filename: str
    unpack: bool
    replace: bool


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> Any:
        return CHECKSUMS[self.algorithm]()


def check_version(value: str | None) -> None:
    if value != VERSION:
        raise ProtocolError(412, f"This server speaks tus {VERSION} (Tus-Resumable: {VERSION}).")


def parse_number(name: str, value: str | None) -> int:
    """A header holding a non-negative integer (Upload-Length, Upload-Offset, Content-Length)."""
    if value is None or not _DIGITS.fullmatch(value.strip()):
        raise ProtocolError(400, f"{name} must be given as a whole number of bytes.")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (a key alone has value "")."""
    pairs: dict[str, str] = {}
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, encoded = item.partition(" ")
        if not _METADATA_KEY.fullmatch(key) or key in pairs:
            raise ProtocolError(400, "Upload-Metadata has a bad or repeated key.")
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ProtocolError(
                400, f"Upload-Metadata's “{key}” is not base64-encoded UTF-8 text.") from None
    return pairs


def parse_creation(headers: dict[str, str | None]) -> Creation:
    """The creation request's headers (keys as tus spells them), checked; ProtocolError if not."""
    check_version(headers.get("Tus-Resumable"))
    if headers.get("Upload-Defer-Length") is not None:
        raise ProtocolError(400, "Give Upload-Length: uploads of unknown length are not taken.")
    length = parse_number("Upload-Length", headers.get("Upload-Length"))
    metadata = parse_metadata(headers.get("Upload-Metadata"))
    filename = metadata.get("filename", "")
    if not filename:
        raise ProtocolError(400, "Upload-Metadata must name the file (filename).")
    return Creation(length=length, filename=filename, unpack=metadata.get("unpack") == "1",
                    replace=metadata.get("replace") == "1")


def parse_checksum(value: str | None) -> Checksum | None:
    """Upload-Checksum: `algorithm base64(digest)`, or None when the request has none."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise ProtocolError(400, f"Upload-Checksum: use one of {', '.join(CHECKSUMS)}.")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise ProtocolError(400, "Upload-Checksum's digest is not base64.") from None
    return Checksum(algorithm=algorithm, digest=digest)


def options_headers(max_size: int | None) -> dict[str, str]:
    """What OPTIONS answers: the version, extensions, checksums and (for an owner) max size."""
    headers = {
        "Tus-Resumable": VERSION,
        "Tus-Version": VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
    }
    if max_size is not None:
        headers["Tus-Max-Size"] = str(max_size)
    return headers


def expires_header(expires_at: datetime) -> dict[str, str]:
    """The expiration extension's header: RFC 9110's date format."""
    return {"Upload-Expires": http_date(expires_at.timestamp())}


@dataclass(frozen=True)
class Status:
    """An upload's row as the protocol needs it (projects.models.Upload's fields)."""

    state: str
    offset: int
    length: int
    message: str
    expired: bool  # its expires_at has passed


RECEIVING, LANDING, LANDED, REFUSED, EXPIRED = (
    "receiving", "landing", "landed", "refused", "expired")
GONE = "This upload has expired or was cancelled; start it again."
COMPLETE = "This upload is complete; nothing more can be added."


def shown_state(status: Status) -> str:
    """The state the page is told: a receiving upload past its time has expired."""
    if status.state == RECEIVING and status.expired:
        return EXPIRED
    return status.state


def head_offset(status: Status, staged_size: int | None) -> int:
    """HEAD's Upload-Offset, or ProtocolError 410 for an upload that cannot go on.

    A finished upload (landing, landed, or refused once all its bytes were in) reports all
    its bytes received, so a client resuming it after a reload stops and asks for the outcome.
    """
    state = shown_state(status)
    if state in (LANDING, LANDED) or (state == REFUSED and status.offset >= status.length):
        return status.length
    if state != RECEIVING or staged_size is None:
        raise without_staged(status)
    return staged_size


def check_patch(status: Status, content_type: str | None, client_offset: int,
                staged_size: int, content_length: int) -> None:
    """Whether a PATCH may append here (with the staged file locked); ProtocolError if not."""
    if (content_type or "").split(";")[0].strip() != CONTENT_TYPE:
        raise ProtocolError(415, f"PATCH bodies must be sent as {CONTENT_TYPE}.")
    if shown_state(status) != RECEIVING:
        raise without_staged(status)
    if client_offset != staged_size:
        raise ProtocolError(
            409, f"Upload-Offset {client_offset} does not match the {staged_size} bytes received.")
    if staged_size + content_length > status.length:
        raise ProtocolError(413, f"This chunk would pass the upload's length ({status.length}).")


def acknowledges_end(status: Status, client_offset: int, length: int) -> bool:
    """An empty PATCH at the end of an upload whose bytes are all in (landing or landed): a
    client whose last 204 was lost, asking again. Answered 204 at the end, as tusd does, so
    the client ends well instead of failing an upload that landed."""
    return (length == 0 and client_offset == status.length
            and shown_state(status) in (LANDING, LANDED))


def without_staged(status: Status) -> ProtocolError:
    """Why nothing more can be written to an upload that is no longer receiving (or whose
    staged bytes are gone)."""
    state = shown_state(status)
    if state in (LANDING, LANDED):
        return ProtocolError(409, COMPLETE)
    if state == REFUSED and status.message:
        return ProtocolError(410, status.message)
    return ProtocolError(410, GONE)
