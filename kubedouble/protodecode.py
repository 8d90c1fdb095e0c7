"""Kubernetes protobuf bodies (application/vnd.kubernetes.protobuf) as the JSON they stand for.

The envelope is the magic "k8s\\0" then a runtime.Unknown whose typeMeta names the object's
apiVersion and kind and whose raw holds the object's message
(k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go). Messages are read with the
vendored schema (protoschema); field names there are the JSON names. Types whose JSON form is
not their message's shape (k8s.io/apimachinery: meta/v1 time_proto.go, micro_time_proto.go,
duration.go, fields_proto.go; runtime/extension.go; util/intstr; api/resource) become that form.
As the generated Unmarshal code (skipGenerated), fields the schema does not know are skipped.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from .protoschema import Field, Message, Schema

MAGIC = b"k8s\x00"
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_INTEGERS = {"int32": 32, "int64": 64, "uint32": 0, "uint64": 0}


class ProtobufError(ValueError):
    """The bytes are not a valid encoding of the message."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ProtobufError("unexpected EOF")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at
        if shift >= 70:
            raise ProtobufError("integer overflow")


def wire_fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value): ints for varints, bytes for the rest."""
    found, at = [], 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("illegal tag 0")
        if wire == 0:
            value, at = _varint(data, at)
        elif wire in (1, 2, 5):
            if wire == 2:
                size, at = _varint(data, at)
            else:
                size = 8 if wire == 1 else 4
            if at + size > len(data):
                raise ProtobufError("unexpected EOF")
            value, at = data[at:at + size], at + size
        else:
            raise ProtobufError(f"illegal wireType {wire}")
        found.append((number, wire, value))
    return found


def envelope(body: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw message) of an enveloped body."""
    if not body.startswith(MAGIC):
        prefix = " ".join(str(b) for b in MAGIC)  # Go's %v of a []byte
        raise ProtobufError("provided data does not appear to be a protobuf message, expected "
                            f"prefix [{prefix}]")
    if body == MAGIC:
        raise ProtobufError("empty body")
    unknown = _fields_by_name(body[len(MAGIC):], {1: "typeMeta", 2: "raw"})
    type_meta = _fields_by_name(unknown.get("typeMeta", b""), {1: "apiVersion", 2: "kind"})
    return (_text(type_meta.get("apiVersion", b"")), _text(type_meta.get("kind", b"")),
            unknown.get("raw", b""))


def _fields_by_name(data: bytes, names: dict[int, str]) -> dict[str, Any]:
    return {names[n]: v for n, w, v in wire_fields(data) if n in names and w == 2}


def _text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise ProtobufError("invalid UTF-8 in a string field") from None


class Decoder:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def message(self, message: Message, data: bytes) -> Any:
        """The JSON form of one message's bytes."""
        special = _SPECIAL.get(message.name)
        if special is not None:
            return special(self, message, data)
        if _is_list_wrapper(message):  # `type ExtraValue []string`: JSON is the list
            return self.wire_values(message, data).get("items", [])
        return self.fields(message, data)

    def fields(self, message: Message, data: bytes) -> dict[str, Any]:
        """The message's fields as Go's encoding/json writes its struct."""
        found = self.wire_values(message, data)
        shown: dict[str, Any] = {}
        for name, value in found.items():
            tags = message.go_tags.get(name, "").split(",")
            renamed = next((t[5:] for t in tags if t.startswith("json=")), name)
            if renamed == "-":
                continue
            if "inline" in tags and isinstance(value, dict):  # an embedded struct
                shown.update(value)
            elif "pointer" in tags or "keep" in tags or not _is_zero(value, "omitzero" in tags):
                shown[renamed] = value
        return shown

    def wire_values(self, message: Message, data: bytes) -> dict[str, Any]:
        """Every field on the wire, by proto name, zero values included."""
        found: dict[str, Any] = {}
        for number, wire, value in wire_fields(data):
            spec = message.fields.get(number)
            if spec is None:
                continue  # as skipGenerated: an unknown field is skipped
            if spec.map_key is not None:
                key, item = self.map_entry(spec, _expect(spec, wire, 2, value))
                found.setdefault(spec.name, {})[key] = item
            elif spec.repeated and wire == 2 and spec.type in _INTEGERS | {"bool": 0}:
                packed = [self.scalar(spec, 0, v) for _, _, v in _packed(value)]
                found.setdefault(spec.name, []).extend(packed)
            elif spec.repeated:
                found.setdefault(spec.name, []).append(self.value(spec, wire, value))
            else:
                found[spec.name] = self.value(spec, wire, value)
        return found

    def map_entry(self, spec: Field, data: bytes) -> tuple[str, Any]:
        key: Any = ""
        item: Any = None
        for number, wire, value in wire_fields(data):
            if number == 1:
                key = self.scalar(Field("key", 1, spec.map_key or "string"), wire, value)
            elif number == 2:
                item = self.value(spec, wire, value)
        if item is None:  # an entry without a value holds the value type's zero
            item = self.value(spec, 2, b"") if spec.type not in _INTEGERS | {"bool": 0} \
                else self.scalar(spec, 0, 0)
        return str(key), item

    def value(self, spec: Field, wire: int, value: Any) -> Any:
        message = self.schema.message(spec.type)
        if message is None:
            return self.scalar(spec, wire, value)
        return self.message(message, _expect(spec, wire, 2, value))

    @staticmethod
    def scalar(spec: Field, wire: int, value: Any) -> Any:
        kind = spec.type
        if kind == "string":
            return _text(_expect(spec, wire, 2, value))
        if kind == "bytes":  # Go's []byte: base64 in JSON
            return base64.b64encode(_expect(spec, wire, 2, value)).decode()
        if kind == "bool":
            return bool(_expect(spec, wire, 0, value))
        if kind in _INTEGERS:
            number = _expect(spec, wire, 0, value)
            bits = _INTEGERS[kind]
            if bits:  # a negative int32/int64 is sent as its 64-bit two's complement
                number &= (1 << 64) - 1
                number = number - (1 << 64) if number >> 63 else number
                if bits == 32 and not -(1 << 31) <= number < (1 << 31):
                    raise ProtobufError(f"{spec.name}: value out of range for int32")
            return number
        raise ProtobufError(f"{spec.name}: unsupported scalar type {kind}")


def _is_zero(value: Any, omitzero: bool) -> bool:
    """A zero that `omitempty` leaves out (structs it keeps: a zero Time shows as null);
    `omitzero` leaves out zero structs too."""
    if value is None:
        return omitzero
    return value in ("", 0) and not isinstance(value, dict)


def _expect(spec: Field, wire: int, expected: int, value: Any) -> Any:
    if wire != expected:
        raise ProtobufError(f"proto: wrong wireType = {wire} for field {spec.name}")
    return value


def _packed(data: bytes) -> list[tuple[int, int, int]]:
    values, at = [], 0
    while at < len(data):
        value, at = _varint(data, at)
        values.append((0, 0, value))
    return values


def _is_list_wrapper(message: Message) -> bool:
    only = list(message.fields.values())
    return len(only) == 1 and only[0].name == "items" and only[0].repeated \
        and only[0].number == 1


def _time(layout: str) -> Any:
    def decode(decoder: Decoder, message: Message, data: bytes) -> Any:
        parts = decoder.wire_values(message, data)
        if not data:  # Time.Marshal writes nothing for the zero time: JSON null
            return None
        moment = datetime.fromtimestamp(parts.get("seconds", 0), tz=timezone.utc)
        if layout == "micro":
            micros = parts.get("nanos", 0) // 1000
            return moment.replace(microsecond=micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # Time.Unmarshal drops the nanos
    return decode


def go_duration(nanos: int) -> str:
    """time.Duration.String(): 1h2m3.5s, 1.5ms, 0s."""
    if nanos == 0:
        return "0s"
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + _fraction(nanos, size) + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _fraction(rest, 1_000_000_000) + "s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text


def _fraction(value: int, size: int) -> str:
    whole, part = divmod(value, size)
    if not part:
        return str(whole)
    digits = str(part).rjust(len(str(size)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _duration(decoder: Decoder, message: Message, data: bytes) -> Any:
    return go_duration(decoder.wire_values(message, data).get("duration", 0))


def _quantity(decoder: Decoder, message: Message, data: bytes) -> Any:
    return decoder.wire_values(message, data).get("string", "")


def _int_or_string(decoder: Decoder, message: Message, data: bytes) -> Any:
    parts = decoder.wire_values(message, data)
    return parts.get("strVal", "") if parts.get("type") == 1 else parts.get("intVal", 0)


def _raw_json(decoder: Decoder, message: Message, data: bytes) -> Any:
    """RawExtension and FieldsV1 carry JSON bytes; JSON shows them as the object."""
    raw = next((v for n, w, v in wire_fields(data) if n == 1 and w == 2), b"")
    if not raw:
        return None
    if raw.startswith(MAGIC):  # an object embedded as protobuf: decode it the same way
        try:
            return decode_object(decoder.schema, raw)
        except LookupError as problem:
            raise ProtobufError(str(problem)) from None
    try:
        return json.loads(raw)
    except ValueError as problem:
        raise ProtobufError(f"{message.name.rsplit('.', 1)[-1]}: invalid JSON: "
                            f"{problem}") from None


_SPECIAL = {
    f"{META}.Time": _time("seconds"),
    f"{META}.MicroTime": _time("micro"),
    f"{META}.Duration": _duration,
    f"{META}.FieldsV1": _raw_json,
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _raw_json,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": _quantity,
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": _quantity,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
}


def package_for(api_version: str) -> str:
    """The proto package of a group version: v1 → k8s.io.api.core.v1, apps/v1 →
    k8s.io.api.apps.v1, rbac.authorization.k8s.io/v1 → k8s.io.api.rbac.v1 (k8s.io/api's
    folders are named by the group's first label)."""
    group, _, version = api_version.rpartition("/")
    if group == "meta.k8s.io":
        return META
    return f"k8s.io.api.{group.split('.')[0] if group else 'core'}.{version}"


def message_for(schema: Schema, api_version: str, kind: str) -> Message | None:
    """The kind's message in its group's package, else meta/v1's: AddToGroupVersion registers
    DeleteOptions, Status & co. in every group version (apis/meta/v1/register.go)."""
    if not kind:
        return None
    return (schema.message(f"{package_for(api_version)}.{kind}")
            or schema.message(f"{META}.{kind}"))


def object_fields(schema: Schema, api_version: str, kind: str, raw: bytes) -> dict[str, Any]:
    """An object's message as its JSON, apiVersion and kind first.

    Raises ProtobufError for bytes that do not decode, LookupError for a kind the schema lacks.
    """
    message = message_for(schema, api_version, kind)
    if message is None:
        raise LookupError(f"no protobuf message for {api_version}, Kind={kind}")
    return {"apiVersion": api_version, "kind": kind} | Decoder(schema).fields(message, raw)


def decode_object(schema: Schema, body: bytes) -> dict[str, Any]:
    """An enveloped object as its JSON (see object_fields)."""
    return object_fields(schema, *envelope(body))
