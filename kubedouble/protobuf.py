"""Just enough of the Kubernetes protobuf encoding to read a TokenRequest: `kubectl create token`
sends one that way (it accepts a JSON answer). Other kinds still get 415, as before.

Envelope: the magic bytes "k8s\\0", then a runtime.Unknown message whose field 2 holds the
object (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go); field numbers from
k8s.io/api/authentication/v1/generated.proto.
"""

from __future__ import annotations

from typing import Any

from . import errors

MAGIC = b"k8s\x00"


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ValueError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited fields."""
    found, at = [], 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            value, at = data[at:at + size], at + size
        elif wire in (1, 5):
            value, at = data[at:at + (8 if wire == 1 else 4)], at + (8 if wire == 1 else 4)
        else:
            raise ValueError(f"unsupported wire type {wire}")
        found.append((number, value))
    return found


def _strings(data: bytes, names: dict[int, str]) -> dict[str, str]:
    return {names[n]: v.decode() for n, v in fields(data) if n in names}


def token_request(body: bytes) -> dict[str, Any]:
    """A protobuf TokenRequest as the JSON body it stands for."""
    try:
        if not body.startswith(MAGIC):
            raise ValueError("no protobuf magic")
        raw = next(v for n, v in fields(body[len(MAGIC):]) if n == 2)
        spec: dict[str, Any] = {}
        for number, value in fields(raw):
            if number != 2:
                continue
            for field, item in fields(value):
                if field == 1:
                    spec.setdefault("audiences", []).append(item.decode())
                elif field == 4:
                    spec["expirationSeconds"] = item
                elif field == 3:
                    spec["boundObjectRef"] = _strings(item, {1: "kind", 2: "apiVersion",
                                                             3: "name", 4: "uid"})
    except (ValueError, StopIteration, UnicodeDecodeError) as problem:
        raise errors.bad_request(f"the request body is not valid: {problem}") from None
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}


# k8s.io/api/authorization/v1/generated.proto: SelfSubjectAccessReview and -RulesReview share
# the layout metadata=1, spec=2; the spec of an access review holds resourceAttributes=1 or
# nonResourceAttributes=2, that of a rules review namespace=1.
RESOURCE_ATTRIBUTES = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource",
                       6: "subresource", 7: "name"}
NON_RESOURCE_ATTRIBUTES = {1: "path", 2: "verb"}


def review(body: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectAccessReview or SelfSubjectRulesReview as its JSON body."""
    try:
        if not body.startswith(MAGIC):
            raise ValueError("no protobuf magic")
        envelope = dict(fields(body[len(MAGIC):]))
        kind = _strings(envelope.get(1, b""), {2: "kind"}).get("kind", "")
        raw = envelope[2]
        spec: dict[str, Any] = {}
        for number, value in fields(raw):
            if number != 2:
                continue
            for field, item in fields(value):
                if kind == "SelfSubjectRulesReview" and field == 1:
                    spec["namespace"] = item.decode()
                elif field == 1:
                    spec["resourceAttributes"] = _strings(item, RESOURCE_ATTRIBUTES)
                elif field == 2:
                    spec["nonResourceAttributes"] = _strings(item, NON_RESOURCE_ATTRIBUTES)
    except (ValueError, KeyError, UnicodeDecodeError) as problem:
        raise errors.bad_request(f"the request body is not valid: {problem}") from None
    return {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": spec}
