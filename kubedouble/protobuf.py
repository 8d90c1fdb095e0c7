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
