"""Patch formats: JSON merge-patch, JSON-patch (RFC 6902) and an approximate strategic merge."""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, bad_request

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE, JSON_PATCH, STRATEGIC, APPLY)


def accepted_patch_types(custom: bool) -> tuple[str, ...]:
    """What a PATCH accepts, in the order a 415 lists them (k8s.io/apiserver installer.go;
    custom resources have no strategic merge)."""
    return (JSON_PATCH, MERGE, APPLY) if custom else (JSON_PATCH, MERGE, STRATEGIC, APPLY)

# List-element keys the built-in kinds merge on (containers, env, volumes, volumeMounts, ports...).
_MERGE_KEYS = ("name", "mountPath", "containerPort", "type", "ip", "devicePath")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(items: list[Any]) -> str | None:
    for key in _MERGE_KEYS:
        if items and all(isinstance(i, dict) and key in i for i in items):
            return key
    return None


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Merge-patch, plus keyed lists merged by key, `$patch` and `$setElementOrder` honoured.

    Enough for `kubectl apply` on built-in kinds; retainKeys and per-field strategies are not
    modelled.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if not k.startswith("$")}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_lists(result[key], value, patch.get(f"$setElementOrder/{key}"))
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    for key, deleted in patch.items():
        if key.startswith("$deleteFromPrimitiveList/") and isinstance(deleted, list):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name, []) if v not in deleted]
    return result


def _merge_lists(current: list[Any], patch: list[Any], order: list[Any] | None) -> list[Any]:
    key = _merge_key(current + [p for p in patch if not (isinstance(p, dict) and "$patch" in p)])
    if key is None:
        return copy.deepcopy([p for p in patch if not (isinstance(p, dict) and "$patch" in p)])
    merged = {item[key]: item for item in current}
    for item in patch:
        if item.get("$patch") == "delete":
            merged.pop(item.get(key), None)
        else:
            merged[item[key]] = strategic_merge_patch(merged.get(item[key]), item)
    if order:
        ranked = [o.get(key) for o in order if isinstance(o, dict)]
        return sorted(merged.values(),
                      key=lambda i: ranked.index(i[key]) if i[key] in ranked else len(ranked))
    return list(merged.values())


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer: {path!r}")
    return [_unescape(t) for t in path[1:].split("/")]


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    current = doc
    for token in tokens[:-1]:
        current = _child(current, token, path)
    return current


def _child(container: Any, token: str, path: str) -> Any:
    if isinstance(container, dict) and token in container:
        return container[token]
    if isinstance(container, list) and token.isdigit() and int(token) < len(container):
        return container[int(token)]
    raise _unprocessable(f"doc is missing path: {path}")


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, "Invalid", message)


def _add(doc: Any, path: str, value: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _unprocessable(f"add operation does not apply: doc is missing path: {path}")
    else:
        raise _unprocessable(f"add operation does not apply: doc is missing path: {path}")
    return doc


def _remove(doc: Any, path: str) -> tuple[Any, Any]:
    tokens = _pointer(path)
    if not tokens:
        raise _unprocessable("cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    _child(parent, last, path)
    removed = parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)
    return doc, removed


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply RFC 6902 operations to a copy of doc; a failed `test` is a 422 like the real server."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "path" not in op or "op" not in op:
            raise bad_request(f"invalid JSON patch operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"missing value for {kind} operation at {path}")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            doc, _ = _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            source = op.get("from", "")
            if kind == "move":
                doc, value = _remove(doc, source)
            else:
                tokens = _pointer(source)
                value = copy.deepcopy(_child(_parent(doc, tokens, source), tokens[-1], source))
            doc = _add(doc, path, value)
        elif kind == "test":
            tokens = _pointer(path)
            actual = _child(_parent(doc, tokens, path), tokens[-1], path) if tokens else doc
            if actual != op["value"]:
                raise _unprocessable(f"testing value {path} failed: test failed")
        else:
            raise bad_request(f"unexpected kind of JSON patch operation: {kind!r}")
    return doc
