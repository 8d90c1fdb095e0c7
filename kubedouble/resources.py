"""The resource table: built-in kinds plus CRDs; it drives routing, discovery and OpenAPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    # CRD semantics: status dropped on create, resourceVersion required on PUT, no strategic merge.
    custom: bool = False
    schema: dict[str, Any] | None = None
    printer_columns: tuple[dict[str, Any], ...] = ()
    has_generation: bool = False
    field_labels: tuple[str, ...] = ()
    # batch/v1 Jobs keep their pods by default, for backwards compatibility (as the real server).
    default_propagation: str = "Background"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`plural.group` as the real server names a resource in messages; also our storage key."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def kind_group(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def discovery_entries(self) -> list[dict[str, Any]]:
        main: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(ALL_VERBS),
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        entries = [main]
        for sub in self.subresources:
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            kind = "Pod" if sub == "log" else self.kind
            entry = {"name": f"{self.plural}/{sub}", "singularName": "",
                     "namespaced": self.namespaced, "kind": kind, "verbs": verbs}
            if sub == "scale":  # an autoscaling/v1 Scale, whatever the parent's group
                entry.update(group="autoscaling", version="v1", kind="Scale")
            entries.append(entry)
        return entries


def _builtin(group: str, version: str, plural: str, kind: str, **kw: Any) -> Resource:
    return Resource(group=group, version=version, plural=plural, kind=kind, **kw)


BUILTINS: tuple[Resource, ...] = (
    _builtin("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",),
             subresources=("status",), field_labels=("status.phase",)),
    _builtin("", "v1", "pods", "Pod", short_names=("po",), categories=("all",),
             subresources=("status", "log"), has_generation=True,
             field_labels=("status.phase", "spec.nodeName", "spec.restartPolicy",
                           "spec.serviceAccountName", "status.podIP")),
    _builtin("", "v1", "events", "Event", short_names=("ev",),
             field_labels=("involvedObject.kind", "involvedObject.namespace",
                           "involvedObject.name", "involvedObject.uid",
                           "involvedObject.apiVersion", "involvedObject.resourceVersion",
                           "involvedObject.fieldPath", "reason", "reportingComponent",
                           "source", "type")),
    _builtin("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _builtin("", "v1", "secrets", "Secret", field_labels=("type",)),
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _builtin("", "v1", "services", "Service", short_names=("svc",), categories=("all",),
             subresources=("status",)),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    _builtin("batch", "v1", "jobs", "Job", categories=("all",), subresources=("status",),
             has_generation=True, default_propagation="Orphan",
             field_labels=("status.successful",)),
    _builtin("apps", "v1", "deployments", "Deployment", short_names=("deploy",),
             categories=("all",), subresources=("status", "scale"), has_generation=True),
    _builtin("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",),
             categories=("all",), subresources=("status", "scale"), has_generation=True),
    _builtin("events.k8s.io", "v1", "events", "Event", short_names=("ev",),
             field_labels=("regarding.kind", "regarding.namespace", "regarding.name",
                           "regarding.uid", "reason", "reportingController", "type")),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease"),
    _builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions",
             "CustomResourceDefinition", namespaced=False, short_names=("crd", "crds"),
             categories=("api-extensions",), subresources=("status",), has_generation=True),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
             namespaced=False),
    _builtin("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced=False,
             short_names=("pc",)),
    # The chart's storage, network, policy and scheduled kinds (kinds.py holds their rules).
    _builtin("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",),
             subresources=("status",)),
    _builtin("", "v1", "persistentvolumes", "PersistentVolume", namespaced=False,
             short_names=("pv",), subresources=("status",)),
    _builtin("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False,
             short_names=("sc",)),
    _builtin("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",),
             subresources=("status",), has_generation=True),
    _builtin("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False,
             has_generation=True),
    _builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy",
             short_names=("netpol",), has_generation=True),
    _builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short_names=("pdb",),
             subresources=("status",), has_generation=True),
    _builtin("batch", "v1", "cronjobs", "CronJob", short_names=("cj",), categories=("all",),
             subresources=("status",), has_generation=True),
    _builtin("kopf.dev", "v1", "kopfpeerings", "KopfPeering", custom=True, has_generation=True),
    _builtin("kopf.dev", "v1", "clusterkopfpeerings", "ClusterKopfPeering", namespaced=False,
             custom=True, has_generation=True),
)


def resources_from_crd(crd: dict[str, Any]) -> list[Resource]:
    """One Resource per served version of a CustomResourceDefinition object."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    found = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        found.append(Resource(
            group=spec["group"],
            version=version["name"],
            plural=names["plural"],
            kind=names["kind"],
            singular=names.get("singular", names["kind"].lower()),
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            subresources=("status",) if "status" in (version.get("subresources") or {}) else (),
            custom=True,
            schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            has_generation=True,
        ))
    return found


def load_crd_files(folder: Path) -> list[dict[str, Any]]:
    """Every CustomResourceDefinition document in the folder's *.yaml / *.yml / *.json files."""
    crds = []
    for path in sorted(folder.glob("*")):
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                crds.append(doc)
    return crds


@dataclass
class ResourceTable:
    """Resources by (group, version, plural), mutable as CRDs come and go."""

    _by_path: dict[tuple[str, str, str], Resource] = field(default_factory=dict)
    _crd_owned: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in BUILTINS:
            self._add(resource)

    def _add(self, resource: Resource) -> None:
        self._by_path[(resource.group, resource.version, resource.plural)] = resource

    def register_crd(self, crd: dict[str, Any]) -> None:
        self.unregister_crd(crd["metadata"]["name"])
        keys = []
        for resource in resources_from_crd(crd):
            self._add(resource)
            keys.append((resource.group, resource.version, resource.plural))
        self._crd_owned[crd["metadata"]["name"]] = keys

    def unregister_crd(self, crd_name: str) -> None:
        for key in self._crd_owned.pop(crd_name, []):
            self._by_path.pop(key, None)

    def find(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_path.get((group, version, plural))

    def find_kind(self, api_version: str, kind: str) -> Resource | None:
        for resource in self._by_path.values():
            if resource.api_version == api_version and resource.kind == kind:
                return resource
        return None

    def all(self) -> list[Resource]:
        return list(self._by_path.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group name → its versions ('' is the core group)."""
        groups: dict[str, list[str]] = {}
        for resource in self._by_path.values():
            versions = groups.setdefault(resource.group, [])
            if resource.version not in versions:
                versions.append(resource.version)
        return groups

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self._by_path.values() if r.group == group and r.version == version]
