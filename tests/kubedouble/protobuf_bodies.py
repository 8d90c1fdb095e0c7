"""Protobuf request bodies built from JSON-shaped objects with the vendored schema, as client-go
would send them (field order by number, the special types in their wire forms)."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

from kubedouble import protodecode, protoschema
from kubedouble.protoschema import Field, Message

META = protodecode.META


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negatives as 64-bit two's complement, as Go writes them
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def delimited(number: int, payload: bytes) -> bytes:
    return tag(number, 2) + varint(len(payload)) + payload


def enveloped(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = delimited(1, api_version.encode()) + delimited(2, kind.encode())
    return protodecode.MAGIC + delimited(1, type_meta) + delimited(2, raw)


def _rfc3339(text: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()), moment.microsecond * 1000


def _go_duration_nanos(text: str) -> int:
    units = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "µs": 1e3, "us": 1e3, "ns": 1}
    return round(sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|µs|us|ns|h|m|s)",
                                                                  text)))


class Encoder:
    def __init__(self) -> None:
        self.schema = protoschema.vendored()

    def message(self, message: Message, value: Any) -> bytes:
        name = message.name
        if name in (f"{META}.Time", f"{META}.MicroTime"):
            seconds, nanos = _rfc3339(value)
            return tag(1, 0) + varint(seconds) + (tag(2, 0) + varint(nanos) if nanos else b"")
        if name == f"{META}.Duration":
            return tag(1, 0) + varint(_go_duration_nanos(value))
        if name.endswith(("resource.Quantity", "resource.QuantityValue")):
            return delimited(1, str(value).encode())
        if name.endswith("intstr.IntOrString"):
            if isinstance(value, int):
                return tag(1, 0) + varint(0) + tag(2, 0) + varint(value)
            return tag(1, 0) + varint(1) + delimited(3, value.encode())
        if name in (f"{META}.FieldsV1", "k8s.io.apimachinery.pkg.runtime.RawExtension"):
            return delimited(1, json.dumps(value).encode())
        fields = list(message.fields.values())
        if len(fields) == 1 and fields[0].name == "items" and fields[0].repeated:
            return b"".join(self.single(fields[0], item) for item in value)
        out = b""
        for spec in sorted(fields, key=lambda f: f.number):
            tags = message.go_tags.get(spec.name, "").split(",")
            key = next((t[5:] for t in tags if t.startswith("json=")), spec.name)
            if "inline" in tags:  # an embedded struct takes its fields from this object
                embedded = self.schema.messages[spec.type]
                mine = {k: v for k, v in value.items() if k in self.json_names(embedded)}
                out += delimited(spec.number, self.message(embedded, mine))
            elif key in value:
                out += self.field(spec, value[key])
        unknown = set(value) - self.json_names(message) - {"apiVersion", "kind"}
        assert not unknown, f"{name} has no fields {unknown}"
        return out

    def json_names(self, message: Message) -> set[str]:
        names: set[str] = set()
        for spec in message.fields.values():
            tags = message.go_tags.get(spec.name, "").split(",")
            if "inline" in tags:
                names |= self.json_names(self.schema.messages[spec.type])
            else:
                names.add(next((t[5:] for t in tags if t.startswith("json=")), spec.name))
        return names

    def field(self, spec: Field, value: Any) -> bytes:
        if spec.map_key is not None:
            return b"".join(delimited(spec.number, delimited(1, str(k).encode())
                                      + self.single(Field("value", 2, spec.type), v))
                            for k, v in sorted(value.items()))
        if spec.repeated:
            return b"".join(self.single(spec, item) for item in value)
        return self.single(spec, value)

    def single(self, spec: Field, value: Any) -> bytes:
        message = self.schema.message(spec.type)
        if message is not None:
            return delimited(spec.number, self.message(message, value))
        if spec.type == "string":
            return delimited(spec.number, value.encode())
        if spec.type == "bytes":
            return delimited(spec.number, base64.b64decode(value))
        return tag(spec.number, 0) + varint(int(value))

    def body(self, obj: dict[str, Any]) -> bytes:
        """An object with apiVersion and kind as client-go's protobuf serializer sends it."""
        message = protodecode.message_for(self.schema, obj["apiVersion"], obj["kind"])
        assert message is not None, obj["kind"]
        return enveloped(obj["apiVersion"], obj["kind"], self.message(message, obj))


def encode(obj: dict[str, Any]) -> bytes:
    return Encoder().body(obj)
