"""`kubectl get` columns of the storage, network, policy and CronJob kinds, as
pkg/printers/internalversion/printers.go prints them (printPersistentVolumeClaim,
printPersistentVolume, printStorageClass, printIngress, printIngressClass, printNetworkPolicy,
printPodDisruptionBudget, printCronJob)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import tables as t
from .label_selectors import format_selector
from .storage_validation import is_default_class

Obj = dict[str, Any]
MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
         ("ReadWriteOncePod", "RWOP"))


def access_modes(modes: list[str] | None) -> str:
    """helper.GetAccessModesAsString: in this fixed order, whatever order they were given in."""
    return ",".join(short for mode, short in MODES if mode in (modes or []))


def _created(obj: Obj) -> str:
    return t.age(obj["metadata"].get("creationTimestamp"))


def _claim_row(claim: Obj) -> list[Any]:
    spec, status = claim.get("spec") or {}, claim.get("status") or {}
    phase = "Terminating" if claim["metadata"].get("deletionTimestamp") else \
        status.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = (status.get("capacity") or {}).get("storage", "")
    return [phase, spec.get("volumeName", ""), capacity, modes,
            spec.get("storageClassName", ""), spec.get("volumeAttributesClassName", "<unset>"),
            _created(claim), spec.get("volumeMode", "<unset>")]


def _volume_row(volume: Obj) -> list[Any]:
    spec, status = volume.get("spec") or {}, volume.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = "Terminating" if volume["metadata"].get("deletionTimestamp") else \
        status.get("phase", "")
    return [(spec.get("capacity") or {}).get("storage", ""),
            access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), phase, claim,
            spec.get("storageClassName", ""), spec.get("volumeAttributesClassName", "<unset>"),
            status.get("reason", ""), _created(volume), spec.get("volumeMode", "<unset>")]


def _class_row(storage_class: Obj) -> list[Any]:
    return [storage_class.get("provisioner", ""), storage_class.get("reclaimPolicy", "Delete"),
            storage_class.get("volumeBindingMode", "Immediate"),
            bool(storage_class.get("allowVolumeExpansion", False)), _created(storage_class)]


def _ingress_hosts(rules: list[Obj]) -> str:
    """formatHosts: the first three hosts, then `+ N more...` (N counts rules past three);
    `*` when no rule names a host."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    return ",".join(hosts) + (f" + {len(rules) - 3} more..." if more else "")


def _ingress_row(ingress: Obj) -> list[Any]:
    spec = ingress.get("spec") or {}
    balancer = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(entry.get("ip") or entry.get("hostname") or "" for entry in balancer)
    return [spec.get("ingressClassName") or "<none>", _ingress_hosts(spec.get("rules") or []),
            address, "80, 443" if spec.get("tls") else "80", _created(ingress)]


def _ingress_class_row(ingress_class: Obj) -> list[Any]:
    spec = ingress_class.get("spec") or {}
    parameters = spec.get("parameters")
    shown = "<none>"
    if parameters:
        kind = parameters.get("kind", "")
        if parameters.get("apiGroup"):
            kind += "." + parameters["apiGroup"]
        shown = f"{kind}/{parameters.get('name', '')}"
    return [spec.get("controller", ""), shown, _created(ingress_class)]


def _budget_row(budget: Obj) -> list[Any]:
    spec, status = budget.get("spec") or {}, budget.get("status") or {}

    def shown(key: str) -> str:
        return "N/A" if spec.get(key) is None else str(spec[key])

    return [shown("minAvailable"), shown("maxUnavailable"), status.get("disruptionsAllowed", 0),
            _created(budget)]


def _go_bool(value: bool | None) -> str:
    """printBoolPtr: True, False or <unset>."""
    return "<unset>" if value is None else ("True" if value else "False")


def _cronjob_row(cronjob: Obj) -> list[Any]:
    spec, status = cronjob.get("spec") or {}, cronjob.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    containers = ((job_spec.get("template") or {}).get("spec") or {}).get("containers") or []
    last = status.get("lastScheduleTime")
    return [spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            _go_bool(spec.get("suspend")), len(status.get("active") or []),
            t.age(last) if last else "<none>", _created(cronjob),
            ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers),
            format_selector(job_spec.get("selector"))]


_col, _AGE = t.col, t.AGE
TABLES: dict[str, tuple[list[dict], Callable[[Obj], list[Any]]]] = {
    "persistentvolumeclaims": ([_col("Status"), _col("Volume"), _col("Capacity"),
                                _col("Access Modes"), _col("StorageClass"),
                                _col("VolumeAttributesClass"), _AGE,
                                _col("VolumeMode", priority=1)], _claim_row),
    "persistentvolumes": ([_col("Capacity"), _col("Access Modes"), _col("Reclaim Policy"),
                           _col("Status"), _col("Claim"), _col("StorageClass"),
                           _col("VolumeAttributesClass"), _col("Reason"), _AGE,
                           _col("VolumeMode", priority=1)], _volume_row),
    "storageclasses.storage.k8s.io": ([_col("Provisioner"), _col("ReclaimPolicy"),
                                       _col("VolumeBindingMode"),
                                       _col("AllowVolumeExpansion", "boolean"), _AGE],
                                      _class_row),
    "ingresses.networking.k8s.io": ([_col("Class"), _col("Hosts"), _col("Address"),
                                     _col("Ports"), _AGE], _ingress_row),
    "ingressclasses.networking.k8s.io": ([_col("Controller"), _col("Parameters"), _AGE],
                                         _ingress_class_row),
    "networkpolicies.networking.k8s.io": (
        [_col("Pod-Selector"), _AGE],
        lambda o: [format_selector((o.get("spec") or {}).get("podSelector") or {}),
                   _created(o)]),
    "poddisruptionbudgets.policy": ([_col("Min Available"), _col("Max Unavailable"),
                                     _col("Allowed Disruptions", "integer"), _AGE],
                                    _budget_row),
    "cronjobs.batch": ([_col("Schedule"), _col("Timezone"), _col("Suspend", "boolean"),
                        _col("Active", "integer"), _col("Last Schedule"), _AGE,
                        _col("Containers", priority=1), _col("Images", priority=1),
                        _col("Selector", priority=1)], _cronjob_row),
}


def name_cell(qualified: str, obj: Obj) -> str:
    """The NAME cell: a default StorageClass says so (printStorageClass)."""
    name = str(obj["metadata"]["name"])
    if qualified == "storageclasses.storage.k8s.io" and is_default_class(obj):
        return f"{name} (default)"
    return name
