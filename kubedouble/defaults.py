"""What the real server fills in and checks for the built-in kinds we serve (Jobs, Pods, CRDs)."""

from __future__ import annotations

from typing import Any

from .cel import crd_causes
from .errors import cause
from .probes import default_probes
from .quantities import quantity

JOB_LABELS = ("batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name",
              "controller-uid", "job-name")


def _default_pod_spec(spec: dict[str, Any], restart_policy: str | None) -> None:
    if restart_policy:
        spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    lists = [spec.get(key) for key in ("containers", "initContainers")]
    for container in [c for found in lists if isinstance(found, list) for c in found]:
        if not isinstance(container, dict):
            continue
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        default_probes(container)
        container.setdefault("terminationMessagePolicy", "File")
        latest = ":" not in str(container.get("image", "")).rsplit("/", 1)[-1]
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        resources = container.setdefault("resources", {})
        if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
            # An unset request defaults to its limit (pkg/apis/core/v1/defaults.go SetDefaults_Pod).
            requests = resources.setdefault("requests", {})
            if isinstance(requests, dict):
                for name, value in resources["limits"].items():
                    requests.setdefault(name, value)


default_pod_spec = _default_pod_spec  # for templates inside other kinds (CronJobs)


def _same(one: Any, other: Any) -> bool:
    try:
        return quantity(one) == quantity(other)
    except ValueError:
        return False  # refused by validation anyway


def qos_class(spec: dict[str, Any]) -> str:
    """pkg/apis/core/helper/qos ComputePodQOS: Guaranteed when every container's cpu and memory
    requests equal their limits, BestEffort when none asks for any, else Burstable."""
    containers = [c for key in ("initContainers", "containers") for c in spec.get(key) or ()
                  if isinstance(c, dict)]
    asked, guaranteed = False, True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        asked = asked or any(k in requests or k in limits for k in ("cpu", "memory"))
        guaranteed = guaranteed and all(
            k in limits and _same(requests.get(k, limits[k]), limits[k]) for k in ("cpu", "memory"))
    if not asked:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _container_causes(spec: dict[str, Any], path: str) -> list[dict[str, str]]:
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return [cause(f"{path}.containers", "Required value", "FieldValueRequired")]
    causes = []
    for index, container in enumerate(containers):
        for key in ("name", "image"):
            if not (isinstance(container, dict) and container.get(key)):
                causes.append(cause(f"{path}.containers[{index}].{key}", "Required value",
                                    "FieldValueRequired"))
    return causes


def prepare_job(job: dict[str, Any]) -> list[dict[str, str]]:
    """Defaults a new Job as the real server does; returns validation causes."""
    meta, spec = job["metadata"], job.setdefault("spec", {})
    template = spec.setdefault("template", {})
    if not isinstance(template, dict):
        return [cause("spec.template", "Required value", "FieldValueRequired")]
    # SetDefaults_Job: with a podFailurePolicy only failed pods are replaced.
    replacement = "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
    for key, value in (("parallelism", 1), ("completions", 1), ("backoffLimit", 6),
                       ("completionMode", "NonIndexed"), ("suspend", False),
                       ("podReplacementPolicy", replacement), ("manualSelector", None)):
        if value is not None:
            spec.setdefault(key, value)
    uid, name = meta["uid"], meta["name"]
    spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels.update(dict(zip(JOB_LABELS, (uid, name, uid, name))))
    if not meta.get("labels"):
        meta["labels"] = dict(labels)
    pod_spec = template.setdefault("spec", {})
    _default_pod_spec(pod_spec, None)
    causes = _container_causes(pod_spec, "spec.template.spec")
    policy = pod_spec.get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        message = ('Required value: valid values: "OnFailure", "Never"' if policy is None else
                   f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"')
        causes.append(cause("spec.template.spec.restartPolicy", message,
                            "FieldValueRequired" if policy is None else "FieldValueNotSupported"))
    return causes


def prepare_pod(pod: dict[str, Any]) -> list[dict[str, str]]:
    spec = pod.setdefault("spec", {})
    _default_pod_spec(spec, "Always")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(spec)}
    return _container_causes(spec, "spec")


def prepare_namespace(namespace: dict[str, Any]) -> list[dict[str, str]]:
    namespace["spec"] = {"finalizers": ["kubernetes"]}
    namespace["status"] = {"phase": "Active"}
    return []


def prepare_crd(crd: dict[str, Any]) -> list[dict[str, str]]:
    """Checks the names hold together and sets the status the CRD controllers would."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes = []
    for field in ("group", "names", "versions", "scope"):
        if not spec.get(field):
            causes.append(cause(f"spec.{field}", "Required value", "FieldValueRequired"))
    for field in ("plural", "kind"):
        if not names.get(field):
            causes.append(cause(f"spec.names.{field}", "Required value", "FieldValueRequired"))
    causes += crd_causes(crd)  # x-kubernetes-validations rules must compile
    if causes:
        return causes
    expected = f"{names['plural']}.{spec['group']}"
    if crd["metadata"]["name"] != expected:
        causes.append(cause("metadata.name", f'Invalid value: "{crd["metadata"]["name"]}": must '
                                             f"be spec.names.plural+\".\"+spec.group"))
    accepted = {"singular": names["kind"].lower(), "listKind": f"{names['kind']}List", **names}
    crd["status"] = {
        "acceptedNames": accepted,
        "storedVersions": [v["name"] for v in spec["versions"] if v.get("storage")],
        "conditions": [
            {"type": t, "status": "True", "reason": r, "message": m,
             "lastTransitionTime": crd["metadata"]["creationTimestamp"]}
            for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                            ("Established", "InitialNamesAccepted",
                             "the initial names have been accepted"))
        ],
    }
    return causes
