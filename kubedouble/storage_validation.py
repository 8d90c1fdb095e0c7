"""Defaults and validation of PersistentVolumeClaims, PersistentVolumes and StorageClasses, as
the real server's.

Sources: pkg/apis/core/v1/defaults.go (SetDefaults_PersistentVolume(Claim): reclaim policy
Retain, volumeMode Filesystem, phase Pending), pkg/apis/core/validation/validation.go
(ValidatePersistentVolumeClaimSpec, ValidatePersistentVolumeClaimUpdate,
ValidatePersistentVolumeSpec, ValidatePersistentVolumeUpdate), pkg/apis/storage/v1/defaults.go
(reclaimPolicy Delete, volumeBindingMode Immediate) and pkg/apis/storage/validation/
validation.go (ValidateStorageClass, ValidateStorageClassUpdate).
"""

from __future__ import annotations

import copy
from typing import Any

from . import field_errors as fe
from .immutability import spec_diff
from .quantities import quantity

Causes = list[dict[str, str]]
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
VOLUME_MODES = ["Block", "Filesystem"]
PV_RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
SC_RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
HOST_PATH_TYPES = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
                   "FileOrCreate", "Socket"]
# The PersistentVolume sources the double knows how to back with a local folder, and the rest
# of the API's, so "one source" is checked against all of them.
PV_SOURCES = ("hostPath", "local", "nfs", "csi", "iscsi", "fc", "rbd", "cephfs", "cinder",
              "glusterfs", "flexVolume", "azureFile", "azureDisk", "awsElasticBlockStore",
              "gcePersistentDisk", "vsphereVolume", "quobyte", "photonPersistentDisk",
              "portworxVolume", "scaleIO", "storageos", "flocker")
PVC_IMMUTABLE = ("spec is immutable after creation except resources.requests and "
                 "volumeAttributesClassName for bound claims")
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


# Defaults ------------------------------------------------------------------------------------
def default_claim(claim: dict[str, Any]) -> None:
    spec = claim.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    status = claim.setdefault("status", {})
    status.setdefault("phase", "Pending")


def default_volume(volume: dict[str, Any]) -> None:
    spec = volume.setdefault("spec", {})
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    volume.setdefault("status", {}).setdefault("phase", "Pending")


def default_class(storage_class: dict[str, Any]) -> None:
    storage_class.setdefault("reclaimPolicy", "Delete")
    storage_class.setdefault("volumeBindingMode", "Immediate")


# Shared pieces ------------------------------------------------------------------------------
def _access_modes(modes: list[str] | None, path: str) -> Causes:
    if not modes:
        return [fe.required(path, "at least 1 access mode is required")]
    causes = [fe.not_supported(path, mode, ACCESS_MODES) for mode in modes
              if mode not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        causes.append(fe.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return causes


def _positive_storage(value: Any, path: str) -> Causes:
    try:
        size = quantity(value)
    except ValueError:
        return [fe.invalid(path, value, "must be a valid quantity")]
    if size <= 0:
        return [fe.invalid(path, str(value), "must be greater than zero")]
    return []


def _class_name(value: Any, path: str) -> Causes:
    if not value:
        return []
    return [fe.invalid(path, value, m) for m in fe.dns1123_subdomain(value)]


def is_bound(claim: dict[str, Any]) -> bool:
    return (claim.get("status") or {}).get("phase") == "Bound"


# PersistentVolumeClaims ----------------------------------------------------------------------
def claim_causes(claim: dict[str, Any]) -> Causes:
    """ValidatePersistentVolumeClaimSpec."""
    spec = claim.get("spec") or {}
    causes = _access_modes(spec.get("accessModes"), "spec.accessModes")
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        causes.append(fe.required("spec.resources[storage]"))
    else:
        causes += _positive_storage(requests["storage"], "spec.resources[storage]")
    causes += _class_name(spec.get("storageClassName"), "spec.storageClassName")
    mode = spec.get("volumeMode")
    if mode and mode not in VOLUME_MODES:
        causes.append(fe.not_supported("spec.volumeMode", mode, VOLUME_MODES))
    return causes


def claim_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """ValidatePersistentVolumeClaimUpdate: a bound claim may grow its storage request and
    change its volumeAttributesClassName; nothing else; volumeName may be set once."""
    spec, before = copy.deepcopy(new.get("spec") or {}), old.get("spec") or {}
    if not before.get("volumeName") and spec.get("volumeName"):
        spec.pop("volumeName")  # binding sets it once
        before = {k: v for k, v in before.items() if k != "volumeName"}
    bound = is_bound(old)
    compared = dict(spec)
    if bound:
        for key in ("resources", "volumeAttributesClassName"):
            compared.pop(key, None)
            if key in before:
                compared[key] = before[key]
    if compared != before:
        diff = spec_diff(before, compared, "core.PersistentVolumeClaimSpec")
        return [fe.forbidden("spec", f"{PVC_IMMUTABLE}\n{diff}")]
    new_size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    old_size = ((before.get("resources") or {}).get("requests") or {}).get("storage")
    if new_size is not None and old_size is not None:
        try:
            shrinks = quantity(new_size) < quantity(old_size)
        except ValueError:
            shrinks = False  # refused by claim_causes
        if shrinks:
            return [fe.forbidden("spec.resources.requests.storage",
                                 "field can not be less than previous value")]
    return []


# PersistentVolumes ---------------------------------------------------------------------------
def volume_causes(volume: dict[str, Any]) -> Causes:
    """ValidatePersistentVolumeSpec, for the sources the double serves."""
    spec = volume.get("spec") or {}
    causes = _access_modes(spec.get("accessModes"), "spec.accessModes")
    capacity = spec.get("capacity") or {}
    if not capacity:
        causes.append(fe.required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        causes.append(fe.not_supported("spec.capacity", capacity, ["storage"]))
    for name, value in capacity.items():
        causes += _positive_storage(value, f"spec.capacity[{name}]")
    sources = [key for key in PV_SOURCES if spec.get(key) is not None]
    if not sources:
        causes.append(fe.required("spec", "must specify a volume type"))
    elif len(sources) > 1:
        causes.append(fe.forbidden(f"spec.{sources[1]}", "may not specify more than 1 volume "
                                                          "type"))
    for key in ("hostPath", "local"):
        source = spec.get(key)
        if not isinstance(source, dict):
            continue
        if not source.get("path"):
            causes.append(fe.required(f"spec.{key}.path"))
        elif ".." in source["path"].split("/"):
            causes.append(fe.invalid(f"spec.{key}.path", source["path"], "must not contain '..'"))
    host_path_type = (spec.get("hostPath") or {}).get("type")
    if host_path_type is not None and host_path_type not in HOST_PATH_TYPES:
        causes.append(fe.not_supported("spec.hostPath.type", host_path_type, HOST_PATH_TYPES))
    if spec.get("local") is not None and not spec.get("nodeAffinity"):
        causes.append(fe.required("spec.nodeAffinity", "Local volume requires node affinity"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in PV_RECLAIM_POLICIES:
        causes.append(fe.not_supported("spec.persistentVolumeReclaimPolicy", policy,
                                       PV_RECLAIM_POLICIES))
    causes += _class_name(spec.get("storageClassName"), "spec.storageClassName")
    mode = spec.get("volumeMode")
    if mode and mode not in VOLUME_MODES:
        causes.append(fe.not_supported("spec.volumeMode", mode, VOLUME_MODES))
    return causes


def volume_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """ValidatePersistentVolumeUpdate: the source, volumeMode and node affinity are fixed."""
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    causes: Causes = []
    source = {k: spec[k] for k in PV_SOURCES if k in spec}
    old_source = {k: before[k] for k in PV_SOURCES if k in before}
    if source != old_source:
        causes.append(fe.forbidden("spec.persistentvolumesource",
                                   "spec.persistentvolumesource is immutable after creation\n"
                                   + spec_diff(old_source, source,
                                               "core.PersistentVolumeSource")))
    for key in ("volumeMode", "nodeAffinity"):
        if spec.get(key) != before.get(key):
            causes.append(fe.invalid(f"spec.{key}", spec.get(key), "field is immutable"))
    return causes


# StorageClasses ------------------------------------------------------------------------------
def class_causes(storage_class: dict[str, Any]) -> Causes:
    """ValidateStorageClass."""
    causes: Causes = []
    provisioner = storage_class.get("provisioner") or ""
    if not provisioner:
        causes.append(fe.required("provisioner"))
    else:
        causes += [fe.invalid("provisioner", provisioner.lower(), m)
                   for m in fe.label_key(provisioner.lower())]
    parameters = storage_class.get("parameters") or {}
    if len(parameters) > 512:
        causes.append(fe.invalid("parameters", len(parameters),
                                 "must have at most 512 parameters"))
    for key in parameters:
        if not key:
            causes.append(fe.invalid("parameters", key, "field can not be empty."))
    policy = storage_class.get("reclaimPolicy")
    if policy and policy not in SC_RECLAIM_POLICIES:
        causes.append(fe.not_supported("reclaimPolicy", policy, SC_RECLAIM_POLICIES))
    mode = storage_class.get("volumeBindingMode")
    if mode is None:
        causes.append(fe.required("volumeBindingMode"))
    elif mode not in BINDING_MODES:
        causes.append(fe.not_supported("volumeBindingMode", mode, BINDING_MODES))
    return causes


def class_update_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """ValidateStorageClassUpdate."""
    causes: Causes = []
    for key in ("parameters", "provisioner", "reclaimPolicy"):
        if (new.get(key) or None) != (old.get(key) or None):
            causes.append(fe.forbidden(key, f"updates to {key} are forbidden."))
    if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
        causes.append(fe.forbidden("volumeBindingMode", "field is immutable"))
    return causes


def is_default_class(storage_class: dict[str, Any]) -> bool:
    """storageutil.IsDefaultAnnotation (the beta annotation counts too)."""
    annotations = storage_class["metadata"].get("annotations") or {}
    return any(annotations.get(key) == "true" for key in (
        DEFAULT_CLASS_ANNOTATION, "storageclass.beta.kubernetes.io/is-default-class"))
