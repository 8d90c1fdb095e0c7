"""CEL values from JSON as the apiserver types them, and the Kubernetes CEL function libraries.

Schema-driven conversion (apiextensions-apiserver schema/cel/model): `number` is a double,
`format: date-time` a timestamp, `format: duration` a duration, `format: byte` bytes; only
declared properties are visible, with names escaped (`x-prop` is `x__dash__prop`); at a
resource root only `apiVersion`, `kind`, `metadata.name` and `metadata.generateName`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from typing import Any

_RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
             "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
             "void", "while"}
_ACCESSIBLE = re.compile(r"^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def escape(name: str) -> str | None:
    """A property name as CEL sees it, or None when it cannot be accessed."""
    if name in _RESERVED:
        return f"__{name}__"
    if not _ACCESSIBLE.match(name):
        return None
    return (name.replace("__", "__underscores__").replace(".", "__dot__")
            .replace("-", "__dash__").replace("/", "__slash__"))


def parse_duration(text: str) -> datetime.timedelta | None:
    """A Go duration string (`1h30m`, `300ms`, `-1.5s`)."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if body == "0":
        return datetime.timedelta(0)
    parts = _DURATION_PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        return None
    return datetime.timedelta(seconds=sign * sum(float(n) * _UNITS[u] for n, u in parts))


def _string(value: str, schema: dict[str, Any]) -> Any:
    fmt = schema.get("format")
    if fmt in ("date-time", "datetime", "date"):
        try:
            stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)
    if fmt == "duration":
        parsed = parse_duration(value)
        return value if parsed is None else parsed
    if fmt == "byte":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value
    return value


def to_cel(value: Any, schema: dict[str, Any] | None, root: bool = False) -> Any:
    schema = schema or {}
    if value is None:
        return None
    if isinstance(value, str):
        return _string(value, schema)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and schema.get("type") == "number":
        return float(value)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return [to_cel(v, items) for v in value]
    if isinstance(value, dict):
        return _object(value, schema, root)
    return value


def _object(value: dict[str, Any], schema: dict[str, Any], root: bool) -> dict[str, Any]:
    properties = schema.get("properties")
    additional = schema.get("additionalProperties")
    if properties is None and isinstance(additional, dict) and not root:
        return {k: to_cel(v, additional) for k, v in value.items()}
    result: dict[str, Any] = {}
    resource = root or bool(schema.get("x-kubernetes-embedded-resource"))
    if resource:
        result.update({k: value[k] for k in ("apiVersion", "kind") if k in value})
        meta = value.get("metadata") or {}
        result["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    for key, child in value.items():
        child_schema = (properties or {}).get(key)
        if child_schema is None or (resource and key in ("apiVersion", "kind", "metadata")):
            continue
        escaped = escape(key)
        if escaped is not None and _known_type(child_schema):
            result[escaped] = to_cel(child, child_schema)
    return result


def _known_type(schema: dict[str, Any]) -> bool:
    """Fields of an "unknown type" (no type, preserve-unknown-fields) are not visible to CEL."""
    if schema.get("type") or schema.get("x-kubernetes-int-or-string"):
        return True
    return not schema.get("x-kubernetes-preserve-unknown-fields")


# The Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library and cel-go ext strings) -----
def _index_of(target: Any, item: Any, start: int = 0) -> int:
    if isinstance(target, str):
        return target.find(item, start)
    return next((i for i, v in enumerate(target) if v == item), -1)


def _last_index_of(target: Any, item: Any, *rest: int) -> int:
    if isinstance(target, str):
        return target.rfind(item, 0, rest[0] + len(item)) if rest else target.rfind(item)
    return max((i for i, v in enumerate(target) if v == item), default=-1)


def _split(text: str, separator: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    return text.split(separator, limit - 1) if limit > 0 else text.split(separator)


def _replace(text: str, old: str, new: str, limit: int = -1) -> str:
    return text.replace(old, new, limit)


def _substring(text: str, start: int, end: int | None = None) -> str:
    if start < 0 or start > len(text) or (end is not None and (end < start or end > len(text))):
        raise IndexError(f"index out of range: {start if end is None else end}")
    return text[start:end]


def _join(items: list[str], separator: str = "") -> str:
    return separator.join(items)


def _sum(items: list[Any]) -> Any:
    return sum(items) if items else 0


def _find(text: str, pattern: str) -> str:
    found = re.search(pattern, text)
    return found.group(0) if found else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    found = [m.group(0) for m in re.finditer(pattern, text)]
    return found if limit < 0 else found[:limit]


LIBRARY = {
    "charAt": lambda s, i: s[i] if i < len(s) else "",
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "lowerAscii": lambda s: "".join(c.lower() if c.isascii() else c for c in s),
    "upperAscii": lambda s: "".join(c.upper() if c.isascii() else c for c in s),
    "replace": _replace,
    "split": _split,
    "substring": _substring,
    "trim": lambda s: s.strip(),
    "join": _join,
    "quote": lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"',
    "reverse": lambda s: s[::-1],
    "isSorted": lambda items: list(items) == sorted(items),
    "sum": _sum,
    "min": lambda items: min(items),
    "max": lambda items: max(items),
    "find": _find,
    "findAll": _find_all,
}
