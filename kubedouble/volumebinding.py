"""Claims bound to volumes as on a cluster with a default dynamic provisioner.

The double starts with a default StorageClass whose provisioner makes, for each claim of that
class, a PersistentVolume backed by a new folder under the double's scratch folder, and binds
the two (the claim's volumeName, the volume's claimRef, both phases Bound). The claims of
`volumes={claim: folder}` are pre-provisioned: a volume of that folder, pre-bound to the claim in
the double's namespace. Like the real controllers (pkg/controller/volume/persistentvolume
pv_controller.go syncClaim/syncVolume, pkg/controller/volume/pvcprotection and pvprotection):
a claim being deleted keeps its kubernetes.io/pvc-protection finalizer while a pod that is not
finished uses it; a volume whose claim is gone is Released, and deleted with its folder when its
reclaim policy is Delete (Retain keeps both). WaitForFirstConsumer classes are provisioned at
once too: the double has one node.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path
from typing import Any

from . import apply, errors
from .bodies import clone
from .operations import Cluster
from .quantities import quantity
from .selectors import Selector
from .storage_admission import CLAIMS, CLASSES, PV_PROTECTION, PVC_PROTECTION, VOLUMES
from .storage_validation import DEFAULT_CLASS_ANNOTATION
from .store import Watcher

DEFAULT_CLASS = "standard"
PROVISIONER = "kubedouble.io/local-folder"
CONTROLLER = "persistentvolume-controller"
PREPROVISIONED_SIZE = "1Ti"
TERMINAL = ("Succeeded", "Failed")


# Pure decisions ------------------------------------------------------------------------------
def claimed_names(pod: dict[str, Any]) -> list[str]:
    return [volume["persistentVolumeClaim"].get("claimName", "")
            for volume in (pod.get("spec") or {}).get("volumes") or []
            if isinstance(volume.get("persistentVolumeClaim"), dict)]


def claim_problem(pod: dict[str, Any], claims: dict[str, dict[str, Any]]) -> str | None:
    """Why the VolumeBinding plugin's PreFilter refuses the pod (None: it may be scheduled);
    `claims` are the pod's namespace's, by name (volumebinding.go podHasPVCs)."""
    unbound = False
    for name in claimed_names(pod):
        claim = claims.get(name)
        if claim is None:
            return f'persistentvolumeclaim "{name}" not found'
        phase = (claim.get("status") or {}).get("phase")
        if phase == "Lost":
            return (f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume '
                    f'"{claim["spec"].get("volumeName", "")}"')
        if claim["metadata"].get("deletionTimestamp"):
            return f'persistentvolumeclaim "{name}" is being deleted'
        unbound = unbound or phase != "Bound"
    return "pod has unbound immediate PersistentVolumeClaims" if unbound else None


def unschedulable_message(problem: str) -> str:
    """FitError.Error for a PreFilter rejection on the one node, with preemption's words."""
    return (f"0/1 nodes are available: {problem}. preemption: 0/1 nodes are available: "
            "1 Preemption is not helpful for scheduling.")


def in_use(claim: dict[str, Any], pods: list[dict[str, Any]]) -> bool:
    """pvcprotection podUsesPVC: a pod of the claim's namespace, not finished, naming it."""
    meta = claim["metadata"]
    return any(p["metadata"].get("namespace") == meta.get("namespace")
               and (p.get("status") or {}).get("phase") not in TERMINAL
               and meta["name"] in claimed_names(p) for p in pods)


def fits(volume: dict[str, Any], claim: dict[str, Any]) -> bool:
    """An Available volume of the claim's class with its access modes and enough capacity
    (pv_controller findBestMatchForClaim, without selectors)."""
    spec, wanted = volume.get("spec") or {}, claim.get("spec") or {}
    if spec.get("claimRef") or (volume.get("status") or {}).get("phase") != "Available":
        return False
    if (spec.get("storageClassName") or "") != (wanted.get("storageClassName") or ""):
        return False
    if not set(wanted.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    asked = ((wanted.get("resources") or {}).get("requests") or {}).get("storage", "0")
    return quantity((spec.get("capacity") or {}).get("storage", "0")) >= quantity(asked)


def claim_ref(claim: dict[str, Any]) -> dict[str, Any]:
    meta = claim["metadata"]
    return {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"], "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion", "")}


def folder_of(volume: dict[str, Any]) -> Path | None:
    spec = volume.get("spec") or {}
    for source in ("hostPath", "local"):
        if isinstance(spec.get(source), dict) and spec[source].get("path"):
            return Path(spec[source]["path"])
    return None


# Wiring into the double ----------------------------------------------------------------------
def claim_folders(cluster: Cluster, namespace: str) -> dict[str, Path]:
    """The namespace's bound claims → their volumes' folders (what the kubelet mounts)."""
    found = {}
    for claim in cluster.store.items(CLAIMS, namespace):
        name = (claim.get("spec") or {}).get("volumeName")
        volume = cluster.store.get(VOLUMES, "", name) if name else None
        folder = folder_of(volume) if volume and (claim.get("status") or {}).get(
            "phase") == "Bound" else None
        if folder is not None:
            found[claim["metadata"]["name"]] = folder
    return found


def _create_if_missing(cluster: Cluster, plural: str, group: str, namespace: str,
                       body: dict[str, Any]) -> dict[str, Any]:
    resource = cluster.resource(group, "v1", plural)
    existing = cluster.store.get(resource.qualified, namespace, body["metadata"]["name"])
    return existing or cluster.create(resource, namespace, body)


def ensure_storage(cluster: Cluster, volumes: dict[str, Path], namespace: str) -> None:
    """The default StorageClass, and the pre-provisioned claims (once: a reloaded state keeps
    what it had)."""
    _create_if_missing(cluster, "storageclasses", "storage.k8s.io", "", {
        "metadata": {"name": DEFAULT_CLASS,
                     "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": PROVISIONER, "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate"})
    if volumes and cluster.store.get("namespaces", "", namespace) is None:
        cluster.create(cluster.resource("", "v1", "namespaces"), "",
                       {"metadata": {"name": namespace}})
    for claim_name, folder in volumes.items():
        modes = ["ReadWriteOnce", "ReadWriteMany"]
        capacity = {"storage": PREPROVISIONED_SIZE}
        claim = _create_if_missing(cluster, "persistentvolumeclaims", "", namespace, {
            "metadata": {"name": claim_name},
            "spec": {"accessModes": modes, "storageClassName": "",
                     "resources": {"requests": capacity}, "volumeName": f"local-{claim_name}"}})
        volume = _create_if_missing(cluster, "persistentvolumes", "", "", {
            "metadata": {"name": f"local-{claim_name}"},
            "spec": {"accessModes": modes, "capacity": capacity, "storageClassName": "",
                     "persistentVolumeReclaimPolicy": "Retain", "claimRef": claim_ref(claim),
                     "hostPath": {"path": str(Path(folder).resolve()), "type": "Directory"}}})
        _bound(cluster, claim, volume)


def _bound(cluster: Cluster, claim: dict[str, Any], volume: dict[str, Any]) -> None:
    """Both status writes that complete a binding (syncVolume, then syncClaim)."""
    volumes, claims = cluster.resource("", "v1", VOLUMES), cluster.resource("", "v1", CLAIMS)
    if (volume.get("status") or {}).get("phase") != "Bound":
        cluster.write_status(volumes, volume, {"phase": "Bound"})
    if (claim.get("status") or {}).get("phase") != "Bound":
        spec = volume["spec"]
        cluster.write_status(claims, claim, {
            "phase": "Bound", "accessModes": list(spec.get("accessModes") or []),
            "capacity": dict(spec.get("capacity") or {})})


async def next_batches(*watchers: Watcher) -> list[list[Any]]:
    """Wait until one of the watchers (sharing one wakeup Event) has events; take them all."""
    wakeup = watchers[0].wakeup
    while not any(w.queue for w in watchers) and not any(w.closed for w in watchers):
        wakeup.clear()
        await wakeup.wait()
    batches = [list(w.queue) for w in watchers]
    for watcher in watchers:
        watcher.queue.clear()
    return batches


class VolumeBinder:
    """The persistentvolume controller, the default class's provisioner and the pvc/pv
    protection controllers, reconciling every claim and volume after each change."""

    def __init__(self, cluster: Cluster, root: Path) -> None:
        self.cluster = cluster
        self.root = root  # where provisioned volumes' folders are made
        self.claims = cluster.resource("", "v1", CLAIMS)
        self.volumes = cluster.resource("", "v1", VOLUMES)
        self._told: set[tuple[str, str]] = set()  # (claim uid, reason) already in an Event

    async def run(self) -> None:
        apply.act_as(CONTROLLER)
        wakeup = asyncio.Event()
        watchers = [Watcher(q, None, Selector(), wakeup=wakeup) for q in (CLAIMS, VOLUMES, "pods")]
        for watcher in watchers:
            self.cluster.store.subscribe(watcher, None)
        try:
            while True:
                self.reconcile()
                await next_batches(*watchers)
                await asyncio.sleep(0)
        finally:
            for watcher in watchers:
                self.cluster.store.unsubscribe(watcher)

    def reconcile(self) -> None:
        store = self.cluster.store
        for volume in store.items(VOLUMES):
            with contextlib.suppress(errors.ApiError):
                self._sync_volume(volume)
        pods = store.items("pods")
        for claim in store.items(CLAIMS):
            with contextlib.suppress(errors.ApiError):
                self._sync_claim(claim, pods)

    # Volumes -------------------------------------------------------------------------------
    def _sync_volume(self, volume: dict[str, Any]) -> None:
        spec, phase = volume.get("spec") or {}, (volume.get("status") or {}).get("phase")
        meta = volume["metadata"]
        if meta.get("deletionTimestamp"):
            if phase != "Bound" and PV_PROTECTION in (meta.get("finalizers") or []):
                self._drop_finalizer(self.volumes, volume, PV_PROTECTION)
            return
        ref = spec.get("claimRef")
        if not ref:
            if phase in (None, "Pending"):
                self.cluster.write_status(self.volumes, volume, {"phase": "Available"})
            return
        claim = self.cluster.store.get(CLAIMS, ref.get("namespace", ""), ref.get("name", ""))
        if claim is not None and claim["metadata"]["uid"] == ref.get("uid", claim[
                "metadata"]["uid"]):
            return  # bound, or being bound by _sync_claim
        if phase in (None, "Pending", "Available") and not ref.get("uid"):
            if phase != "Available":  # pre-bound to a claim still to come
                self.cluster.write_status(self.volumes, volume, {"phase": "Available"})
            return
        if phase != "Released":
            volume = self.cluster.write_status(self.volumes, volume, {"phase": "Released"})
        if spec.get("persistentVolumeReclaimPolicy") == "Delete":
            self._reclaim(volume)

    def _reclaim(self, volume: dict[str, Any]) -> None:
        """Delete a Released volume: its folder only if this provisioner made it here."""
        folder = folder_of(volume)
        annotations = volume["metadata"].get("annotations") or {}
        if (folder is not None and annotations.get("pv.kubernetes.io/provisioned-by")
                == PROVISIONER and folder.parent == self.root):
            shutil.rmtree(folder, ignore_errors=True)
        self.cluster.delete(self.volumes, "", volume["metadata"]["name"])

    # Claims --------------------------------------------------------------------------------
    def _sync_claim(self, claim: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        meta, spec = claim["metadata"], claim.get("spec") or {}
        if meta.get("deletionTimestamp"):
            if PVC_PROTECTION in (meta.get("finalizers") or []) and not in_use(claim, pods):
                self._drop_finalizer(self.claims, claim, PVC_PROTECTION)
            return
        if (claim.get("status") or {}).get("phase") == "Bound":
            if spec.get("volumeName") and not self.cluster.store.get(
                    VOLUMES, "", spec["volumeName"]):
                self.cluster.write_status(self.claims, claim, {
                    **claim["status"], "phase": "Lost"})
            return
        volume = self._volume_for(claim)
        if volume is None:
            return
        if spec.get("volumeName") != volume["metadata"]["name"]:
            changed = clone(claim)
            changed["spec"]["volumeName"] = volume["metadata"]["name"]
            changed["metadata"].setdefault("annotations", {}).update({
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes"})
            claim = self.cluster.replace(self.claims, meta["namespace"], meta["name"], changed)
        self._bound(claim, volume)

    def _bound(self, claim: dict[str, Any], volume: dict[str, Any]) -> None:
        current = self.cluster.get(self.volumes, "", volume["metadata"]["name"])
        _bound(self.cluster, claim, current)

    def _volume_for(self, claim: dict[str, Any]) -> dict[str, Any] | None:
        """The volume the claim names, or an Available one that fits, or a new one."""
        spec = claim.get("spec") or {}
        if spec.get("volumeName"):
            volume = self.cluster.store.get(VOLUMES, "", spec["volumeName"])
            ref = (volume or {}).get("spec", {}).get("claimRef") or {}
            if volume is None or ref.get("uid") not in (None, claim["metadata"]["uid"]):
                return None
            return volume if ref else self._claim_volume(volume, claim)
        for volume in self.cluster.store.items(VOLUMES):
            if fits(volume, claim):
                return self._claim_volume(volume, claim)
        class_name = spec.get("storageClassName") or ""
        if not class_name:
            self._tell(claim, "Normal", "FailedBinding", "no persistent volumes available for "
                                                         "this claim and no storage class is set")
            return None
        storage_class = self.cluster.store.get(CLASSES, "", class_name)
        if storage_class is None:
            self._tell(claim, "Warning", "ProvisioningFailed",
                       f'storageclass.storage.k8s.io "{class_name}" not found')
            return None
        if storage_class.get("provisioner") != PROVISIONER:
            self._tell(claim, "Normal", "ExternalProvisioning", "Waiting for a volume to be "
                       f"created either by the external provisioner '"
                       f"{storage_class.get('provisioner')}' or manually by the system "
                       "administrator. If volume creation is delayed, please verify that the "
                       "provisioner is running and correctly registered.")
            return None
        return self._provision(claim, storage_class)

    def _claim_volume(self, volume: dict[str, Any], claim: dict[str, Any]) -> dict[str, Any]:
        changed = clone(volume)
        changed["spec"]["claimRef"] = claim_ref(claim)
        changed["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bound-by-controller"] \
            = "yes"
        return self.cluster.replace(self.volumes, "", volume["metadata"]["name"], changed)

    def _provision(self, claim: dict[str, Any], storage_class: dict[str, Any]) -> dict:
        name = f"pvc-{claim['metadata']['uid']}"
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = claim["spec"]
        volume = self.cluster.create(self.volumes, "", {
            "metadata": {"name": name,
                         "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
            "spec": {"accessModes": list(spec.get("accessModes") or []),
                     "capacity": {"storage": spec["resources"]["requests"]["storage"]},
                     "storageClassName": storage_class["metadata"]["name"],
                     "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy",
                                                                        "Delete"),
                     "volumeMode": spec.get("volumeMode", "Filesystem"),
                     "claimRef": claim_ref(claim),
                     "hostPath": {"path": str(folder), "type": "DirectoryOrCreate"}}})
        self.cluster.record_event(claim, "Normal", "ProvisioningSucceeded",
                                  f"Successfully provisioned volume {name}", PROVISIONER)
        return volume

    # Helpers -------------------------------------------------------------------------------
    def _drop_finalizer(self, resource: Any, obj: dict[str, Any], finalizer: str) -> None:
        kept = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        self.cluster.patch_metadata(resource, obj, {
            "finalizers": kept or None, "resourceVersion": obj["metadata"]["resourceVersion"]})

    def _tell(self, claim: dict[str, Any], kind: str, reason: str, message: str) -> None:
        key = (claim["metadata"]["uid"], reason)
        if key not in self._told:
            self._told.add(key)
            self.cluster.record_event(claim, kind, reason, message, CONTROLLER)
