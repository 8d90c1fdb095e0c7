"""Parse API paths (`/apis/<g>/<v>/[watch/][namespaces/<ns>/]<plural>[/<name>[/<sub>]]`), pure."""

from __future__ import annotations

from dataclasses import dataclass

from .resources import Resource, ResourceTable


@dataclass(frozen=True)
class Route:
    resource: Resource
    namespace: str | None  # None: cluster-scoped, or all namespaces
    name: str | None
    subresource: str | None
    watch: bool  # the legacy /watch/ path form


def parse_path(table: ResourceTable, path: str) -> Route | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch = rest[0] == "watch"
    if watch:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        inner = table.find(group, version, rest[2])
        if inner is not None and inner.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    resource = table.find(group, version, rest[0])
    if resource is None:
        return None
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if name is not None and resource.namespaced and namespace is None:
        return None
    return Route(resource, namespace, name, subresource, watch)
