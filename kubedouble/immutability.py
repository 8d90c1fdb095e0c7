"""What an update may not change, refused with 422 and the field path as the real server does.

Sources: ValidateObjectMetaAccessorUpdate (k8s.io/apimachinery/pkg/api/validation/
objectmeta.go), ValidatePodUpdate, ValidateConfigMapUpdate and ValidateSecretUpdate
(pkg/apis/core/validation/validation.go), ValidateJobSpecUpdate (pkg/apis/batch/validation/
validation.go: the template of a suspended Job that never started may change its scheduling
directives, KEP-2926, GA in 1.27). Status writes are not checked here: the status strategy
keeps the old spec.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from . import field_errors as fe
from . import apps_validation, priorityclasses, rbac_validation
from .builtin_validation import Causes
from .resources import Resource

IMMUTABLE = "field is immutable"
WHEN_IMMUTABLE = "field is immutable when `immutable` is set"
UPDATABLE_POD_SPEC_FIELDS = ",".join((
    "`spec.containers[*].image`", "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)"))
SCHEDULING_DIRECTIVES = ("nodeSelector", "affinity", "tolerations", "schedulingGates")


def _immutable(path: str, new: Any, old: Any) -> Causes:
    return [] if new == old else [fe.invalid(path, new, IMMUTABLE)]


def metadata_causes(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    """uid may not change (name and namespace mismatches are 400s before this point;
    creationTimestamp and deletion fields are silently kept, rest.BeforeUpdate)."""
    return _immutable("metadata.uid", new.get("uid", ""), old.get("uid", ""))


def spec_diff(old: dict[str, Any], new: dict[str, Any], struct: str = "core.PodSpec") -> str:
    """The changed fields, listed as the cmp.Diff the real messages append."""
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            for sign, side in (("-", old), ("+", new)):
                if key in side:
                    lines.append(f"{sign} \t{key}: {json.dumps(side[key], sort_keys=True)},")
    return "\n".join([f"  {struct}{{", *lines, "  }"])


def _pod(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    causes: Causes = []
    for key in ("containers", "initContainers"):
        if len(spec.get(key) or []) != len(before.get(key) or []):
            return [fe.forbidden(f"spec.{key}", "pod updates may not add or remove containers")]
        for index, container in enumerate(spec.get(key) or []):
            if not container.get("image"):
                causes.append(fe.required(f"spec.{key}[{index}].image"))
    if causes:
        return causes
    deadline, old_deadline = spec.get("activeDeadlineSeconds"), before.get(
        "activeDeadlineSeconds")
    if deadline is None and old_deadline is not None:
        causes.append(fe.invalid("spec.activeDeadlineSeconds", None,
                                 "must not update from a positive integer to nil value"))
    elif deadline is not None and old_deadline is not None and deadline > old_deadline:
        causes.append(fe.invalid("spec.activeDeadlineSeconds", deadline,
                                 "must be less than or equal to previous value"))
    old_tolerations = before.get("tolerations") or []
    if any(t not in (spec.get("tolerations") or []) for t in old_tolerations):
        causes.append(fe.forbidden("spec.tolerations", "existing toleration can not be modified "
                                                       "except its tolerationSeconds"))
    munged = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for container, was in zip(munged.get(key) or [], before.get(key) or []):
            container["image"] = was.get("image")
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in before:
            munged[key] = before[key]
    grace = before.get("terminationGracePeriodSeconds")
    if grace is not None and grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = grace
    if munged != before:
        causes.append(fe.forbidden("spec", "pod updates may not change fields other than "
                                           f"{UPDATABLE_POD_SPEC_FIELDS}\n"
                                           f"{spec_diff(before, munged)}"))
    return causes


def _job(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    causes: Causes = []
    elastic = (spec.get("completionMode") == "Indexed"
               and spec.get("completions") == spec.get("parallelism")
               and before.get("completions") == before.get("parallelism"))
    if not elastic:
        causes += _immutable("spec.completions", spec.get("completions"),
                             before.get("completions"))
    for key in ("selector", "completionMode", "podFailurePolicy", "backoffLimitPerIndex",
                "managedBy"):
        causes += _immutable(f"spec.{key}", spec.get(key), before.get(key))
    template, old_template = spec.get("template") or {}, before.get("template") or {}
    never_started = not (old.get("status") or {}).get("startTime")
    if before.get("suspend") and never_started:
        # Scheduling directives and pod labels/annotations of a Job that has not started.
        template = copy.deepcopy(template)
        for section, keys in (("spec", SCHEDULING_DIRECTIVES), ("metadata", ("labels",
                                                                            "annotations"))):
            target, source = template.setdefault(section, {}), old_template.get(section) or {}
            for key in keys:
                target.pop(key, None)
                if key in source:
                    target[key] = source[key]
    if template != old_template:
        causes.append(fe.invalid("spec.template", spec.get("template"), IMMUTABLE))
    return causes


def _immutable_data(new: dict[str, Any], old: dict[str, Any], keys: tuple[str, ...]) -> Causes:
    if not old.get("immutable"):
        return []
    causes: Causes = []
    if not new.get("immutable"):
        causes.append(fe.forbidden("immutable", WHEN_IMMUTABLE))
    for key in keys:
        if (new.get(key) or {}) != (old.get(key) or {}):
            causes.append(fe.forbidden(key, WHEN_IMMUTABLE))
    return causes


def _config_map(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    return _immutable_data(new, old, ("data", "binaryData"))


def _secret(new: dict[str, Any], old: dict[str, Any]) -> Causes:
    return (_immutable("type", new.get("type"), old.get("type"))
            + _immutable_data(new, old, ("data",)))


KIND_RULES = {"pods": _pod, "jobs.batch": _job, "configmaps": _config_map, "secrets": _secret,
              priorityclasses.PRIORITY_CLASSES: priorityclasses.update_causes,
              **rbac_validation.UPDATE_RULES, **apps_validation.UPDATE_RULES}


def update_causes(resource: Resource, new: dict[str, Any], old: dict[str, Any],
                  subresource: str | None) -> Causes:
    causes = metadata_causes(new["metadata"], old["metadata"])
    rule = KIND_RULES.get(resource.qualified)
    if rule is not None and subresource is None:
        causes += rule(new, old)
    return causes
