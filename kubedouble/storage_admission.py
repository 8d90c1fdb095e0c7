"""The admission plugins the real server runs on new claims and volumes.

Sources: plugin/pkg/admission/storage/storageclass/setdefault/admission.go (DefaultStorageClass:
a claim with no storageClassName gets the default class, the newest if several; an explicit ""
stays) and plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go
(StorageObjectInUseProtection: the kubernetes.io/pvc-protection and pv-protection finalizers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .storage_validation import is_default_class

if TYPE_CHECKING:
    from .operations import Cluster
    from .resources import Resource

CLAIMS, VOLUMES, CLASSES = "persistentvolumeclaims", "persistentvolumes", \
    "storageclasses.storage.k8s.io"
PVC_PROTECTION, PV_PROTECTION = "kubernetes.io/pvc-protection", "kubernetes.io/pv-protection"


def default_class_name(cluster: Cluster) -> str | None:
    found = [c for c in cluster.store.items(CLASSES) if is_default_class(c)]
    if not found:
        return None
    newest = max(found, key=lambda c: (c["metadata"].get("creationTimestamp", ""),
                                       c["metadata"]["name"]))
    return str(newest["metadata"]["name"])


def _protect(obj: dict[str, Any], finalizer: str) -> None:
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def admit(cluster: Cluster, resource: Resource, obj: dict[str, Any]) -> None:
    """Mutate a new object as the plugins do (before validation, dry runs included)."""
    if resource.qualified == CLAIMS:
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict) and spec.get("storageClassName") is None:
            name = default_class_name(cluster)
            if name is not None:
                spec["storageClassName"] = name
        _protect(obj, PVC_PROTECTION)
    elif resource.qualified == VOLUMES:
        _protect(obj, PV_PROTECTION)
