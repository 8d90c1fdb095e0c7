"""Field sets as structured-merge-diff sees them: leaf paths, `fieldsV1` tries, list semantics.

A path is a tuple of `fieldsV1` keys: `f:<field>` for struct fields and map keys,
`k:{"name":"x"}` for an item of an associative list, `v:<json>` for a set member and `.` for
the item itself. CRD lists follow `x-kubernetes-list-type` (atomic by default); built-in lists
follow the `listType`/`listMapKeys` markers of the Kubernetes types for the kinds we serve.
"""

from __future__ import annotations

import json
from typing import Any

Path = tuple[str, ...]
MISSING = object()

# +listType=map keys of the built-in lists we serve (k8s.io/api core/v1, batch/v1, meta/v1).
_BUILTIN_MAP_KEYS = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",),
    "ports": ("containerPort", "protocol"), "ownerReferences": ("uid",),
    "conditions": ("type",), "imagePullSecrets": ("name",), "volumeDevices": ("devicePath",),
}
_BUILTIN_SETS = ("finalizers",)
# Fields no manager owns: identity, server-set metadata, and the type itself.
IGNORED: frozenset[Path] = frozenset({
    ("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name"), ("f:metadata", "f:namespace"),
    ("f:metadata", "f:uid"), ("f:metadata", "f:resourceVersion"),
    ("f:metadata", "f:generation"), ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:deletionTimestamp"), ("f:metadata", "f:deletionGracePeriodSeconds"),
    ("f:metadata", "f:managedFields"), ("f:metadata", "f:selfLink"),
})


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _child_schema(schema: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if not schema:
        return None
    properties = schema.get("properties") or {}
    if key in properties:
        return properties[key]
    additional = schema.get("additionalProperties")
    return additional if isinstance(additional, dict) else None


def list_semantics(name: str, items: list[Any],
                   schema: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    """("map", keys) / ("set", ()) / ("atomic", ()) for the list in field `name`."""
    if schema is not None and schema.get("type") == "array":
        kind = schema.get("x-kubernetes-list-type", "atomic")
        return kind, tuple(schema.get("x-kubernetes-list-map-keys") or ())
    if name in _BUILTIN_SETS:
        return "set", ()
    keys = _BUILTIN_MAP_KEYS.get(name)
    if keys and all(isinstance(i, dict) and keys[0] in i for i in items):
        return "map", keys
    return "atomic", ()


def item_key(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    return "k:" + _compact({k: item[k] for k in keys if k in item})


class Walker:
    """Leaf paths and merges of one resource's objects (schema is the CRD's, or None)."""

    def __init__(self, schema: dict[str, Any] | None) -> None:
        self.schema = schema

    def _schema_for(self, schema: dict[str, Any] | None, key: str, path: Path) -> Any:
        if path == () and key == "metadata":
            return None  # ObjectMeta is typed by the server, not the CRD schema
        return _child_schema(schema, key) if schema is not None else None

    def leaves(self, obj: dict[str, Any]) -> dict[Path, Any]:
        out: dict[Path, Any] = {}
        self._leaves(obj, self.schema, (), out, "")
        return {p: v for p, v in out.items() if p not in IGNORED and p[:2] not in IGNORED}

    def _leaves(self, value: Any, schema: Any, path: Path, out: dict[Path, Any],
                name: str) -> None:
        if isinstance(value, dict) and value:
            atomic = bool(schema and schema.get("x-kubernetes-map-type") == "atomic")
            if atomic:
                out[path] = value
                return
            for key, child in value.items():
                self._leaves(child, self._schema_for(schema, key, path), path + (f"f:{key}",),
                             out, key)
        elif isinstance(value, list) and value:
            kind, keys = list_semantics(name, value, schema)
            items_schema = schema.get("items") if isinstance(schema, dict) else None
            if kind == "set":
                for member in value:
                    out[path + (f"v:{_compact(member)}",)] = member
            elif kind == "map" and all(isinstance(i, dict) for i in value):
                for item in value:
                    item_path = path + (item_key(item, keys),)
                    out[item_path + (".",)] = True
                    for key, child in item.items():
                        self._leaves(child, _child_schema(items_schema, key),
                                     item_path + (f"f:{key}",), out, key)
            else:
                out[path] = value
        else:
            out[path] = value

    def merge(self, live: Any, config: Any, schema: Any = None, path: Path = (),
              name: str = "") -> Any:
        """The applied configuration merged onto the live object, by each list's semantics."""
        schema = self.schema if path == () else schema
        if isinstance(config, dict) and isinstance(live, dict):
            if schema and schema.get("x-kubernetes-map-type") == "atomic":
                return config
            merged = dict(live)
            for key, value in config.items():
                merged[key] = self.merge(live.get(key, MISSING), value,
                                         self._schema_for(schema, key, path),
                                         path + (f"f:{key}",), key)
            return merged
        if isinstance(config, list) and isinstance(live, list):
            kind, keys = list_semantics(name, config + live, schema)
            if kind == "set":
                return live + [v for v in config if v not in live]
            if kind == "map":
                items_schema = schema.get("items") if isinstance(schema, dict) else None
                merged_items = list(live)
                index = {item_key(i, keys): n for n, i in enumerate(live) if isinstance(i, dict)}
                for item in config:
                    at = index.get(item_key(item, keys)) if isinstance(item, dict) else None
                    if at is None:
                        merged_items.append(item)
                    else:
                        merged_items[at] = self.merge(live[at], item, items_schema,
                                                      path + ("k",), "")
                return merged_items
        return config


def value_at(obj: Any, path: Path) -> Any:
    current = obj
    for element in path:
        if element == ".":
            return True if current is not MISSING else MISSING
        kind, _, rest = element.partition(":")
        if kind == "f" and isinstance(current, dict):
            current = current.get(rest, MISSING)
        elif kind == "k" and isinstance(current, list):
            wanted = json.loads(rest)
            current = next((i for i in current if isinstance(i, dict) and
                            all(i.get(k) == v for k, v in wanted.items())), MISSING)
        elif kind == "v" and isinstance(current, list):
            member = json.loads(rest)
            current = member if member in current else MISSING
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def remove(obj: dict[str, Any], path: Path) -> None:
    """Delete the field (or list item, or set member) at path, in place."""
    if path and path[-1] == ".":
        path = path[:-1]
    parent = value_at(obj, path[:-1]) if len(path) > 1 else obj
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind in ("k", "v") and isinstance(parent, list):
        target = value_at(obj, path)
        if target is not MISSING:
            parent[:] = [i for i in parent if i != target]


def to_fields_v1(paths: set[Path] | list[Path]) -> dict[str, Any]:
    trie: dict[str, Any] = {}
    for path in sorted(paths):
        node = trie
        for element in path:
            node = node.setdefault(element, {})
    return trie


def from_fields_v1(trie: dict[str, Any], prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for key, child in (trie or {}).items():
        here = prefix + (key,)
        if isinstance(child, dict) and child:
            paths |= from_fields_v1(child, here)
        else:
            paths.add(here)
    return paths


def describe(path: Path) -> str:
    """A path as structured-merge-diff prints it: `.spec.containers[name="main"].image`."""
    text = ""
    for element in path:
        kind, _, rest = element.partition(":")
        if element == ".":
            continue
        if kind == "f":
            text += f".{rest}"
        elif kind == "k":
            pairs = json.loads(rest)
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in pairs.items()) + "]"
        elif kind == "v":
            text += f"[={rest}]"
        else:
            text += f"[{rest}]"
    return text
