"""Request bodies in application/vnd.kubernetes.protobuf, read as kube-apiserver reads them.

Every built-in kind whose message is vendored (kubedouble/proto/) is accepted; the decoded
object then goes through the same path as a JSON body. Custom resources have no protobuf
encoding: their requests keep the 415 (apiextensions-apiserver serves JSON, YAML and CBOR).
An envelope whose typeMeta leaves out the kind or version takes the ones the URL expects, as
the serializer's gvkWithDefaults does (k8s.io/apimachinery/pkg/runtime/serializer/protobuf).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors, protodecode, protoschema

CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


def reader(api_version: str, kind: str) -> Callable[[bytes], dict[str, Any]]:
    """A body reader for a request whose object should be `kind` of `api_version`."""
    def read(body: bytes) -> dict[str, Any]:
        return decode(body, api_version, kind)
    return read


def decode(body: bytes, api_version: str, kind: str) -> dict[str, Any]:
    """The JSON form of a protobuf body; 400 for bytes that do not decode, worded as the
    handler's transformDecodeError; 415 for a kind without a vendored message."""
    schema = protoschema.vendored()
    try:
        sent_version, sent_kind, raw = protodecode.envelope(body)
    except protodecode.ProtobufError as problem:
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind}):"
                                 f" {problem} ({_summary(body)})") from None
    version, sent_kind = sent_version or api_version, sent_kind or kind
    try:
        return protodecode.object_fields(schema, version, sent_kind, raw)
    except LookupError:
        raise errors.unsupported_media_type(errors.CUSTOM_MEDIA_TYPES) from None
    except RecursionError:  # a message nested deeper than Python's stack: refuse, not 500
        raise errors.bad_request(f"{sent_kind} in version \"{version.rpartition('/')[2]}\" "
                                 f"cannot be handled as a {kind}: nested too deeply") from None
    except protodecode.ProtobufError as problem:
        raise errors.bad_request(f"{sent_kind} in version \"{version.rpartition('/')[2]}\" "
                                 f"cannot be handled as a {kind}: {problem}") from None


def _summary(body: bytes, limit: int = 30) -> str:
    """rest.go summarizeData: the first bytes, in hex."""
    if not body:
        return "<empty>"
    return body[:limit].hex() + (" ..." if len(body) > limit else "")
