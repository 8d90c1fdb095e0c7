"""Server-side `Table` rendering (what `kubectl get` prints): printer columns, built-in views."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import endpointslices, services
from .clock import parse_time
from .resources import Resource
from .selectors import selector_string

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
               "description": "Name must be unique within a namespace."}
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\?\(@\.([\w.]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")


def table_version(accept: str) -> str | None:
    """`meta.k8s.io/v1` (or v1beta1) when the Accept header asks for a Table first."""
    for media in accept.split(","):
        params = dict(p.strip().split("=", 1) for p in media.split(";")[1:] if "=" in p)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return f"meta.k8s.io/{params.get('v', 'v1')}"
    return None


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery's duration.HumanDuration, as `kubectl get` shows ages."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration((datetime.now(UTC) - parse_time(timestamp)).total_seconds())


def json_path(obj: Any, path: str) -> Any:
    """The value at a printer-column JSONPath subset: `.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`."""
    current = obj
    for field, index, filter_key, filter_value in _SEGMENT.findall(path.strip().strip("{}")):
        if field:
            current = current.get(field) if isinstance(current, dict) else None
        elif index:
            current = current[int(index)] if isinstance(current, list) and \
                int(index) < len(current) else None
        else:
            matches = [i for i in current or [] if isinstance(i, dict)
                       and str(json_path(i, "." + filter_key)) == filter_value]
            current = matches[0] if matches else None
        if current is None:
            return None
    return current


def _crd_cell(column: dict[str, Any], obj: dict[str, Any]) -> Any:
    value = json_path(obj, column["jsonPath"])
    if value is None:
        return None
    kind = column.get("type")
    if kind == "date":
        return age(value) if isinstance(value, str) else None
    if kind == "integer":
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return int(value) if numeric else None
    if kind == "number":
        return value if isinstance(value, (int, float)) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)


def _col(name: str, kind: str = "string", priority: int = 0, description: str = "") -> dict:
    return {"name": name, "type": kind, "format": "", "priority": priority,
            "description": description}


def _job_status(job: dict[str, Any]) -> str:
    conditions = {c.get("type"): c.get("status")
                  for c in job.get("status", {}).get("conditions", [])}
    for kind in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet", "Suspended"):
        if conditions.get(kind) == "True":
            return kind
    return "Running"


def _job_duration(job: dict[str, Any]) -> str:
    status = job.get("status", {})
    if not status.get("startTime"):
        return ""
    end = parse_time(status["completionTime"]) if status.get("completionTime") else \
        datetime.now(UTC)
    return human_duration((end - parse_time(status["startTime"])).total_seconds())


def _job_row(job: dict[str, Any]) -> list[Any]:
    spec, status = job.get("spec", {}), job.get("status", {})
    containers = job.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    selector = ",".join(f"{k}={v}" for k, v in
                        spec.get("selector", {}).get("matchLabels", {}).items())
    return [_job_status(job), f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}",
            _job_duration(job), age(job["metadata"].get("creationTimestamp")),
            ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers), selector]


def _state_reason(state: dict[str, Any], prefix: str = "") -> str | None:
    if state.get("waiting", {}).get("reason"):
        return prefix + state["waiting"]["reason"]
    ended = state.get("terminated")
    if ended is None:
        return None
    if ended.get("reason"):
        return prefix + ended["reason"]
    if ended.get("signal"):
        return f"{prefix}Signal:{ended['signal']}"
    return f"{prefix}ExitCode:{ended.get('exitCode', 0)}"


def _pod_reason(pod: dict[str, Any]) -> str:
    """kubectl's STATUS column (pkg/printers/internalversion/printers.go printPod)."""
    status, spec = pod.get("status", {}), pod.get("spec", {})
    reason = status.get("reason") or status.get("phase", "Pending")
    inits = spec.get("initContainers") or []
    for index, init in enumerate(status.get("initContainerStatuses") or []):
        state = init.get("state", {})
        if state.get("terminated", {}).get("exitCode", 1) == 0 and "terminated" in state:
            continue
        waiting = state.get("waiting", {}).get("reason")
        if "terminated" in state or (waiting and waiting != "PodInitializing"):
            return _state_reason(state, "Init:") or reason
        return f"Init:{index}/{len(inits)}"
    running = False
    for container in reversed(status.get("containerStatuses") or []):
        state = container.get("state", {})
        found = _state_reason(state)
        if found:
            reason = found
        elif "running" in state and container.get("ready"):
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    if pod["metadata"].get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"  # a terminal pod held by a finalizer shows how it ended
    return reason


def _pod_row(pod: dict[str, Any]) -> list[Any]:
    status = pod.get("status", {})
    statuses = status.get("containerStatuses", [])
    containers = pod.get("spec", {}).get("containers", [])
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    return [f"{ready}/{len(containers)}", _pod_reason(pod), restarts,
            age(pod["metadata"].get("creationTimestamp")), status.get("podIP", "<none>"),
            pod.get("spec", {}).get("nodeName", "<none>"), "<none>", "<none>"]


def _event_row(event: dict[str, Any]) -> list[Any]:
    involved = event.get("involvedObject", {})
    last = event.get("lastTimestamp") or event.get("eventTime")
    return [age(last), event.get("type", ""), event.get("reason", ""),
            f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
            event.get("message", ""), (event.get("source") or {}).get("component", ""),
            event.get("count", 1)]


def _binding_row(binding: dict[str, Any]) -> list[Any]:
    """printRoleBinding: ROLE is kind/name; users, groups, "namespace/name" accounts (wide)."""
    ref = binding.get("roleRef") or {}
    subjects = binding.get("subjects") or []

    def named(kind: str) -> str:
        return ", ".join(
            (f"{s['namespace']}/{s.get('name', '')}" if s.get("namespace") and
             kind == "ServiceAccount" else s.get("name", ""))
            for s in subjects if s.get("kind") == kind)

    return [f"{ref.get('kind', '')}/{ref.get('name', '')}",
            age(binding["metadata"].get("creationTimestamp")),
            named("User"), named("Group"), named("ServiceAccount")]


_AGE = _col("Age", description="CreationTimestamp is a timestamp representing the server time "
                               "when this object was created.")
_BUILTIN: dict[str, tuple[list[dict], Callable[[dict], list[Any]]]] = {
    "jobs.batch": ([_col("Status"), _col("Completions"), _col("Duration"), _AGE,
                    _col("Containers", priority=1), _col("Images", priority=1),
                    _col("Selector", priority=1)], _job_row),
    "pods": ([_col("Ready"), _col("Status"), _col("Restarts", "string"), _AGE,
              _col("IP", priority=1), _col("Node", priority=1),
              _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)], _pod_row),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"),
                _col("Message"), _col("Source", priority=1), _col("Count", "integer", 1)],
               _event_row),
    "namespaces": ([_col("Status"), _AGE],
                   lambda o: [o.get("status", {}).get("phase", "Active"),
                              age(o["metadata"].get("creationTimestamp"))]),
    "customresourcedefinitions.apiextensions.k8s.io": (
        [_col("Created At", "date")], lambda o: [o["metadata"].get("creationTimestamp")]),
    "configmaps": ([_col("Data", "integer"), _AGE],
                   lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                              age(o["metadata"].get("creationTimestamp"))]),
    "secrets": ([_col("Type"), _col("Data", "integer"), _AGE],
                lambda o: [o.get("type", "Opaque"), len(o.get("data") or {}),
                           age(o["metadata"].get("creationTimestamp"))]),
}
# pkg/printers/internalversion/printers.go roleColumnDefinitions, roleBindingsColumnDefinitions
_CREATED_AT = ([_col("Created At", "date")], lambda o: [o["metadata"].get("creationTimestamp")])
_BINDINGS = ([_col("Role"), _AGE, _col("Users", priority=1), _col("Groups", priority=1),
              _col("ServiceAccounts", priority=1)], _binding_row)
# printers.go serviceColumnDefinitions and endpointSliceColumnDefinitions
_BUILTIN |= {"services": ([_col("Type"), _col("Cluster-IP"), _col("External-IP"),
                           _col("Port(s)"), _AGE, _col("Selector", priority=1)],
                          lambda o: [o["spec"].get("type", ""), services.cluster_ip_cell(o),
                                     services.external_ip_cell(o), services.ports_cell(o),
                                     age(o["metadata"].get("creationTimestamp")),
                                     ",".join(f"{k}={v}" for k, v in sorted(
                                         (o["spec"].get("selector") or {}).items()))
                                     or "<none>"]),
             "endpointslices.discovery.k8s.io": (
                 [_col("AddressType"), _col("Ports"), _col("Endpoints"), _AGE],
                 lambda o: [o.get("addressType", ""), endpointslices.ports_cell(o),
                            endpointslices.endpoints_cell(o),
                            age(o["metadata"].get("creationTimestamp"))])}
_BUILTIN |= {"roles.rbac.authorization.k8s.io": _CREATED_AT,
             "clusterroles.rbac.authorization.k8s.io": _CREATED_AT,
             "rolebindings.rbac.authorization.k8s.io": _BINDINGS,
             "clusterrolebindings.rbac.authorization.k8s.io": _BINDINGS}
# printers.go priorityClassColumnDefinitions
_BUILTIN["priorityclasses.scheduling.k8s.io"] = (
    [_col("Value", "integer"), _col("Global-Default", "boolean"), _AGE, _col("PreemptionPolicy")],
    lambda o: [o.get("value", 0), bool(o.get("globalDefault")),
               age(o["metadata"].get("creationTimestamp")), o.get("preemptionPolicy", "")])

col, AGE = _col, _AGE  # for kind_tables, which adds the storage, network, policy and CronJob kinds
from .kind_tables import TABLES, name_cell  # noqa: E402 (it needs the two names above)

_BUILTIN |= TABLES


# apps/v1, printers.go deploymentColumnDefinitions and replicaSetColumnDefinitions ------------
def _template_wide(obj: dict[str, Any]) -> list[Any]:
    spec = obj.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers),
            selector_string(spec.get("selector"))]


def _deployment_row(deployment: dict[str, Any]) -> list[Any]:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            age(deployment["metadata"].get("creationTimestamp")), *_template_wide(deployment)]


def _replica_set_row(replica_set: dict[str, Any]) -> list[Any]:
    spec, status = replica_set.get("spec") or {}, replica_set.get("status") or {}
    return [spec.get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0),
            age(replica_set["metadata"].get("creationTimestamp")), *_template_wide(replica_set)]


_WIDE = [_col("Containers", priority=1), _col("Images", priority=1),
         _col("Selector", priority=1)]
_BUILTIN |= {
    "deployments.apps": ([_col("Ready"), _col("Up-to-date", "integer"),
                          _col("Available", "integer"), _AGE, *_WIDE], _deployment_row),
    "replicasets.apps": ([_col("Desired", "integer"), _col("Current", "integer"),
                          _col("Ready", "integer"), _AGE, *_WIDE], _replica_set_row),
}


def columns_and_cells(resource: Resource) -> tuple[list[dict], Callable[[dict], list[Any]]]:
    if resource.printer_columns:
        columns = [{"name": c["name"], "type": c.get("type", "string"),
                    "format": c.get("format", ""), "description": c.get("description", ""),
                    "priority": c.get("priority", 0)} for c in resource.printer_columns]
        return columns, lambda o: [_crd_cell(c, o) for c in resource.printer_columns]
    if resource.qualified in _BUILTIN:
        return _BUILTIN[resource.qualified]
    return [_AGE], lambda o: [age(o["metadata"].get("creationTimestamp"))]


def render_table(resource: Resource, objects: list[dict[str, Any]], *, api_version: str,
                 include_object: str, resource_version: str) -> dict[str, Any]:
    columns, cells = columns_and_cells(resource)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": [name_cell(resource.qualified, obj), *cells(obj)]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": api_version,
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": api_version,
            "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": [NAME_COLUMN, *columns], "rows": rows}
