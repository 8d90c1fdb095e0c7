"""Create-and-update validation the real server runs on every object (ObjectMeta) and on the
built-in kinds we serve, with its field paths and wording.

Sources: k8s.io/apimachinery/pkg/api/validation/objectmeta.go (names, labels, annotations,
finalizers, owner references), pkg/apis/core/validation/validation.go (Pod, ConfigMap, Secret,
Event, ServiceAccount, Namespace), pkg/apis/batch/validation/validation.go (Job) and
pkg/apis/coordination/validation/validation.go (Lease).
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from . import field_errors as fe
from . import priorityclasses, rbac_validation
from .job_validation import pod_failure_policy_causes, pod_replacement_policy_causes
from .resources import Resource

TOTAL_ANNOTATION_SIZE = 256 * 1024
MAX_SECRET_SIZE = 1024 * 1024
MAX_INT32 = (1 << 31) - 1
_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
             "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": 1,
             "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
Causes = list[dict[str, str]]


# ObjectMeta ----------------------------------------------------------------------------------
def metadata_causes(resource: Resource, meta: dict[str, Any]) -> Causes:
    """ValidateObjectMetaAccessor, with the kind's name rule (a DNS label for Namespaces)."""
    label = resource.qualified == "namespaces"
    causes: Causes = []
    if meta.get("generateName"):
        causes += [fe.invalid("metadata.generateName", meta["generateName"], m)
                   for m in fe.name_messages(meta["generateName"], label=label, prefix=True)]
    name_rule = (rbac_validation.path_segment_messages if resource.group == rbac_validation.GROUP
                 else lambda name: fe.name_messages(name, label=label))
    causes += [fe.invalid("metadata.name", meta.get("name", ""), m)
               for m in name_rule(meta.get("name", ""))]
    causes += labels_causes(meta.get("labels"), "metadata.labels")
    causes += annotations_causes(meta.get("annotations"), "metadata.annotations")
    for finalizer in meta.get("finalizers") or []:
        causes += [fe.invalid("metadata.finalizers", finalizer, m)
                   for m in fe.label_key(finalizer)]
    for owner in meta.get("ownerReferences") or []:
        for key, what in (("apiVersion", "version"), ("kind", "kind"), ("name", "name"),
                          ("uid", "uid")):
            if not owner.get(key):
                causes.append(fe.invalid(f"metadata.ownerReferences.{key}", "",
                                         f"{what} must not be empty"))
        if owner.get("apiVersion") == "v1" and owner.get("kind") == "Event":
            causes.append(fe.invalid("metadata.ownerReferences", owner,
                                     "cannot be set to an Event"))
    return causes


def labels_causes(labels: dict[str, str] | None, path: str) -> Causes:
    """ValidateLabels: key and value errors are both reported at the labels path."""
    causes: Causes = []
    for key, value in (labels or {}).items():
        causes += [fe.invalid(path, key, m) for m in fe.label_key(key)]
        causes += [fe.invalid(path, value, m) for m in fe.label_value(value)]
    return causes


def annotations_causes(annotations: dict[str, str] | None, path: str) -> Causes:
    causes: Causes = []
    for key in annotations or {}:
        causes += [fe.invalid(path, key, m) for m in fe.label_key(key.lower())]
    size = sum(len(k.encode()) + len(v.encode()) for k, v in (annotations or {}).items())
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(fe.too_long(path, TOTAL_ANNOTATION_SIZE))
    return causes


# Pods ---------------------------------------------------------------------------------------
def parse_quantity(text: Any) -> Decimal:
    number, suffix = re.fullmatch(r"([+-]?[0-9.]+)(.*)", str(text)).groups()  # type: ignore
    if suffix[:1] in ("e", "E"):
        return Decimal(number) * Decimal(10) ** int(suffix[1:])
    return Decimal(number) * Decimal(_SUFFIXES.get(suffix, 1))


def _container_causes(containers: list[dict], path: str, volumes: set[str],
                      seen: set[str]) -> Causes:
    causes: Causes = []
    for index, container in enumerate(containers):
        here = f"{path}[{index}]"
        name = container.get("name") or ""
        if name:
            causes += [fe.invalid(f"{here}.name", name, m) for m in fe.dns1123_label(name)]
            if name in seen:
                causes.append(fe.duplicate(f"{here}.name", name))
            seen.add(name)
        policy = container.get("imagePullPolicy")
        if policy and policy not in ("Always", "IfNotPresent", "Never"):
            causes.append(fe.not_supported(f"{here}.imagePullPolicy", policy,
                                           ["Always", "IfNotPresent", "Never"]))
        for number, env in enumerate(container.get("env") or []):
            env_name = env.get("name") or ""
            if not env_name:
                causes.append(fe.required(f"{here}.env[{number}].name"))
            elif not re.fullmatch(r"[\x20-\x3c\x3e-\x7e]+", env_name):
                causes.append(fe.invalid(
                    f"{here}.env[{number}].name", env_name, "a valid environment variable name "
                    "must consist only of printable ASCII characters other than '='"))
        for number, mount in enumerate(container.get("volumeMounts") or []):
            if mount.get("name") not in volumes:
                causes.append(fe.not_found(f"{here}.volumeMounts[{number}].name",
                                           mount.get("name", "")))
            if not mount.get("mountPath"):
                causes.append(fe.required(f"{here}.volumeMounts[{number}].mountPath"))
        causes += _resources_causes(container.get("resources") or {}, f"{here}.resources")
    return causes


def _resources_causes(resources: dict[str, Any], path: str) -> Causes:
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    causes: Causes = []
    for name, quantity in requests.items():
        if name in limits and parse_quantity(quantity) > parse_quantity(limits[name]):
            causes.append(fe.invalid(f"{path}.requests", str(quantity),
                                     f"must be less than or equal to {name} limit of "
                                     f"{limits[name]}"))
    return causes


def pod_spec_causes(spec: dict[str, Any], path: str) -> Causes:
    """ValidatePodSpec, the parts our components and kubectl touch."""
    causes: Causes = []
    volumes: set[str] = set()
    for index, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name") or ""
        here = f"{path}.volumes[{index}].name"
        if not name:
            causes.append(fe.required(here))
            continue
        causes += [fe.invalid(here, name, m) for m in fe.dns1123_label(name)]
        if name in volumes:
            causes.append(fe.duplicate(here, name))
        volumes.add(name)
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        causes += _container_causes(spec.get(key) or [], f"{path}.{key}", volumes, seen)
    policy = spec.get("restartPolicy")
    if policy and policy not in ("Always", "OnFailure", "Never"):
        causes.append(fe.not_supported(f"{path}.restartPolicy", policy,
                                       ["Always", "OnFailure", "Never"]))
    dns = spec.get("dnsPolicy")
    if dns and dns not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        causes.append(fe.not_supported(f"{path}.dnsPolicy", dns, [
            "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        causes.append(fe.invalid(f"{path}.activeDeadlineSeconds", deadline,
                                 f"must be between 1 and {MAX_INT32}, inclusive"))
    account = spec.get("serviceAccountName")
    if account:
        causes += [fe.invalid(f"{path}.serviceAccountName", account, m)
                   for m in fe.dns1123_subdomain(account)]
    return causes


def _pod(obj: dict[str, Any]) -> Causes:
    return pod_spec_causes(obj.get("spec") or {}, "spec")


# Jobs ---------------------------------------------------------------------------------------
def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(...).Matches(labels)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, values = expression.get("key"), expression.get("values") or []
        operator = expression.get("operator")
        if ((operator == "In" and labels.get(key) not in values)
                or (operator == "NotIn" and key in labels and labels[key] in values)
                or (operator == "Exists" and key not in labels)
                or (operator == "DoesNotExist" and key in labels)):
            return False
    return True


def _job(obj: dict[str, Any]) -> Causes:
    spec, meta = obj.get("spec") or {}, obj["metadata"]
    template = spec.get("template") or {}
    template_meta = template.get("metadata") or {}
    causes: Causes = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                "ttlSecondsAfterFinished"):
        causes += fe.nonnegative(f"spec.{key}", spec.get(key))
    mode = spec.get("completionMode")
    if mode and mode not in ("NonIndexed", "Indexed"):
        causes.append(fe.not_supported("spec.completionMode", mode, ["NonIndexed", "Indexed"]))
    selector = spec.get("selector") or {}
    generated = {"batch.kubernetes.io/controller-uid": meta.get("uid", ""),
                 "batch.kubernetes.io/job-name": meta.get("name", "")}
    if not spec.get("manualSelector") and not selector_matches(selector, generated):
        causes.append(fe.invalid("spec.selector", selector, "`selector` not auto-generated"))
    if not selector_matches(selector, template_meta.get("labels") or {}):
        causes.append(fe.invalid("spec.template.metadata.labels", template_meta.get("labels"),
                                 "`selector` does not match template `labels`"))
    causes += labels_causes(template_meta.get("labels"), "spec.template.labels")
    causes += annotations_causes(template_meta.get("annotations"), "spec.template.annotations")
    pod_spec = template.get("spec") or {}
    causes += pod_spec_causes(pod_spec, "spec.template.spec")
    causes += pod_failure_policy_causes(spec)
    causes += pod_replacement_policy_causes(spec)
    return causes


# ConfigMaps, Secrets, Events, Leases ----------------------------------------------------------
def _config_map(obj: dict[str, Any]) -> Causes:
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    causes: Causes = []
    for key, value in data.items():
        causes += [fe.invalid(f"data[{key}]", key, m) for m in fe.config_map_key(key)]
        if key in binary:
            causes.append(fe.invalid(f"data[{key}]", key,
                                     "duplicate of key present in binaryData"))
    for key in binary:
        causes += [fe.invalid(f"binaryData[{key}]", key, m) for m in fe.config_map_key(key)]
    size = sum(len(v.encode()) for v in data.values()) + sum(
        len(base64.b64decode(v)) for v in binary.values())
    if size > MAX_SECRET_SIZE:
        causes.append(fe.too_long("", MAX_SECRET_SIZE))
    return causes


def _secret(obj: dict[str, Any]) -> Causes:
    data = obj.get("data") or {}
    causes: Causes = []
    for key in data:
        causes += [fe.invalid(f"data[{key}]", key, m) for m in fe.config_map_key(key)]
    if sum(len(base64.b64decode(v)) for v in data.values()) > MAX_SECRET_SIZE:
        causes.append(fe.too_long("data", MAX_SECRET_SIZE))
    kind = obj.get("type")
    needed = {"kubernetes.io/tls": ("tls.crt", "tls.key"),
              "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
              "kubernetes.io/ssh-auth": ("ssh-privatekey",)}.get(kind or "", ())
    causes += [fe.required(f"data[{key}]") for key in needed if key not in data]
    annotations = obj["metadata"].get("annotations") or {}
    if kind == "kubernetes.io/service-account-token" and not annotations.get(
            "kubernetes.io/service-account.name"):
        causes.append(fe.required("metadata.annotations[kubernetes.io/service-account.name]"))
    return causes


def _event(obj: dict[str, Any]) -> Causes:
    involved = obj.get("involvedObject") or {}
    namespace = obj["metadata"].get("namespace", "")
    if involved.get("namespace"):
        ok = involved["namespace"] == namespace
    else:
        ok = namespace in ("", "default")
    if ok:
        return []
    return [fe.invalid("involvedObject.namespace", involved.get("namespace", ""),
                       "does not match event.namespace")]


def _lease(obj: dict[str, Any]) -> Causes:
    spec = obj.get("spec") or {}
    causes: Causes = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and duration <= 0:
        causes.append(fe.invalid("spec.leaseDurationSeconds", duration,
                                 "must be greater than 0"))
    causes += fe.nonnegative("spec.leaseTransitions", spec.get("leaseTransitions"))
    return causes


KIND_RULES = {"pods": _pod, "jobs.batch": _job, "configmaps": _config_map, "secrets": _secret,
              "events": _event, "leases.coordination.k8s.io": _lease,
              priorityclasses.PRIORITY_CLASSES: priorityclasses.validate,
              **rbac_validation.KIND_RULES}


def convert_secret(obj: dict[str, Any]) -> None:
    """v1 → internal conversion: stringData is merged into data (base64) and dropped; the
    type defaults to Opaque (pkg/apis/core/v1/conversion.go, defaults.go)."""
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(value.encode()).decode()
    obj.setdefault("type", "Opaque")


def causes(resource: Resource, obj: dict[str, Any], *, kind_rules: bool = True) -> Causes:
    """Every create/update error for the object: its metadata, then its kind's own rules
    (not run for status writes, whose strategy keeps the spec)."""
    from .apps_validation import KIND_RULES as APPS_RULES  # apps_validation builds on this one

    rule = {**KIND_RULES, **APPS_RULES}.get(resource.qualified) if kind_rules else None
    return metadata_causes(resource, obj["metadata"]) + (rule(obj) if rule else [])
