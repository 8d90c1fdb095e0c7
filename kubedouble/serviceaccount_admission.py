"""The ServiceAccount admission plugin: a pod runs as a ServiceAccount that exists, and gets its
token, the cluster's CA and its namespace as a projected volume in every container.

Source: plugin/pkg/admission/serviceaccount/admission.go (Admit, shouldAutomount,
mountServiceAccountToken, TokenVolumeSource) and admission.NewForbidden, which names a pod not
yet named by its generateName (`pods "job-" is forbidden: ...`). As there, the plugin acts on
pod creation only (every creation: the Job controller's pods too), mirror pods apart; it copies
the ServiceAccount's imagePullSecrets when the pod names none.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors
from .bodies import random_suffix

DEFAULT_ACCOUNT = "default"
VOLUME_PREFIX = "kube-api-access-"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
WARN_ONLY_BOUND_TOKEN_SECONDS = 3607  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds


def token_volume_source() -> dict[str, Any]:
    """TokenVolumeSource: the token, kube-root-ca.crt's ca.crt and the namespace."""
    return {"defaultMode": 0o644, "sources": [
        {"serviceAccountToken": {"expirationSeconds": WARN_ONLY_BOUND_TOKEN_SECONDS,
                                 "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt",
                                                              "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}


def should_automount(account: dict[str, Any], spec: dict[str, Any]) -> bool:
    """The pod's preference wins, then the ServiceAccount's, else true."""
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if account.get("automountServiceAccountToken") is not None:
        return bool(account["automountServiceAccountToken"])
    return True


def mount_token(spec: dict[str, Any], suffix: str) -> None:
    """Add the kube-api-access volume (unless one exists) and mount it read-only in every init
    container and container that has nothing mounted at the token path already."""
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes
                     if str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
    name = existing or VOLUME_PREFIX + suffix
    needed = False
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            mounts = container.get("volumeMounts") or []
            if any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
                continue  # an existing mount at the path prevents the token's
            container["volumeMounts"] = [*mounts, {"name": name, "readOnly": True,
                                                   "mountPath": TOKEN_MOUNT_PATH}]
            needed = True
    if existing is None and needed:
        spec["volumes"] = [*volumes, {"name": name, "projected": token_volume_source()}]


def forbidden(meta: dict[str, Any], message: str) -> errors.ApiError:
    """admission.NewForbidden for a pod: named by name, else by generateName, else Unknown."""
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    return errors.ApiError(403, "Forbidden", f'pods "{name}" is forbidden: {message}',
                           {"name": name, "kind": "pods"})


def admit(store: Any, pod: dict[str, Any]) -> None:
    """Mutate a pod being created as the plugin does, or raise 403."""
    meta = pod.setdefault("metadata", {})
    spec = pod.setdefault("spec", {})
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        return
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = DEFAULT_ACCOUNT
    namespace, account_name = meta.get("namespace", ""), spec["serviceAccountName"]
    account = store.get("serviceaccounts", namespace, account_name)
    if account is None:
        raise forbidden(meta, f"error looking up service account {namespace}/{account_name}: "
                              f'serviceaccount "{account_name}" not found')
    if should_automount(account, spec):
        mount_token(spec, random_suffix())
    if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": ref.get("name", "")}
                                    for ref in copy.deepcopy(account["imagePullSecrets"])]
