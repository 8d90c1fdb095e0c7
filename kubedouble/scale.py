"""The `scale` subresource of Deployments and ReplicaSets: an autoscaling/v1 Scale.

As pkg/registry/apps/deployment/storage/storage.go ScaleREST: GET answers the Scale
(spec.replicas, status.replicas and status.selector as a selector string); PUT and PATCH change
only the parent's spec.replicas, after ValidateScale (pkg/apis/autoscaling/validation). A
resourceVersion in the Scale is the parent's, a precondition as on any update.
"""

from __future__ import annotations

from typing import Any

from . import errors, patching
from . import field_errors as fe
from .operations import Cluster
from .resources import Resource
from .selectors import selector_string


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    kept = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                 "creationTimestamp") if k in meta}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": kept,
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": selector_string(obj["spec"].get("selector"))}}


def _replicas(scale: Any, name: str) -> int:
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request must be a Scale")
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        raise errors.bad_request(f"Scale in version \"v1\" cannot be handled as a Scale: json: "
                                 f"cannot unmarshal {type(replicas).__name__} into Go struct "
                                 f"field ScaleSpec.spec.replicas of type int32")
    causes = fe.nonnegative("spec.replicas", replicas)
    if causes:
        raise errors.invalid("Scale.autoscaling", name, causes)
    return replicas


def read(cluster: Cluster, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
    return scale_of(cluster.get(resource, namespace, name))


def write(cluster: Cluster, resource: Resource, namespace: str, name: str, body: Any,
          content_type: str | None, dry_run: bool = False) -> dict[str, Any]:
    """PUT (content_type None) or PATCH the Scale; returns the Scale after the write."""
    current = scale_of(cluster.get(resource, namespace, name))
    if content_type is None:
        scale = body
    elif content_type == patching.JSON_PATCH:
        scale = patching.json_patch(current, body)
    elif content_type == patching.MERGE:
        scale = patching.merge_patch(current, body)
    elif content_type == patching.STRATEGIC:
        scale = patching.strategic_merge_patch(current, body)
    else:
        raise errors.unsupported_media_type(content_type)
    replicas = _replicas(scale, name)
    change: dict[str, Any] = {"spec": {"replicas": replicas}}
    wanted = ((scale.get("metadata") or {}).get("resourceVersion")
              if content_type is None else None)
    if wanted:
        change["metadata"] = {"resourceVersion": wanted}
    updated = cluster.patch(resource, namespace, name, change, patching.MERGE, dry_run=dry_run)
    return scale_of(updated)
