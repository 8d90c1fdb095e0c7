"""Server-side apply and `metadata.managedFields`, as kube-apiserver's field manager keeps them.

Every write records who set which fields (operation `Update`, manager from `fieldManager` or
the User-Agent); `application/apply-patch+yaml` merges the applied configuration by each list's
semantics, removes the fields the applier stopped sending, and answers 409 when it would change
fields another manager owns, unless `force=true` takes them over (k8s.io/apiserver
pkg/endpoints/handlers/fieldmanager, sigs.k8s.io/structured-merge-diff).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import errors
from .clock import now
from .fieldpaths import (MISSING, Path, Walker, describe, from_fields_v1, remove, to_fields_v1,
                         value_at)
from .resources import Resource

CONTROLLERS = "kube-controller-manager"  # writes made by the double's own controllers


@dataclass
class WriteContext:
    manager: str = CONTROLLERS
    force: bool = False
    applying: bool = False
    applied: set[Path] | None = None  # the applier's fields (on create through apply)
    settled: bool = False  # apply_patch has written managedFields already


_CURRENT: contextvars.ContextVar[WriteContext | None] = contextvars.ContextVar(
    "kubedouble_write", default=None)


def _context() -> WriteContext:
    return _CURRENT.get() or WriteContext()


def begin_request(query: Mapping[str, str], headers: Mapping[str, str], method: str) -> None:
    """Who writes in this request; the checks the server makes on fieldManager and force."""
    content_type = headers.get("Content-Type", "").split(";")[0].strip()
    applying = method == "PATCH" and content_type == "application/apply-patch+yaml"
    manager = query.get("fieldManager", "")
    force = query.get("force", "").lower() == "true"
    if applying and not manager:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", [errors.cause(
            "fieldManager", "Required value: is required for apply patch",
            "FieldValueRequired")])
    if "force" in query and not applying:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", [errors.cause(
            "force", "Forbidden: may not be specified for non-apply patch",
            "FieldValueForbidden")])
    if len(manager) > 128:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", [errors.cause(
            "fieldManager", f'Invalid value: "{manager}": must be at most 128 characters')])
    if not manager:
        manager = headers.get("User-Agent", "").split("/")[0][:128] or "unknown"
    _CURRENT.set(WriteContext(manager=manager, force=force))


def act_as(manager: str) -> None:
    """Name the field manager of the calling task's writes (and of the tasks it starts): a
    controller of the double, as `kubelet` or `kube-scheduler` appear in managedFields."""
    _CURRENT.set(WriteContext(manager=manager))


@contextlib.contextmanager
def applying(resource: Resource, config: Any,
             subresource: str | None = None) -> Iterator[WriteContext]:
    """Mark the writes inside as this request's apply (operation `Apply`)."""
    outer = _context()
    fields = None
    if isinstance(config, dict):
        fields = set(_scope(resource, subresource, Walker(resource.schema).leaves(config)))
    token = _CURRENT.set(WriteContext(manager=outer.manager, force=outer.force, applying=True,
                                      applied=fields))
    try:
        yield _context()
    finally:
        _CURRENT.reset(token)


def _entries(obj: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(((obj or {}).get("metadata") or {}).get("managedFields") or [])


def _is(entry: dict[str, Any], manager: str, operation: str, subresource: str) -> bool:
    return (entry.get("manager") == manager and entry.get("operation") == operation
            and entry.get("subresource", "") == subresource)


def _scope(resource: Resource, subresource: str | None, paths: dict[Path, Any]) -> dict:
    """A status write owns only status; a main write owns all but status (with /status)."""
    if "status" not in resource.subresources:
        return paths
    if subresource == "status":
        return {p: v for p, v in paths.items() if p[:1] == ("f:status",)}
    return {p: v for p, v in paths.items() if p[:1] != ("f:status",)}


def _entry(manager: str, operation: str, resource: Resource, paths: set[Path],
           subresource: str) -> dict[str, Any]:
    entry = {"manager": manager, "operation": operation, "apiVersion": resource.api_version,
             "time": now(), "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _sorted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server's order: operation (Apply first), then time, manager, subresource."""
    return sorted(entries, key=lambda e: (e.get("operation", ""), e.get("time", ""),
                                          e.get("manager", ""), e.get("subresource", "")))


def _incoming(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """managedFields sent by the client replace the stored ones; [{}] clears them."""
    sent = new["metadata"].get("managedFields")
    if sent is None or sent == [] or old is None:
        return _entries(old)
    if sent == [{}]:
        return []
    return [dict(e) for e in sent if isinstance(e, dict) and e.get("manager")]


def track(resource: Resource, old: dict[str, Any] | None, new: dict[str, Any],
          subresource: str | None) -> None:
    """Set new.metadata.managedFields for this write (the caller stores `new`)."""
    context = _context()
    if context.settled:
        return
    sub = subresource or ""
    walker = Walker(resource.schema)
    new_leaves = _scope(resource, subresource, walker.leaves(new))
    entries = _incoming(old, new)
    if context.applying:  # a create through apply: the applier owns what it sent
        operation = "Apply"
        mine = set(context.applied if context.applied is not None else new_leaves)
        changed = set(mine)
    else:
        operation = "Update"
        old_leaves = _scope(resource, subresource, walker.leaves(old)) if old else {}
        changed = {p for p, v in new_leaves.items() if old_leaves.get(p, MISSING) != v}
        mine = set(changed)
    present = set(walker.leaves(new))
    kept, own = [], None
    for entry in entries:
        paths = from_fields_v1(entry.get("fieldsV1") or {}) & present
        if _is(entry, context.manager, operation, sub):
            own = entry
            mine |= paths
            continue
        paths -= changed  # a write takes over the fields it changes
        if paths:
            kept.append(entry if paths == from_fields_v1(entry.get("fieldsV1") or {})
                        else {**entry, "fieldsV1": to_fields_v1(paths)})
    if mine:
        unchanged = own is not None and from_fields_v1(own.get("fieldsV1") or {}) == mine
        kept.append(own if unchanged else _entry(context.manager, operation, resource, mine,
                                                 sub))
    if kept:
        new["metadata"]["managedFields"] = _sorted(kept)
    else:
        new["metadata"].pop("managedFields", None)


def apply_patch(resource: Resource, live: dict[str, Any], config: dict[str, Any],
                subresource: str | None) -> dict[str, Any]:
    """The live object with `config` applied; 409 on conflicts unless forced.

    Call inside `applying(...)`: the managedFields it writes are final for this write.
    """
    context = _context()
    sub = subresource or ""
    walker = Walker(resource.schema)
    applied = set(_scope(resource, subresource, walker.leaves(config)))
    merged = json.loads(json.dumps(walker.merge(live, config)))  # never touch the stored object
    own: dict[str, Any] | None = None
    previous: set[Path] = set()
    others: list[tuple[dict[str, Any], set[Path]]] = []
    for entry in _entries(live):
        paths = from_fields_v1(entry.get("fieldsV1") or {})
        if _is(entry, context.manager, "Apply", sub):
            own, previous = entry, paths
        else:
            others.append((entry, paths))
    changed = {p for p in applied if value_at(live, p) != value_at(merged, p)}
    conflicts = [(entry, path) for entry, paths in others for path in sorted(paths & changed)]
    if conflicts and not context.force:
        raise conflict_error(conflicts)
    taken = {path for _, path in conflicts}
    owned_by_others = set().union(*(paths - taken for _, paths in others))
    for path in sorted(previous - applied, key=len, reverse=True):
        if not any(o[:len(path)] == path for o in owned_by_others):
            remove(merged, path)  # the applier stopped sending it, and nobody else owns it
    for key in ("labels", "annotations", "finalizers", "ownerReferences"):
        if merged["metadata"].get(key) in ({}, []):
            del merged["metadata"][key]  # empty ObjectMeta fields are omitted (omitempty)
    entries = [] if not applied else [
        own if own is not None and previous == applied
        else _entry(context.manager, "Apply", resource, applied, sub)]
    entries += [entry if not paths & taken else {**entry, "fieldsV1": to_fields_v1(paths - taken)}
                for entry, paths in others if paths - taken]
    if entries:
        merged["metadata"]["managedFields"] = _sorted(entries)
    else:
        merged["metadata"].pop("managedFields", None)
    context.settled = True
    return merged


def _manager_text(entry: dict[str, Any]) -> str:
    text = json.dumps(entry.get("manager", ""))
    if entry.get("subresource"):
        text += f' with subresource "{entry["subresource"]}"'
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion', '')}"
        if entry.get("time"):
            text += f" at {entry['time']}"
    return text


def conflict_error(conflicts: list[tuple[dict[str, Any], Path]]) -> errors.ApiError:
    causes = [{"type": "FieldManagerConflict", "message": f"conflict with {_manager_text(e)}",
               "field": describe(p)} for e, p in conflicts]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_manager_text(entry)}: " \
                  f"{describe(path)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_manager_text(entry), []).append(describe(path))
        lines = []
        for manager in sorted(by_manager):
            lines.append(f"conflicts with {manager}:")
            lines += [f"- {p}" for p in by_manager[manager]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.ApiError(409, "Conflict", message, {"causes": causes})
